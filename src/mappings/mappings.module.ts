import { Module } from '@nestjs/common';
import { RevelModule } from '../revel/revel.module';
import { HeldEventRelease } from './held-release.service';
import { MappingsController } from './mappings.controller';
import { MappingsRepository } from './mappings.repository';

@Module({
  imports: [RevelModule],
  controllers: [MappingsController],
  providers: [MappingsRepository, HeldEventRelease],
  exports: [MappingsRepository, HeldEventRelease],
})
export class MappingsModule {}

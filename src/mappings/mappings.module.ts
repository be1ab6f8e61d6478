import { Module } from '@nestjs/common';
import { HeldEventRelease } from './held-release.service';
import { MappingsController } from './mappings.controller';
import { MappingsRepository } from './mappings.repository';

@Module({
  controllers: [MappingsController],
  providers: [MappingsRepository, HeldEventRelease],
  exports: [MappingsRepository, HeldEventRelease],
})
export class MappingsModule {}

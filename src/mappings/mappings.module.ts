import { Module } from '@nestjs/common';
import { RevelModule } from '../revel/revel.module';
import { MappingsController } from './mappings.controller';
import { MappingsRepository } from './mappings.repository';

@Module({
  imports: [RevelModule],
  controllers: [MappingsController],
  providers: [MappingsRepository],
  exports: [MappingsRepository],
})
export class MappingsModule {}

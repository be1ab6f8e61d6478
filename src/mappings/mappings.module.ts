import { Module } from '@nestjs/common';
import { MappingsController } from './mappings.controller';
import { MappingsRepository } from './mappings.repository';

@Module({
  controllers: [MappingsController],
  providers: [MappingsRepository],
  exports: [MappingsRepository],
})
export class MappingsModule {}

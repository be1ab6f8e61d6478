import { Module } from '@nestjs/common';
import { SwitchesController } from './switches.controller';
import { SwitchesRepository } from './switches.repository';
import { SwitchesService } from './switches.service';

/**
 * The kill switch and dry run as stored values. It needs only the database and the config (both
 * global), so the sync module and the console can both import it without a cycle.
 */
@Module({
  controllers: [SwitchesController],
  providers: [SwitchesRepository, SwitchesService],
  exports: [SwitchesService],
})
export class SwitchesModule {}

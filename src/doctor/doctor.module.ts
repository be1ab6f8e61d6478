import { Module } from '@nestjs/common';
import { RevelModule } from '../revel/revel.module';
import { SyncModule } from '../sync/sync.module';
import { TripleSeatModule } from '../tripleseat/tripleseat.module';
import { DoctorController } from './doctor.controller';
import { DoctorService } from './doctor.service';

/**
 * The go-live check. It builds order drafts with the pipeline's own EventPipelineService (from
 * SyncModule), so that what it reports is what the sync would do.
 */
@Module({
  imports: [TripleSeatModule, RevelModule, SyncModule],
  controllers: [DoctorController],
  providers: [DoctorService],
  exports: [DoctorService],
})
export class DoctorModule {}

import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module';
import { RevelModule } from '../revel/revel.module';
import { TripleSeatModule } from '../tripleseat/tripleseat.module';
import { EventPipelineService } from './event-pipeline.service';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';
import { SyncWorker } from './sync.worker';

@Module({
  imports: [TripleSeatModule, RevelModule, NotificationsModule],
  controllers: [SyncController],
  providers: [EventPipelineService, SyncWorker, SyncService, ReconciliationScheduler],
  exports: [SyncWorker, SyncService, ReconciliationScheduler],
})
export class SyncModule {}

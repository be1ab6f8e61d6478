import { Module } from '@nestjs/common';
import { MappingsModule } from '../mappings/mappings.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { RevelModule } from '../revel/revel.module';
import { SwitchesModule } from '../switches/switches.module';
import { TripleSeatModule } from '../tripleseat/tripleseat.module';
import { DriftService } from './drift.service';
import { EventPipelineService } from './event-pipeline.service';
import { EventsController } from './events.controller';
import { PreviewService } from './preview.service';
import { ReadBackService } from './read-back.service';
import { ReconciliationScheduler } from './reconciliation.scheduler';
import { ResyncService } from './resync.service';
import { SyncController } from './sync.controller';
import { SyncService } from './sync.service';
import { SyncWorker } from './sync.worker';

@Module({
  imports: [TripleSeatModule, RevelModule, NotificationsModule, MappingsModule, SwitchesModule],
  controllers: [SyncController, EventsController],
  providers: [
    EventPipelineService,
    SyncWorker,
    SyncService,
    ReconciliationScheduler,
    DriftService,
    PreviewService,
    ResyncService,
    ReadBackService,
  ],
  exports: [
    SyncWorker,
    SyncService,
    ReconciliationScheduler,
    EventPipelineService,
    PreviewService,
    ResyncService,
  ],
})
export class SyncModule {}

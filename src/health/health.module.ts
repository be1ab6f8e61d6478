import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SyncModule } from '../sync/sync.module';
import { DatabaseHealthIndicator } from './database.health';
import { DrainingHealthIndicator } from './draining.health';
import { HealthController } from './health.controller';
import { ReconciliationHealthIndicator } from './reconciliation.health';
import { UpstreamHealthIndicator } from './upstream.health';
import { WorkerHealthIndicator } from './worker.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), SyncModule],
  controllers: [HealthController],
  providers: [
    DatabaseHealthIndicator,
    DrainingHealthIndicator,
    ReconciliationHealthIndicator,
    UpstreamHealthIndicator,
    WorkerHealthIndicator,
  ],
})
export class HealthModule {}

import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SyncModule } from '../sync/sync.module';
import { DatabaseHealthIndicator } from './database.health';
import { HealthController } from './health.controller';
import { ReconciliationHealthIndicator } from './reconciliation.health';
import { WorkerHealthIndicator } from './worker.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), SyncModule],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, ReconciliationHealthIndicator, WorkerHealthIndicator],
})
export class HealthModule {}

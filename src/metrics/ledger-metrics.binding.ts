import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { LedgerRepository } from '../database/ledger.repository';
import { MetricsService } from './metrics.service';

/**
 * Feeds the scrape-time gauges (backlog by state, reconciliation freshness) from the ledger and
 * the Clock. A provider of its own, so LedgerRepository can count into MetricsService without a
 * dependency cycle.
 */
@Injectable()
export class LedgerMetricsBinding implements OnModuleInit {
  private readonly startedAt: number;

  constructor(
    private readonly metrics: MetricsService,
    private readonly ledger: LedgerRepository,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now().getTime();
  }

  onModuleInit(): void {
    this.metrics.bindLedger({
      countByState: () => this.ledger.countByState(),
      lastReconciliationSuccessAt: async () => {
        const run = await this.ledger.lastRun('succeeded');
        return run ? (run.finished_at ?? run.started_at) : undefined;
      },
      now: () => this.clock.now().getTime(),
      startedAt: this.startedAt,
    });
  }
}

import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Clock } from '../common/clock';
import { ReconciliationRunRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { ReconciliationScheduler } from '../sync/reconciliation.scheduler';

/**
 * Up while a reconciliation (scheduled or manual) succeeded within 2 × the interval. Before the
 * first run ever finishes, the process start counts, so a fresh deployment is not born unready.
 */
@Injectable()
export class ReconciliationHealthIndicator {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly scheduler: ReconciliationScheduler,
    private readonly clock: Clock,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'reconciliation'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    let last: ReconciliationRunRow | undefined;
    try {
      last = await this.ledger.lastRun('succeeded');
    } catch (error) {
      // The database indicator says why; this one must not turn the answer into a 500.
      return indicator.down({ message: `last run unknown: ${(error as Error).message}` });
    }
    const lastSuccessAt = last ? (last.finished_at ?? last.started_at) : undefined;
    const reference = Math.max(lastSuccessAt ?? 0, this.scheduler.startedAt.getTime());
    const ageMs = this.clock.now().getTime() - reference;
    const limitMs = 2 * this.scheduler.intervalMs;
    const data = {
      lastSuccessAt: lastSuccessAt ? new Date(lastSuccessAt).toISOString() : null,
      ageSeconds: Math.round(ageMs / 1000),
      limitSeconds: limitMs / 1000,
    };
    return ageMs <= limitMs ? indicator.up(data) : indicator.down(data);
  }
}

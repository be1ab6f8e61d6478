import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ClsService } from 'nestjs-cls';
import { Clock } from '../common/clock';
import { currentCorrelationId, runWithCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { LedgerRepository } from '../database/ledger.repository';
import { SyncService } from './sync.service';
import { SyncWorker } from './sync.worker';

/** Lease on a running slot; renewed every quarter of it. */
const RUN_LEASE_MS = 120_000;

export type TickResult = 'ran' | 'failed' | 'slot-taken' | 'busy' | 'disabled';

/**
 * Decides when reconciliation runs; SyncService decides what it does. The cadence is anchored to
 * the clock, not to process start: time is cut into RECONCILE_INTERVAL_MINUTES slots counted from
 * the epoch, and each slot runs once across all replicas (a unique slot row). A minutely check
 * starts a slot's run; after downtime the current slot has no run yet, so start-up catches up.
 * (A `*\/45` cron would fire at :00 and :45, i.e. 45 then 15 minutes apart.)
 */
@Injectable()
export class ReconciliationScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconciliationScheduler.name);
  private running = false;
  /** When this process started: the reference for freshness before any run has finished. */
  readonly startedAt: Date;

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly sync: SyncService,
    private readonly worker: SyncWorker,
    private readonly clock: Clock,
    private readonly cls: ClsService,
  ) {
    this.startedAt = clock.now();
  }

  get intervalMs(): number {
    return this.config.reconcileIntervalMinutes * 60_000;
  }

  slotAt(time: Date): number {
    return Math.floor(time.getTime() / this.intervalMs);
  }

  onApplicationBootstrap(): void {
    if (!this.config.reconcileEnabled) {
      this.logger.warn('RECONCILE_ENABLED=false: no scheduled reconciliation');
      return;
    }
    this.logger.log(
      `reconciliation every ${this.config.reconcileIntervalMinutes} min, clock-anchored`,
    );
    void this.tick();
  }

  @Cron(CronExpression.EVERY_MINUTE, { name: 'reconciliation' })
  async onMinute(): Promise<void> {
    await this.tick();
  }

  /** Runs the current slot if nobody has; never overlaps itself and never throws. */
  async tick(): Promise<TickResult> {
    if (!this.config.reconcileEnabled) return 'disabled';
    if (this.running || this.worker.isStopping) return 'busy';
    this.running = true;
    try {
      return await runWithCorrelationId(this.cls, 'scheduled', () => this.runSlot());
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'reconciliation tick failed');
      return 'failed';
    } finally {
      this.running = false;
    }
  }

  private async runSlot(): Promise<TickResult> {
    const slot = this.slotAt(this.clock.now());
    const hoursBack = this.config.reconcileLookbackHours;
    const cid = currentCorrelationId() ?? 'scheduled';
    const owner = this.worker.owner;
    const runId = await this.ledger.claimSlot(slot, owner, hoursBack, cid, RUN_LEASE_MS);
    if (runId === undefined) return 'slot-taken';
    this.logger.log({ slot, hoursBack }, 'reconciliation started');
    // While this replica runs the slot it keeps the lease; if it dies, another takes over.
    const renew = setInterval(() => {
      this.ledger.renewRunLease(runId, owner, RUN_LEASE_MS).catch((error: unknown) => {
        this.logger.warn({ slot, err: (error as Error).message }, 'run lease renewal failed');
      });
    }, RUN_LEASE_MS / 4);
    renew.unref();
    try {
      const report = await this.sync.syncRecent(hoursBack);
      await this.ledger.finishRun(runId, 'succeeded', report.summary);
      return 'ran';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.ledger.finishRun(runId, 'failed', null, message);
      this.logger.error({ slot, err: message }, 'reconciliation failed');
      return 'failed';
    } finally {
      clearInterval(renew);
    }
  }
}

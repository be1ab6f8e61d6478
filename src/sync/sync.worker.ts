import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ClsService } from 'nestjs-cls';
import { newCorrelationId, runWithCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { LedgerState, SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { DriftService } from './drift.service';
import { EventPipelineService } from './event-pipeline.service';

/** How long shutdown waits for in-flight events before leaving them to lease expiry. */
const SHUTDOWN_GRACE_MS = 15_000;
/** How long a wake-up waits for more work to arrive before claiming. */
const WAKE_COALESCE_MS = 5;

/**
 * Claims due ledger rows and runs them through the pipeline, at most WORKER_CONCURRENCY at a
 * time. Rows are claimed with a lease, so one event is processed by one worker at a time across
 * every replica, and a crashed worker's rows come back when the lease expires.
 */
@Injectable()
export class SyncWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncWorker.name);
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Map<string, Promise<LedgerState | undefined>>();
  /** Drift checks running (read-only against the upstreams; they share the concurrency budget). */
  private readonly checking = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private ticking = false;
  private wakeRequested = false;
  private wakePending = false;
  /** Wall-clock time of the last completed loop turn (for the health check). */
  lastTickAt = Date.now();

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly pipeline: EventPipelineService,
    private readonly cls: ClsService,
    private readonly drift: DriftService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enableConnector) {
      this.logger.warn('ENABLE_CONNECTOR=false: events are recorded, nothing is written to Revel');
    }
    if (this.config.dryRun)
      this.logger.warn('DRY_RUN=true: orders are computed and logged, not written');
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.inFlight.size === 0 && this.checking.size === 0) return;
    this.logger.log({ inFlight: this.inFlight.size }, 'shutdown: waiting for events in flight');
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS).unref(),
    );
    const done = Promise.allSettled([...this.inFlight.values(), ...this.checking.values()]).then(
      () => 'done' as const,
    );
    if ((await Promise.race([done, grace])) === 'timeout') {
      this.logger.warn({ left: [...this.inFlight.keys()] }, 'shutdown: leases left to expire');
    }
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** Drift checks running now. */
  get checksInFlight(): number {
    return this.checking.size;
  }

  /** Asks for a turn now (a webhook just queued work). */
  wake(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    // A burst of webhooks becomes one claim a few milliseconds later, not one claim each.
    if (this.wakePending) return;
    this.schedule(WAKE_COALESCE_MS);
    this.wakePending = true;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakePending = false;
    this.timer = setTimeout(() => {
      this.wakePending = false;
      void this.tick();
    }, delayMs);
  }

  /** One loop turn: fill free slots with due rows. Exposed for tests that drive time by hand. */
  async tick(): Promise<number> {
    if (this.ticking || this.stopping) return 0;
    this.ticking = true;
    let claimed = 0;
    let checks = 0;
    try {
      if (this.config.enableConnector) {
        const free = this.config.workerConcurrency - this.inFlight.size;
        if (free > 0) {
          const rows = await this.ledger.claim(this.owner, free, this.pipeline.leaseMs);
          claimed = rows.length;
          for (const row of rows) this.start(row);
        }
        // Drift checks take what the pipeline left: a backlog of orders to write comes first.
        const spare = this.config.workerConcurrency - this.inFlight.size - this.checking.size;
        if (spare > 0) {
          const due = await this.ledger.claimDriftChecks(spare);
          checks = due.length;
          for (const row of due) this.startCheck(row);
        }
      }
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'worker could not claim work');
    } finally {
      this.ticking = false;
      this.lastTickAt = Date.now();
    }
    const again = this.wakeRequested || claimed > 0 || checks > 0;
    this.wakeRequested = false;
    this.schedule(again ? 0 : this.config.workerPollMs);
    return claimed;
  }

  /** Runs one claimed row in the correlation context of the work that queued it. */
  run(row: SyncEventRow): Promise<LedgerState | undefined> {
    const existing = this.inFlight.get(row.event_id);
    if (existing) return existing;
    const id = row.correlation_id ?? newCorrelationId('worker');
    const heartbeat = this.heartbeat(row.event_id);
    const job = runWithCorrelationId(this.cls, { id }, () => this.pipeline.process(row, this.owner))
      .catch((error: unknown) => {
        // The pipeline settles every failure itself; reaching here means the ledger is unreachable.
        this.logger.error(
          { eventId: row.event_id, err: (error as Error).message },
          'event processing aborted',
        );
        return undefined;
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.inFlight.delete(row.event_id);
        if (!this.stopping) this.wake();
      });
    this.inFlight.set(row.event_id, job);
    return job;
  }

  /**
   * Keeps the lease alive while one slow upstream call (timeouts × attempts) runs, so that no
   * other worker takes the event over in the middle of a write. A lost lease is noticed by the
   * fenced writes, which stop the pipeline.
   */
  private heartbeat(eventId: string): NodeJS.Timeout {
    const leaseMs = this.pipeline.leaseMs;
    const timer = setInterval(
      () => {
        this.ledger.renewLease(eventId, this.owner, leaseMs).then(
          (ok) => {
            if (!ok)
              this.logger.warn(
                { eventId },
                'lease could not be renewed; another worker may own it',
              );
          },
          (error: unknown) =>
            this.logger.warn({ eventId, err: (error as Error).message }, 'lease renewal failed'),
        );
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return timer;
  }

  private start(row: SyncEventRow): void {
    void this.run(row);
  }

  /** Runs a claimed drift check in the correlation context of the work that asked for it. */
  private startCheck(row: SyncEventRow): void {
    const eventId = row.event_id;
    const id = row.correlation_id ?? newCorrelationId('worker');
    // A second request for an event being checked here runs after the first, not beside it.
    const before = this.checking.get(eventId) ?? Promise.resolve();
    const job: Promise<void> = before
      .then(() => runWithCorrelationId(this.cls, { id }, () => this.drift.check(row)))
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.error({ eventId, err: (error as Error).message }, 'drift check aborted');
        },
      )
      .finally(() => {
        if (this.checking.get(eventId) === job) this.checking.delete(eventId);
      });
    this.checking.set(eventId, job);
  }

  /** Claims one specific event for this worker and processes it now (manual sync). */
  async runNow(eventId: string): Promise<boolean> {
    const existing = this.inFlight.get(eventId);
    if (existing) {
      await existing;
      return true;
    }
    const [row] = await this.ledger.claim(this.owner, 1, this.pipeline.leaseMs, eventId);
    if (!row) return false;
    await this.run(row);
    return true;
  }
}

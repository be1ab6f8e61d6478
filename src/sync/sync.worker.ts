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
import { DatabaseUnavailableError } from '../database/database-errors';
import { LedgerState, SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { SwitchesService } from '../switches/switches.service';
import { DriftService } from './drift.service';
import { EventPipelineService, StopRequestedError } from './event-pipeline.service';

/** How long shutdown waits for in-flight events before leaving them to lease expiry. */
const SHUTDOWN_GRACE_MS = 15_000;
/**
 * How long an event in flight at shutdown may go on writing its order; after that it stops at the
 * next saved step and its row is released, due at once for the next replica (or the next start).
 */
const SHUTDOWN_FINISH_MS = 5_000;
/** How long a wake-up waits for more work to arrive before claiming. */
const WAKE_COALESCE_MS = 5;
/** The longest pause between claims while the database is unavailable (doubling from the poll). */
const MAX_BACKOFF_MS = 10_000;

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
  /** Consecutive turns that could not claim (the database is away): the back-off exponent. */
  private failedTurns = 0;
  /** Rows this worker holds whose processing was cut short by the database: released once back. */
  private readonly abandoned = new Set<string>();
  /** Shutdown: when in-flight events stop at their next saved step (epoch ms). */
  private stopAt = Number.POSITIVE_INFINITY;
  /** Rows released at shutdown. */
  private releasedAtShutdown = 0;
  /**
   * The sources (correlation ids) of the last WORKER_CONCURRENCY rows claimed: the next claim takes
   * other sources' due rows first (fair queueing, see LedgerRepository.claim).
   */
  private readonly recentSources: string[] = [];
  /** Wall-clock time of the last completed loop turn (for the health check). */
  lastTickAt = Date.now();
  /** Loop turns started so far, and who waits for one that starts later and ends with nothing in flight. */
  private turnsStarted = 0;
  private idleWaiters: { after: number; resolve: () => void }[] = [];

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly pipeline: EventPipelineService,
    private readonly cls: ClsService,
    private readonly drift: DriftService,
    private readonly switches: SwitchesService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.switches.enableConnector) {
      this.logger.warn(
        'the connector is off (kill switch): events are recorded, nothing is written to Revel',
      );
    }
    if (this.switches.dryRun)
      this.logger.warn('dry run is on: orders are computed and logged, not written');
    // The loop runs with the connector off too: a flip (here or on another replica) takes effect
    // at the next turn, without a restart.
    this.schedule(0);
  }

  /**
   * Stops taking work, gives the events in flight SHUTDOWN_FINISH_MS to finish, stops the rest at
   * their next saved step and releases their rows, and after SHUTDOWN_GRACE_MS leaves whatever is
   * still waiting on an upstream to its lease. Says what it did in exactly one line.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const events = this.inFlight.size;
    const checks = this.checking.size;
    this.stopAt = Date.now() + SHUTDOWN_FINISH_MS;
    let left: string[] = [];
    if (events + checks > 0) {
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        graceTimer = setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS);
        graceTimer.unref();
      });
      const done = Promise.allSettled([...this.inFlight.values(), ...this.checking.values()]).then(
        () => 'done' as const,
      );
      if ((await Promise.race([done, grace])) === 'timeout') left = [...this.inFlight.keys()];
      clearTimeout(graceTimer);
    }
    const released = this.releasedAtShutdown;
    const finished = Math.max(0, events - released - left.length);
    const line =
      `shut down: finished ${finished} events in flight, released ${released}` +
      (checks > 0 ? `, ${checks} drift checks` : '') +
      (left.length > 0 ? `; ${left.length} left to lease expiry (${left.join(', ')})` : '');
    if (left.length > 0) this.logger.warn({ finished, released, left }, line);
    else this.logger.log({ finished, released, checks }, line);
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

  /**
   * Resolves once a loop turn that started after this call has ended with no event and no drift
   * check in flight: the worker has looked at the ledger since, and finished whatever it found. The
   * signal a test awaits before asserting that nothing was written.
   */
  idle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push({ after: this.turnsStarted, resolve }));
  }

  private settleIdleWaiters(turn: number): void {
    if (this.inFlight.size > 0 || this.checking.size > 0) return;
    const ready = this.idleWaiters.filter((w) => turn > w.after);
    if (ready.length === 0) return;
    this.idleWaiters = this.idleWaiters.filter((w) => turn <= w.after);
    for (const waiter of ready) waiter.resolve();
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
    const turn = ++this.turnsStarted;
    let claimed = 0;
    let checks = 0;
    let failed = false;
    try {
      if (this.switches.enableConnector) {
        await this.releaseAbandoned();
        const free = this.config.workerConcurrency - this.inFlight.size;
        if (free > 0) {
          const rows = await this.ledger.claim(this.owner, free, this.pipeline.leaseMs, undefined, [
            ...new Set(this.recentSources),
          ]);
          claimed = rows.length;
          for (const row of rows) {
            this.noteSource(row);
            this.start(row);
          }
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
      failed = true;
      this.noteFailedTurn(error);
    } finally {
      this.ticking = false;
      this.lastTickAt = Date.now();
    }
    this.settleIdleWaiters(turn);
    if (!failed && this.failedTurns > 0) {
      this.logger.log(
        { failedTurns: this.failedTurns },
        'worker resumed: the database answers again',
      );
      this.failedTurns = 0;
    }
    const again = !failed && (this.wakeRequested || claimed > 0 || checks > 0);
    this.wakeRequested = false;
    this.schedule(again ? 0 : failed ? this.backoffMs() : this.config.workerPollMs);
    return claimed;
  }

  private noteSource(row: SyncEventRow): void {
    if (row.correlation_id === null) return;
    this.recentSources.push(row.correlation_id);
    const excess = this.recentSources.length - this.config.workerConcurrency;
    if (excess > 0) this.recentSources.splice(0, excess);
  }

  /** Doubling from the poll interval while the database stays away, capped. */
  private backoffMs(): number {
    const exponent = Math.min(this.failedTurns, 16);
    return Math.min(MAX_BACKOFF_MS, this.config.workerPollMs * 2 ** exponent);
  }

  private noteFailedTurn(error: unknown): void {
    this.failedTurns += 1;
    const unavailable = error instanceof DatabaseUnavailableError;
    const detail = unavailable ? error.detail : (error as Error).message;
    if (this.failedTurns === 1) {
      this.logger.warn(
        { err: detail },
        unavailable
          ? 'worker backing off: the database is unavailable'
          : 'worker could not claim work; backing off',
      );
    } else {
      this.logger.debug({ err: detail, failedTurns: this.failedTurns }, 'worker still backing off');
    }
  }

  /**
   * Rows whose processing the database cut short are still leased to this worker; give them back
   * now rather than leave them to lease expiry. The release is fenced: a row that another worker
   * took over meanwhile is left alone.
   */
  private async releaseAbandoned(): Promise<void> {
    for (const eventId of [...this.abandoned]) {
      if (this.inFlight.has(eventId)) continue;
      await this.ledger.release(eventId, this.owner);
      this.abandoned.delete(eventId);
    }
  }

  /** Runs one claimed row in the correlation context of the work that queued it. */
  run(row: SyncEventRow): Promise<LedgerState | undefined> {
    const existing = this.inFlight.get(row.event_id);
    // Claimed again while its last pass here is still finishing (it settled, then e-mails or
    // re-checks a mapping): this claim runs once that pass is done, under the lease it now holds.
    if (existing) return existing.then(() => this.run(row));
    const id = row.correlation_id ?? newCorrelationId('worker');
    const heartbeat = this.heartbeat(row.event_id);
    const job = runWithCorrelationId(this.cls, { id }, () =>
      this.pipeline.process(row, this.owner, { shouldStop: () => Date.now() >= this.stopAt }),
    )
      .catch((error: unknown) => this.aborted(row.event_id, error))
      .finally(() => {
        clearInterval(heartbeat);
        this.inFlight.delete(row.event_id);
        if (!this.stopping) this.wake();
      });
    this.inFlight.set(row.event_id, job);
    return job;
  }

  /**
   * The pipeline settles every upstream failure itself; it gives up only when stopped at shutdown
   * (the row is released at once) or when the ledger is unavailable (the row is released when the
   * database is back, or its lease expires).
   */
  private async aborted(eventId: string, error: unknown): Promise<undefined> {
    if (error instanceof StopRequestedError) {
      try {
        if (await this.ledger.release(eventId, this.owner)) this.releasedAtShutdown += 1;
      } catch (releaseError) {
        this.logger.warn(
          { eventId, err: (releaseError as Error).message },
          'could not release the row at shutdown; its lease will expire',
        );
      }
      return undefined;
    }
    if (error instanceof DatabaseUnavailableError) {
      if (!this.stopping) this.abandoned.add(eventId);
      this.logger.warn(
        { eventId, err: error.detail },
        'event processing paused: the database is unavailable; it resumes once the database is back',
      );
      return undefined;
    }
    this.logger.error({ eventId, err: (error as Error).message }, 'event processing aborted');
    return undefined;
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

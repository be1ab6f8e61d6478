import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Bottleneck from 'bottleneck';
import { DateTime } from 'luxon';
import { ClsService } from 'nestjs-cls';
import { Clock } from '../common/clock';
import {
  currentCorrelationId,
  newCorrelationId,
  runWithCorrelationId,
} from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { OUR_ORDER_STATES, ReconciliationRunRow, SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { SwitchesService } from '../switches/switches.service';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { ReadBackService } from './read-back.service';
import { ReasonCode } from './reason-codes';
import { SyncWorker } from './sync.worker';
import {
  count,
  emptySummary,
  EventReport,
  outcomeOf,
  parseRunRecord,
  RunProgress,
  RunRecord,
  SyncReport,
  SyncRunView,
} from './sync.types';

const WAIT_POLL_MS = 100;
const WAIT_LIMIT_MS = 120_000;
/** Lease of a manual bulk run, renewed every quarter of it by the replica running it. */
const RUN_LEASE_MS = 60_000;
/** A run's progress is written at most this often, so watching it costs the database little. */
const PROGRESS_WRITE_MS = 500;
/** How long shutdown waits for bulk runs to stop and record how far they got. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Who runs manual runs (the `owner` of their reconciliation_runs row). */
const MANUAL_OWNER = 'api';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Hooks into a bulk run while it runs. */
export interface RunWatch {
  onProgress?: (progress: RunProgress) => void;
  /** Asked before each event: true leaves the remaining events alone (shutdown). */
  stopped?: () => boolean;
}

/** A bulk run started in the background. */
export interface StartedRun {
  run: ReconciliationRunRow;
  /** Settles (never rejects) once the run has recorded its outcome. */
  finished: Promise<void>;
}

/**
 * Writes a run's latest progress at most every `everyMs`, one write at a time, the last one
 * included (a trailing write), so a watcher never sees a stale phase for long.
 */
class ProgressWriter {
  private latest?: RunProgress;
  private timer?: NodeJS.Timeout;
  private lastAt = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (progress: RunProgress) => Promise<void>,
    private readonly everyMs: number,
  ) {}

  update(progress: RunProgress): void {
    this.latest = progress;
    if (this.timer) return;
    const wait = Math.max(0, this.lastAt + this.everyMs - Date.now());
    this.timer = setTimeout(() => this.writeLatest(), wait);
    this.timer.unref();
  }

  /** Stops writing; resolves once the write in flight is done. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    await this.chain;
  }

  private writeLatest(): void {
    this.timer = undefined;
    const progress = this.latest;
    this.latest = undefined;
    if (!progress) return;
    this.lastAt = Date.now();
    // Best effort: a missed progress write costs a watcher a stale figure, nothing more.
    this.chain = this.chain.then(() => this.write(progress)).catch(() => undefined);
  }
}

/**
 * Runs one event now, or every recent event (manual bulk sync and the reconciliation), through the
 * same ledger and worker as the webhook path: one event is never processed twice at once, and the
 * ledger, not TripleSeat or Revel, knows what is already done.
 *
 * A report tells apart what this run did from what it found: a pipeline pass runs under the
 * correlation id of the work that queued its event, so the INJECTED outcomes recorded under this
 * run's id since it began are the orders this run wrote, whichever worker or replica claimed the
 * row. An order written earlier, or by another replica's run, is `alreadySynced`.
 */
@Injectable()
export class SyncService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SyncService.name);
  /** Manual bulk runs running in this process. */
  private readonly running = new Map<number, Promise<void>>();
  private stopping = false;

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly worker: SyncWorker,
    private readonly tripleseat: TripleSeatClient,
    private readonly clock: Clock,
    private readonly cls: ClsService,
    private readonly switches: SwitchesService,
    private readonly readBack: ReadBackService,
  ) {}

  /** Stops the bulk runs of this process and lets them record how far they got. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.running.size === 0) return;
    this.logger.log({ runs: [...this.running.keys()] }, 'shutdown: stopping bulk runs');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.running.values()]), grace]);
    clearTimeout(timer);
  }

  async syncOne(eventId: string, options: { allowUnmatched?: boolean } = {}): Promise<SyncReport> {
    return this.withCorrelationId(async (cid) => {
      const since = this.clock.now().getTime();
      await this.ledger.enqueue(eventId, {
        correlationId: cid,
        reason: options.allowUnmatched ? 'manual sync, without its unmatched lines' : 'manual sync',
        ...(options.allowUnmatched ? { allowUnmatched: true } : {}),
      });
      const row = await this.settle(eventId);
      const report = await this.report('single', [row], cid, since);
      report.summary.queried = 1;
      return report;
    });
  }

  /**
   * Records a manual bulk run and starts it in the background, under the correlation id of the
   * request (so the caller's X-Correlation-Id names the run); resolves once the run is recorded.
   */
  async startBulk(hoursBack: number): Promise<StartedRun> {
    if (this.stopping) {
      throw new ServiceUnavailableException({
        error: 'Service Unavailable',
        message: 'this replica is shutting down; start the sync on another one',
      });
    }
    const cid = currentCorrelationId() ?? newCorrelationId('sync');
    const run = await this.ledger.startLeasedManualRun(MANUAL_OWNER, hoursBack, cid, RUN_LEASE_MS);
    const finished = runWithCorrelationId(this.cls, { id: cid }, () =>
      this.execute(run.id, hoursBack),
    );
    this.running.set(run.id, finished);
    void finished.finally(() => this.running.delete(run.id));
    return { run, finished };
  }

  /** A run as the API shows it; undefined when there is no such run. */
  async runView(id: number): Promise<SyncRunView | undefined> {
    const row = await this.ledger.getRun(id);
    return row ? this.viewOf(row) : undefined;
  }

  viewOf(row: ReconciliationRunRow): SyncRunView {
    const record = parseRunRecord(row.summary);
    let status = row.status;
    let error = row.error;
    // A manual run's replica renews its lease while it runs; an expired one means it stopped.
    const leaseExpiresAt = row.lease_expires_at;
    if (
      status === 'running' &&
      row.kind === 'manual' &&
      leaseExpiresAt !== null &&
      leaseExpiresAt < this.clock.now().getTime()
    ) {
      status = 'failed';
      error = `abandoned: the replica running it stopped before it finished (no sign of life since ${iso(leaseExpiresAt - RUN_LEASE_MS) ?? ''})`;
    }
    const summary = record.summary ?? null;
    return {
      runId: Number(row.id),
      mode: 'bulk',
      kind: row.kind,
      status,
      success: status === 'running' ? null : status === 'succeeded' && summary?.failed === 0,
      hoursBack: row.hours_back,
      startedAt: iso(row.started_at) ?? '',
      finishedAt: iso(row.finished_at),
      correlationId: row.correlation_id,
      progress: record.progress ?? null,
      summary,
      events: record.events ?? [],
      error,
    };
  }

  /** Runs a recorded manual run to its end; never throws: every end is recorded on the run. */
  private async execute(runId: number, hoursBack: number): Promise<void> {
    const writer = new ProgressWriter(
      (progress) => this.ledger.updateRunProgress(runId, progress),
      PROGRESS_WRITE_MS,
    );
    const renew = setInterval(() => {
      this.ledger.renewRunLease(runId, MANUAL_OWNER, RUN_LEASE_MS).catch((error: unknown) => {
        this.logger.warn({ runId, err: (error as Error).message }, 'run lease renewal failed');
      });
    }, RUN_LEASE_MS / 4);
    renew.unref();
    let progress: RunProgress | undefined;
    try {
      const report = await this.syncRecent(hoursBack, {
        onProgress: (p) => {
          progress = p;
          writer.update(p);
        },
        stopped: () => this.stopping,
      });
      await writer.close();
      const record: RunRecord = { summary: report.summary, progress, events: report.events };
      const reached = report.events.length;
      if (reached < report.summary.queried && this.stopping) {
        await this.ledger.finishRun(
          runId,
          'failed',
          record,
          `the service shut down during the run: ${reached} of ${report.summary.queried} events reached; the next reconciliation takes up the rest`,
        );
      } else {
        await this.ledger.finishRun(runId, 'succeeded', record);
      }
    } catch (error) {
      await writer.close();
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error({ runId, err: message }, 'bulk sync failed');
      await this.ledger
        .finishRun(runId, 'failed', progress ? { progress } : null, message)
        .catch((e: unknown) => {
          this.logger.error({ runId, err: (e as Error).message }, 'bulk sync not recorded');
        });
    } finally {
      clearInterval(renew);
    }
  }

  /**
   * Lists TripleSeat's events dated within the look-back window (through tomorrow, so that today
   * is covered in every time zone) and makes sure each eligible one ends with its order.
   */
  async syncRecent(hoursBack: number, watch: RunWatch = {}): Promise<SyncReport> {
    return this.withCorrelationId(async (cid) => {
      const since = this.clock.now().getTime();
      const progress: RunProgress = {
        phase: 'listing',
        listed: 0,
        queued: 0,
        settled: 0,
        byState: {},
      };
      const tell = () => watch.onProgress?.(structuredClone(progress));
      tell();
      const now = DateTime.fromJSDate(this.clock.now(), { zone: 'utc' });
      // Site zones run from UTC−12 to UTC+14: widen the UTC window so no site's "today" is missed.
      const fromDate = now.minus({ hours: hoursBack + 12 }).toISODate() ?? '';
      const toDate = now.plus({ hours: 14 }).toISODate() ?? '';
      const seen = new Map<string, string | undefined>();
      for await (const event of this.tripleseat.searchEvents({
        fromDate,
        toDate,
        statuses: this.config.eligibleStatuses,
      })) {
        seen.set(String(event.id), event.updated_at ?? undefined);
        progress.listed = seen.size;
        tell();
      }
      progress.phase = 'processing';
      tell();
      const ids = [...seen.keys()];
      const done = await this.ledger.settledWithOrder(ids);
      const limiter = new Bottleneck({ maxConcurrent: this.config.workerConcurrency });
      const rows = await Promise.all(
        ids.map((id) =>
          limiter.schedule(async (): Promise<SyncEventRow | undefined> => {
            if (watch.stopped?.()) return undefined;
            let row: SyncEventRow | undefined;
            if (done.has(id)) {
              // An order exists: no write, but a changed event gets a drift check (no upstream
              // call here; none at all when TripleSeat's updated_at is the one already seen).
              row = await this.ledger.requestDriftCheckIfChanged(id, seen.get(id), cid);
            } else {
              await this.ledger.enqueue(id, {
                correlationId: cid,
                reason: 'reconciliation',
                sourceUpdatedAt: seen.get(id),
                onlyIfChanged: true,
              });
              progress.queued += 1;
              tell();
              row = await this.settle(id);
            }
            if (row) {
              progress.settled += 1;
              progress.byState[row.state] = (progress.byState[row.state] ?? 0) + 1;
              tell();
            }
            return row;
          }),
        ),
      );
      // Orders written in the last day are read back once after their settle window, so a
      // duplicate a late commit left is removed even when its writer crashed before checking.
      if (this.switches.enableConnector && !this.switches.dryRun && !watch.stopped?.()) {
        await this.readBack.readBackRecent().catch((error: unknown) => {
          this.logger.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'read-back of recent orders failed; the next reconciliation tries again',
          );
        });
      }
      progress.phase = 'done';
      tell();
      const report = await this.report(
        'bulk',
        rows.filter((r): r is SyncEventRow => r !== undefined),
        cid,
        since,
      );
      report.summary.queried = ids.length;
      const s = report.summary;
      this.logger.log(
        { summary: s, fromDate, toDate },
        `sync of recent events: queried ${s.queried}, created ${s.created}, injected ${s.injected}, already synced ${s.alreadySynced}, skipped ${s.skipped}, failed ${s.failed}`,
      );
      return report;
    });
  }

  /** Runs `fn` with the id of the work in progress, or under a fresh `sync-…` id outside any. */
  private withCorrelationId<T>(fn: (cid: string) => Promise<T>): Promise<T> {
    const cid = currentCorrelationId();
    if (cid) return fn(cid);
    const fresh = newCorrelationId('sync');
    return runWithCorrelationId(this.cls, { id: fresh }, () => fn(fresh));
  }

  /** Processes the event here if it is due, else waits for whoever holds it; returns its row. */
  private async settle(eventId: string): Promise<SyncEventRow> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      // A claim can lose to a concurrent one (another worker, another replica, SKIP LOCKED); then
      // wait for that one to finish, and claim again if it left the event due.
      if (this.switches.enableConnector) await this.worker.runNow(eventId);
      const row = await this.ledger.get(eventId);
      if (!row) throw new Error(`event ${eventId} vanished from the ledger`);
      if (Date.now() > deadline || this.stopping || !this.unsettled(row)) return row;
      await sleep(WAIT_POLL_MS);
    }
  }

  /** Still being processed, or due and about to be. */
  private unsettled(row: SyncEventRow): boolean {
    if (row.state === 'IN_PROGRESS') return true;
    if (!this.switches.enableConnector) return false;
    // A row just queued is due for whoever queued it: when it looks not yet due here, that is the
    // clock skew between replicas, and the replica that queued it is about to claim it.
    if (row.state === 'PENDING' && row.reason === ReasonCode.QUEUED) return true;
    const due = row.next_attempt_at <= this.clock.now().getTime();
    return due && (row.state === 'PENDING' || row.state === 'HELD');
  }

  private async report(
    mode: 'single' | 'bulk',
    rows: SyncEventRow[],
    cid: string,
    since: number,
  ): Promise<SyncReport> {
    const withOrder = rows.filter((r) => OUR_ORDER_STATES.includes(r.state)).map((r) => r.event_id);
    const written =
      withOrder.length > 0
        ? await this.ledger.injectedOutcomes(withOrder, cid, since)
        : new Map<string, (string | null)[]>();
    const summary = emptySummary();
    const events: EventReport[] = rows.map((row) => {
      const disabled = !this.switches.enableConnector && row.state === 'PENDING';
      const outcome = outcomeOf(row.state, written.get(row.event_id) ?? [], disabled);
      count(summary, outcome);
      return {
        eventId: row.event_id,
        status: row.state,
        reason: disabled ? ReasonCode.CONNECTOR_DISABLED : row.reason,
        revelOrderId: row.revel_order_id,
        detail: row.detail,
        outcome,
      };
    });
    return { success: summary.failed === 0, mode, summary, events };
  }
}

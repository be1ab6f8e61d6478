import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Bottleneck from 'bottleneck';
import { DateTime } from 'luxon';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { ReasonCode } from './reason-codes';
import { SyncWorker } from './sync.worker';
import { bucketOf, emptySummary, EventReport, RunProgress, SyncReport } from './sync.types';

const WAIT_POLL_MS = 100;
const WAIT_LIMIT_MS = 120_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one event now, or every recent event (manual bulk sync and the reconciliation), through the
 * same ledger and worker as the webhook path: one event is never processed twice at once, and the
 * ledger, not TripleSeat or Revel, knows what is already done.
 */
@Injectable()
export class SyncService {
  private readonly logger = new Logger(SyncService.name);

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly worker: SyncWorker,
    private readonly tripleseat: TripleSeatClient,
    private readonly clock: Clock,
  ) {}

  async syncOne(eventId: string): Promise<SyncReport> {
    await this.ledger.enqueue(eventId, {
      correlationId: currentCorrelationId(),
      reason: 'manual sync',
    });
    const row = await this.settle(eventId);
    const report = this.report('single', [row]);
    report.summary.queried = 1;
    return report;
  }

  /**
   * Lists TripleSeat's events dated within the look-back window (through tomorrow, so that today
   * is covered in every time zone) and makes sure each eligible one ends with its order.
   */
  async syncRecent(
    hoursBack: number,
    onProgress?: (progress: RunProgress) => void,
  ): Promise<SyncReport> {
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
    }
    const ids = [...seen.keys()];
    const done = await this.ledger.settledWithOrder(ids);
    const cid = currentCorrelationId();
    const limiter = new Bottleneck({ maxConcurrent: this.config.workerConcurrency });
    const progress: RunProgress = { total: ids.length, done: 0 };
    onProgress?.({ ...progress });
    const rows = await Promise.all(
      ids.map((id) =>
        limiter
          .schedule(async () => {
            // An order exists: no write, but a changed event gets a drift check (no upstream
            // call here; none at all when TripleSeat's updated_at is the one already seen).
            if (done.has(id)) return this.ledger.requestDriftCheckIfChanged(id, seen.get(id), cid);
            await this.ledger.enqueue(id, {
              correlationId: cid,
              reason: 'reconciliation',
              sourceUpdatedAt: seen.get(id),
              onlyIfChanged: true,
            });
            return this.settle(id);
          })
          .finally(() => {
            progress.done += 1;
            onProgress?.({ ...progress });
          }),
      ),
    );
    const report = this.report(
      'bulk',
      rows.filter((r): r is SyncEventRow => r !== undefined),
    );
    report.summary.queried = ids.length;
    this.logger.log(
      { summary: report.summary, fromDate, toDate },
      `sync of recent events: queried ${report.summary.queried}, injected ${report.summary.injected}, already synced ${report.summary.alreadySynced}, skipped ${report.summary.skipped}, failed ${report.summary.failed}`,
    );
    return report;
  }

  /** Processes the event here if it is due, else waits for whoever holds it; returns its row. */
  private async settle(eventId: string): Promise<SyncEventRow> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      // A claim can lose to a concurrent one (another worker, another replica, SKIP LOCKED); then
      // wait for that one to finish, and claim again if it left the event due.
      if (this.config.enableConnector) await this.worker.runNow(eventId);
      const row = await this.ledger.get(eventId);
      if (!row) throw new Error(`event ${eventId} vanished from the ledger`);
      if (Date.now() > deadline || !this.unsettled(row)) return row;
      await sleep(WAIT_POLL_MS);
    }
  }

  /** Still being processed, or due and about to be. */
  private unsettled(row: SyncEventRow): boolean {
    if (row.state === 'IN_PROGRESS') return true;
    const due = row.next_attempt_at <= this.clock.now().getTime();
    return this.config.enableConnector && due && (row.state === 'PENDING' || row.state === 'HELD');
  }

  private report(mode: 'single' | 'bulk', rows: SyncEventRow[]): SyncReport {
    const summary = emptySummary();
    const events: EventReport[] = rows.map((row) => {
      const disabled = !this.config.enableConnector && row.state === 'PENDING';
      const reason = disabled ? ReasonCode.CONNECTOR_DISABLED : row.reason;
      summary[disabled ? 'skipped' : bucketOf(row.state)] += 1;
      return {
        eventId: row.event_id,
        status: row.state,
        reason,
        revelOrderId: row.revel_order_id,
        detail: row.detail,
      };
    });
    return { success: summary.failed === 0, mode, summary, events };
  }
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { revelConfig, syncConfig } from '../config/configuration';
import { SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { MailerService } from '../notifications/mailer.service';
import { toCents } from '../orders/money';
import type { OrderWriteProgress } from '../orders/order-draft';
import { historyUuid, orderUuid, paymentUuid } from '../orders/order.mapper';
import type { ExpectedOrder } from '../revel/order-comparison';
import { describeForeign, describeRepairs, RevelOrderReadBack } from '../revel/order-read-back';
import { OrderSummary, parseOrderSummary } from './drift';
import {
  duplicateDetail,
  EventPipelineService,
  mismatchDetail,
  parseProgress,
} from './event-pipeline.service';
import { ReasonCode } from './reason-codes';
import { RESYNC_DETAIL } from './resync.service';

/** How far back reconciliation reads written orders back. */
const READ_BACK_LOOKBACK_MS = 24 * 3_600_000;
/** Orders read back per reconciliation run at most (the rest wait for the next run). */
const READ_BACK_BATCH = 200;

export interface ReadBackReport {
  checked: number;
  repaired: number;
  duplicates: number;
  failed: number;
}

/**
 * Reconciliation's read-back: each order of ours written in the last day, once its settle window
 * is over, is read back from Revel the way the writer reads back a write in doubt (see
 * RevelOrderReadBack), so a duplicate left by a late commit is removed even when the process that
 * wrote the order crashed before its own read-back. An order that passes is marked `verified` in
 * its progress and not read again; an unrepairable one becomes FAILED with REVEL_DUPLICATE and an
 * e-mail. Each order is leased like a resync, so no worker or other replica works on it meanwhile.
 */
@Injectable()
export class ReadBackService {
  private readonly logger = new Logger(ReadBackService.name);

  constructor(
    @Inject(revelConfig.KEY) private readonly revel: ConfigType<typeof revelConfig>,
    @Inject(syncConfig.KEY) private readonly sync: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly readBack: RevelOrderReadBack,
    private readonly pipeline: EventPipelineService,
    private readonly mailer: MailerService,
    private readonly clock: Clock,
  ) {}

  async readBackRecent(): Promise<ReadBackReport> {
    const now = this.clock.now().getTime();
    const settleMs = this.revel.writeSettleSeconds * 1000;
    const rows = await this.ledger.ordersToReadBack(
      now - READ_BACK_LOOKBACK_MS,
      now - settleMs,
      READ_BACK_BATCH,
    );
    const report: ReadBackReport = { checked: 0, repaired: 0, duplicates: 0, failed: 0 };
    for (const row of rows) {
      try {
        const outcome = await this.readBackOne(row);
        if (outcome === undefined) continue;
        report.checked += 1;
        if (outcome.repaired) report.repaired += 1;
        if (outcome.duplicate) report.duplicates += 1;
      } catch (error) {
        // One order's failure (Revel down) leaves it for the next run; the others go on.
        report.failed += 1;
        this.logger.warn(
          { eventId: row.event_id, err: error instanceof Error ? error.message : String(error) },
          'read-back of a written order failed; the next reconciliation tries again',
        );
      }
    }
    if (rows.length > 0) this.logger.log(report, 'read-back of recent orders');
    return report;
  }

  private async readBackOne(
    row: SyncEventRow,
  ): Promise<{ repaired: boolean; duplicate: boolean } | undefined> {
    const progress = parseProgress(row.progress);
    // A write in doubt waits for its own window (the writer's read-back comes first).
    if ((progress.readBackAfter ?? 0) > Date.now()) return undefined;
    const summary = parseOrderSummary(row.order_summary);
    const orderId = Number(row.revel_order_id);
    if (!summary || row.establishment_id === null || !Number.isSafeInteger(orderId)) {
      return undefined;
    }
    const owner = `read-back:${randomUUID().slice(0, 8)}`;
    const leased = await this.ledger.leaseForResync(row.event_id, owner, this.pipeline.leaseMs);
    if (!leased) return undefined;
    let finished = false;
    try {
      const expected = await this.expectedOf(row, summary, progress);
      const result = await this.readBack.readBack({
        eventId: row.event_id,
        establishmentId: row.establishment_id,
        localId: summary.localId,
        orderUuid: orderUuid(this.ledger.ledgerId, row.event_id),
        orderId,
        ...(expected ? { expected } : {}),
        // Runs are further apart than the settle window, so a re-post of unknown outcome is
        // looked for again, fresh, by the next run before anything is sent again.
        ...(progress.unknown ? { unknown: progress.unknown } : {}),
      });
      const notes = [
        ...(result.repairs.length > 0 ? [describeRepairs(result.repairs)] : []),
        ...(result.foreign.length > 0 ? [describeForeign(result.foreign)] : []),
      ];
      const repaired =
        notes.length > 0
          ? `read-back of Revel order ${orderId} by reconciliation: ${notes.join('; ')}`
          : undefined;
      const failure = result.unrepairable
        ? {
            reason: ReasonCode.REVEL_DUPLICATE,
            detail: duplicateDetail(
              orderId,
              result.unrepairable.recordIds,
              result.unrepairable.why,
            ),
          }
        : result.mismatch
          ? {
              reason: ReasonCode.REVEL_MISMATCH,
              detail: mismatchDetail(orderId, result.mismatch),
            }
          : undefined;
      const cid = currentCorrelationId();
      finished = await this.ledger.finishReadBack(
        row.event_id,
        owner,
        {
          progress: { ...progress, ...(failure ? {} : { verified: true }) },
          ...(repaired ? { repaired } : {}),
          ...(failure ? { failure } : {}),
        },
        cid,
      );
      if (finished && failure) {
        await this.mailer.eventFailed({
          eventId: row.event_id,
          state: 'FAILED',
          eventName: row.event_name ?? undefined,
          eventDate: row.event_date ?? undefined,
          locationName: row.location_key
            ? this.sync.locations.get(row.location_key)?.name
            : undefined,
          reason: failure.reason,
          detail: failure.detail,
          attempts: row.attempts,
          correlationId: cid,
        });
      }
      return { repaired: result.repairs.length > 0, duplicate: failure !== undefined };
    } finally {
      if (!finished) await this.ledger.releaseResync(row.event_id, owner);
    }
  }

  /**
   * What the order must hold, from the ledger: totals from the summary, items and the write's
   * local time from the progress the writer kept. An order a resync rewrote has items of other
   * uuids (paired by product), so its items are not compared, only its payment, history and
   * totals. Undefined for rows written before the writer kept its expectation (duplicates only).
   */
  private async expectedOf(
    row: SyncEventRow,
    summary: OrderSummary,
    progress: OrderWriteProgress,
  ): Promise<ExpectedOrder | undefined> {
    const kept = progress.expected;
    const money = {
      subtotalCents: toCents(summary.subtotal),
      discountCents: toCents(summary.discount),
      surchargeCents: toCents(summary.surcharge),
      finalTotalCents: toCents(summary.finalTotal),
    };
    const { subtotalCents, discountCents, surchargeCents, finalTotalCents } = money;
    if (
      !kept ||
      row.establishment_id === null ||
      subtotalCents === undefined ||
      discountCents === undefined ||
      surchargeCents === undefined ||
      finalTotalCents === undefined
    ) {
      return undefined;
    }
    const history = await this.ledger.history(row.event_id);
    const resynced = history.some((entry) => entry.detail === RESYNC_DETAIL);
    const ledgerId = this.ledger.ledgerId;
    return {
      eventId: row.event_id,
      establishmentId: row.establishment_id,
      orderUuid: orderUuid(ledgerId, row.event_id),
      paymentUuid: paymentUuid(ledgerId, row.event_id),
      historyUuid: historyUuid(ledgerId, row.event_id),
      subtotalCents,
      discountCents,
      surchargeCents,
      finalTotalCents,
      localTimestamp: kept.localTimestamp,
      ...(resynced ? {} : { lines: kept.lines }),
    };
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig, syncConfig } from '../config/configuration';
import { DatabaseUnavailableError } from '../database/database-errors';
import { LedgerState, ORDER_EXISTS_STATES, SyncEventRow } from '../database/database.types';
import { LedgerRepository, Outcome } from '../database/ledger.repository';
import { MappingsRepository } from '../mappings/mappings.repository';
import { MailerService } from '../notifications/mailer.service';
import type { AttentionState } from '../notifications/notification.types';
import { OrderDraft, OrderWriteProgress } from '../orders/order-draft';
import { describeForeign, describeRepairs } from '../revel/order-read-back';
import {
  RevelOrderWriter,
  SETTLE_WAIT_CODES,
  WritesStoppedError,
} from '../revel/order-writer.service';
import { RevelProductCatalog } from '../revel/product-catalog';
import type { RevelProduct } from '../revel/revel.types';
import { SWITCH_REFRESH_MS, SwitchesService } from '../switches/switches.service';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { TripleSeatBooking, TripleSeatEvent } from '../tripleseat/tripleseat.types';
import type { Location } from '../config/locations';
import { guestCountOf, OrderSummary, statusOf } from './drift';
import {
  EligibilityResult,
  evaluateEligibility,
  siteDateTime,
  unmatchedDeadline,
} from './eligibility';
import { centsToDecimalString } from '../orders/money';
import { hasInvoiceLines } from '../orders/invoice';
import { buildOrderDraft, contentHash } from '../orders/order.mapper';
import { ReasonCode } from './reason-codes';
import {
  describeLine,
  isNewUnmatchedSet,
  leftOutNote,
  mappingResolves,
  UnmatchedLine,
  unmatchedKey,
  unmatchedLinesOf,
} from './unmatched';
import { PARTIAL_ORDER_COMPLETED } from './sync.types';

/**
 * A mapping saved this long before a pass began building its draft may not have been read by it
 * (replica clocks differ a little); such a pass makes its HELD row due again.
 */
const MAPPING_RACE_MS = 5_000;

const UNMATCHED_DEADLINE_WORDS = 'UNMATCHED_WRITE_LEAD_MINUTES before its start at the site';

/** Raised when a worker finds that its lease is gone: someone else owns the event now. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * Raised by `process` when the worker asked it to stop (shutdown) and it reached a step boundary of
 * the Revel write with its progress saved: the caller releases the row, and whoever claims it next
 * resumes the order from that step.
 */
export class StopRequestedError extends Error {
  override readonly name = 'StopRequestedError';
}

export interface ProcessOptions {
  /** Asked after each saved Revel write step: true stops the pass there (StopRequestedError). */
  shouldStop?: () => boolean;
}

/**
 * The summary of a draft kept in the ledger and returned by the API. With the event, it also keeps
 * the guest count and status the order was written for, which drift checks compare against.
 */
export function summarizeDraft(draft: OrderDraft, event?: TripleSeatEvent): OrderSummary {
  const summary: OrderSummary = {
    establishmentId: draft.establishmentId,
    localId: draft.localId,
    lines: draft.lines.map((l) => ({
      name: l.productName,
      sourceName: l.sourceName,
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: centsToDecimalString(l.unitPriceCents),
      lineTotal: centsToDecimalString(l.lineTotalCents),
      match: l.match,
    })),
    // Similarity to two decimals: a score is a hint for a person, not a measurement.
    unmatched: draft.unmatched.map((u) =>
      u.closest
        ? { ...u, closest: { ...u.closest, score: Math.round(u.closest.score * 100) / 100 } }
        : u,
    ),
    subtotal: centsToDecimalString(draft.subtotalCents),
    discount: centsToDecimalString(draft.discountCents),
    surcharge: centsToDecimalString(draft.surchargeCents),
    finalTotal: centsToDecimalString(draft.finalTotalCents),
    source: draft.source,
    grandTotalSource: draft.grandTotalSource,
    ignored: draft.ignored.map((line) => ({
      name: line.name,
      category: line.category,
      ...(line.quantity !== undefined ? { quantity: line.quantity } : {}),
      amount: centsToDecimalString(line.amountCents),
    })),
    adjustments: draft.adjustments.map((a) => ({
      kind: a.kind,
      label: a.label,
      amount: centsToDecimalString(a.amountCents),
    })),
  };
  if (event) {
    summary.guestCount = guestCountOf(event);
    summary.status = statusOf(event);
  }
  return summary;
}

/**
 * The pipeline for one claimed ledger row: fetch → eligibility and time gate → items → order
 * draft → resumable Revel write. It never throws: every path ends in a ledger outcome, so the
 * caller (worker, manual sync, reconciliation) only reports.
 */
@Injectable()
export class EventPipelineService {
  private readonly logger = new Logger(EventPipelineService.name);

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    @Inject(revelConfig.KEY) private readonly revel: ConfigType<typeof revelConfig>,
    private readonly ledger: LedgerRepository,
    private readonly tripleseat: TripleSeatClient,
    private readonly catalog: RevelProductCatalog,
    private readonly writer: RevelOrderWriter,
    private readonly mailer: MailerService,
    private readonly clock: Clock,
    private readonly mappings: MappingsRepository,
    private readonly switches: SwitchesService,
  ) {}

  get leaseMs(): number {
    return this.config.leaseSeconds * 1000;
  }

  /**
   * Processes a row claimed by `owner`; returns the state it settled in. It settles every failure
   * of the upstreams itself; it throws only when the ledger is unavailable (DatabaseUnavailableError:
   * nothing can be recorded, and no attempt is counted) or when `shouldStop` stopped it
   * (StopRequestedError).
   */
  async process(
    row: SyncEventRow,
    owner: string,
    options: ProcessOptions = {},
  ): Promise<LedgerState | undefined> {
    const eventId = row.event_id;
    const cid = currentCorrelationId();
    // What is known of the event once fetched (its name; its location and date once eligible) goes
    // with every outcome, failures included, so the console can place and find the event.
    let known: Partial<Outcome> = {};
    const settle = async (outcome: Outcome): Promise<LedgerState | undefined> => {
      const ok = await this.ledger.settle(eventId, owner, { ...known, ...outcome }, cid);
      if (!ok) {
        this.logger.warn(
          { eventId },
          'lease lost before the outcome was recorded; another worker owns it',
        );
        return undefined;
      }
      const log = {
        eventId,
        state: outcome.state,
        reason: outcome.reason,
        revelOrderId: outcome.revelOrderId,
      };
      if (outcome.state === 'FAILED')
        this.logger.error(log, `event ${outcome.state}: ${outcome.detail ?? ''}`);
      else this.logger.log(log, `event ${outcome.state} (${outcome.reason})`);
      return outcome.state;
    };

    try {
      const event = await this.tripleseat.getEvent(eventId);
      known = { eventName: event.name ?? null };
      const sourceUpdatedAt = event.updated_at ?? null;
      const now = this.clock.now();
      const progress = parseProgress(row.progress);
      // A partly written order is completed, not abandoned: the time gate held when it was begun
      // (a Revel outage may have pushed the rest past midnight at the site).
      const partial =
        progress.orderId !== undefined ||
        progress.createUnknownAt !== undefined ||
        Object.keys(progress.unknown ?? {}).length > 0;
      const verdict = this.evaluate(event, { ignoreTimeGate: partial }, now);
      if (verdict.outcome === 'skip' && partial) {
        const detail = `Revel order ${progress.orderId ?? '(create pending)'} is partly written but the event is no longer eligible (${verdict.reason}: ${verdict.detail}); an operator must finish or void it`;
        const state = await settle({
          state: 'FAILED',
          reason: verdict.reason,
          detail,
          sourceUpdatedAt,
        });
        if (state)
          await this.notifyFailure('FAILED', event, eventId, verdict.reason, detail, row.attempts);
        return state;
      }
      if (verdict.outcome === 'skip') {
        return await settle({
          state: 'SKIPPED',
          reason: verdict.reason,
          detail: verdict.detail,
          sourceUpdatedAt,
          attempts: 0,
          // No order is due any more (cancelled, moved away…): its lines need no one.
          unmatched: null,
        });
      }
      const where = {
        establishmentId: verdict.location.revelEstablishmentId,
        locationKey: verdict.location.key,
        eventDate: verdict.eventDate,
        sourceUpdatedAt,
      };
      known = {
        ...known,
        establishmentId: where.establishmentId,
        locationKey: where.locationKey,
        eventDate: where.eventDate,
      };
      const deadline = this.deadlineOf(event, verdict.location, verdict.eventDate);
      if (verdict.outcome === 'hold') {
        // Early warning: the draft its day will bring, so unmatched lines show days ahead.
        const early = await this.earlyDraft(event, verdict.location, now);
        const lines = early ? unmatchedLinesOf(early) : undefined;
        const tell = lines !== undefined && isNewUnmatchedSet(lines, row.unmatched_notified);
        const state = await settle({
          state: 'HELD',
          reason: verdict.reason,
          detail: `held until ${verdict.dueAt.toISOString()} (${verdict.eventDate} in ${verdict.location.timezone})`,
          nextAttemptAt: verdict.dueAt.getTime(),
          attempts: 0,
          ...(early && lines
            ? { orderSummary: summarizeDraft(early, event), unmatched: lines }
            : {}),
          ...(tell && lines ? { unmatchedNotified: unmatchedKey(lines) } : {}),
          ...where,
        });
        if (state && tell && lines)
          void this.notifyUnmatched(event, eventId, verdict.location, lines, 'early', deadline);
        return state;
      }

      const startedAt = now.getTime();
      let draft = await this.draftFor(event, verdict.location, now);
      const lines = unmatchedLinesOf(draft);
      if (!partial && this.holdsForUnmatched(draft, deadline, row.allow_unmatched === 1, now)) {
        return await this.holdForUnmatched(row, settle, {
          event,
          draft,
          lines,
          deadline,
          location: verdict.location,
          startedAt,
          where,
        });
      }
      if (lines.length > 0 && draft.lines.length > 0) {
        // Written without them: the order's notes tell the kitchen what to add by hand.
        draft = { ...draft, notes: `${draft.notes} | ${leftOutNote(lines)}` };
      }
      const summary = summarizeDraft(draft, event);
      const hash = contentHash(draft);
      if (draft.lines.length === 0) {
        const names =
          draft.unmatched.map((u) => u.name).join(', ') ||
          (draft.source.kind === 'none'
            ? 'no document has line items (fetched with show_financial=true) and the booking has no packing field'
            : draft.ignored.length > 0
              ? `only venue lines (${draft.ignored.map((l) => l.name).join(', ')})`
              : 'no line items');
        const state = await settle({
          state: 'SKIPPED',
          reason: ReasonCode.NO_ITEMS_MATCHED,
          detail: `no item resolved to a Revel product: ${names}`,
          orderSummary: summary,
          unmatched: lines,
          attempts: 0,
          ...where,
        });
        if (state)
          await this.notifyFailure(
            'SKIPPED',
            event,
            eventId,
            ReasonCode.NO_ITEMS_MATCHED,
            `unmatched: ${names}`,
            row.attempts,
            verdict.location.name,
          );
        return state;
      }
      if (this.switches.dryRun) {
        this.logger.log({ eventId, order: summary }, 'DRY_RUN: order computed, nothing written');
        return await settle({
          state: 'DRY_RUN',
          reason: ReasonCode.DRY_RUN,
          detail: `would write ${draft.lines.length} items, total ${summary.finalTotal}`,
          orderSummary: summary,
          unmatched: lines,
          contentHash: hash,
          attempts: 0,
          ...where,
        });
      }

      const outcome = await this.writer.write(
        draft,
        progress,
        async (p) => {
          const ok = await this.ledger.saveProgress(
            eventId,
            owner,
            p,
            this.leaseMs,
            p.orderId ? String(p.orderId) : undefined,
          );
          if (!ok)
            throw new LeaseLostError(`lease on event ${eventId} lost during the Revel write`);
          if (options.shouldStop?.()) {
            throw new StopRequestedError(`stopped after a saved step of event ${eventId}'s order`);
          }
        },
        // The kill switch, read fresh right before a new order leaves: a flip on any replica that
        // returned stops every order not yet created; one already created finishes its steps.
        { mayCreateOrder: () => this.switches.enableConnectorNow() },
      );
      if (outcome.kind !== 'already-exists' && outcome.repairs.length > 0) {
        await this.ledger.recordHistory(
          eventId,
          {
            state: 'IN_PROGRESS',
            reason: ReasonCode.REVEL_REPAIRED,
            detail: `read-back of Revel order ${outcome.orderId}: ${describeRepairs(outcome.repairs)}`,
          },
          cid,
        );
      }
      if (outcome.kind === 'written' && outcome.foreign && outcome.foreign.length > 0) {
        await this.ledger.recordHistory(
          eventId,
          {
            state: 'IN_PROGRESS',
            reason: ReasonCode.REVEL_REPAIRED,
            detail: `read-back of Revel order ${outcome.orderId}: ${describeForeign(outcome.foreign)}`,
          },
          cid,
        );
      }
      if (outcome.kind === 'duplicate' || outcome.kind === 'mismatch') {
        const [reason, detail] =
          outcome.kind === 'duplicate'
            ? [
                ReasonCode.REVEL_DUPLICATE,
                duplicateDetail(outcome.orderId, outcome.recordIds, outcome.why),
              ]
            : [ReasonCode.REVEL_MISMATCH, mismatchDetail(outcome.orderId, outcome.differences)];
        const state = await settle({
          state: 'FAILED',
          reason,
          detail,
          revelOrderId: String(outcome.orderId),
          orderSummary: summary,
          contentHash: hash,
          ...where,
        });
        if (state) {
          await this.notifyFailure(
            'FAILED',
            event,
            eventId,
            reason,
            detail,
            row.attempts,
            verdict.location.name,
          );
        }
        return state;
      }
      if (outcome.kind === 'already-exists') {
        return await settle({
          state: 'ALREADY_EXISTS',
          reason: ReasonCode.ALREADY_EXISTS,
          detail: `Revel order ${outcome.orderId} already has local_id "${outcome.localId}"`,
          revelOrderId: String(outcome.orderId),
          orderSummary: summary,
          contentHash: hash,
          unmatched: null,
          ...where,
        });
      }
      const state = await settle({
        state: 'INJECTED',
        reason: ReasonCode.INJECTED,
        detail: outcome.resumed ? PARTIAL_ORDER_COMPLETED : undefined,
        revelOrderId: String(outcome.orderId),
        orderSummary: summary,
        unmatched: lines,
        contentHash: hash,
        ...where,
      });
      if (state) {
        await this.mailer.orderInjected({
          eventId,
          eventName: event.name ?? undefined,
          eventDate: verdict.eventDate,
          locationName: verdict.location.name,
          establishmentId: String(verdict.location.revelEstablishmentId),
          revelOrderId: String(outcome.orderId),
          items: summary.lines.map((l) => ({
            name: l.name,
            quantity: l.quantity,
            unitPrice: l.unitPrice,
          })),
          unmatched: lines.map((u) => ({
            name: u.name,
            quantity: u.quantity,
            ...(u.amount !== undefined ? { amount: u.amount } : {}),
          })),
          adjustments: summary.adjustments ?? [],
          subtotal: summary.subtotal,
          discount: summary.discount,
          surcharge: summary.surcharge,
          finalTotal: summary.finalTotal,
          correlationId: cid,
        });
      }
      return state;
    } catch (error) {
      return this.settleFailure(row, error, settle);
    }
  }

  /**
   * Holds an event on its day for lines with no Revel product (UNMATCHED_ITEMS) until its
   * deadline, when it is written with what matches. A mapping saved meanwhile makes the row due;
   * one saved while this pass was building the draft is caught here, after the row is HELD.
   */
  private async holdForUnmatched(
    row: SyncEventRow,
    settle: (o: Outcome) => Promise<LedgerState | undefined>,
    held: {
      event: TripleSeatEvent;
      draft: OrderDraft;
      lines: UnmatchedLine[];
      deadline: Date;
      location: Location;
      startedAt: number;
      where: Partial<Outcome>;
    },
  ): Promise<LedgerState | undefined> {
    const { event, draft, lines, deadline, location } = held;
    const tell = isNewUnmatchedSet(lines, row.unmatched_notified);
    const none = draft.lines.length === 0;
    const state = await settle({
      state: 'HELD',
      reason: ReasonCode.UNMATCHED_ITEMS,
      detail:
        `held until ${deadline.toISOString()} (${UNMATCHED_DEADLINE_WORDS}) for ` +
        `${lines.length} line(s) with no Revel product: ${lines.map(describeLine).join('; ')}` +
        (none ? '; no line matches, so nothing is written then' : ''),
      nextAttemptAt: deadline.getTime(),
      attempts: 0,
      orderSummary: summarizeDraft(draft, event),
      unmatched: lines,
      ...(tell ? { unmatchedNotified: unmatchedKey(lines) } : {}),
      ...held.where,
    });
    if (!state) return state;
    const changed = await this.mappings.changedSince(
      location.key,
      held.startedAt - MAPPING_RACE_MS,
    );
    if (changed.some((source) => lines.some((line) => mappingResolves(source, line)))) {
      await this.ledger.makeHeldDue(row.event_id);
    }
    if (tell) void this.notifyUnmatched(event, row.event_id, location, lines, 'held', deadline);
    return state;
  }

  /**
   * Whether an event of today whose draft has unmatched lines waits for them: UNMATCHED_POLICY is
   * `hold`, no operator asked to write without them, and its deadline has not come.
   */
  holdsForUnmatched(
    draft: OrderDraft,
    deadline: Date,
    allowUnmatched: boolean,
    now: Date = this.clock.now(),
  ): boolean {
    return (
      draft.unmatched.length > 0 &&
      this.config.unmatchedPolicy === 'hold' &&
      !allowUnmatched &&
      now.getTime() < deadline.getTime()
    );
  }

  /** The deadline of an event held for unmatched lines at `location` on `eventDate`. */
  deadlineOf(event: TripleSeatEvent, location: Location, eventDate: string): Date {
    return unmatchedDeadline(
      event,
      eventDate,
      location.timezone,
      this.config.unmatchedWriteLeadMinutes,
    );
  }

  /** The draft of a held event, for its early warning; undefined when it cannot be built now. */
  private async earlyDraft(
    event: TripleSeatEvent,
    location: Location,
    now: Date,
  ): Promise<OrderDraft | undefined> {
    try {
      return await this.draftFor(event, location, now);
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      this.logger.warn(
        { eventId: String(event.id), err: error instanceof Error ? error.message : String(error) },
        'the draft of a held event could not be built; its unmatched lines are checked again at its next pass',
      );
      return undefined;
    }
  }

  /**
   * Not awaited by the pass: a HELD row can be claimed again at once (a mapping, a webhook), and
   * the mailer never rejects; shutdown waits for sends in flight.
   */
  private async notifyUnmatched(
    event: TripleSeatEvent,
    eventId: string,
    location: Location,
    lines: UnmatchedLine[],
    held: 'early' | 'held',
    deadline: Date,
  ): Promise<void> {
    await this.mailer.unmatchedItems({
      eventId,
      eventName: event.name ?? undefined,
      eventDate: event.event_date ?? undefined,
      locationName: location.name,
      unmatched: lines.map((l) => ({
        name: l.name,
        quantity: l.quantity,
        ...(l.amount !== undefined ? { amount: l.amount } : {}),
      })),
      held,
      deadline: `${siteDateTime(deadline, location.timezone)} at ${location.name}`,
      correlationId: currentCorrelationId(),
    });
  }

  private async settleFailure(
    row: SyncEventRow,
    error: unknown,
    settle: (o: Outcome) => Promise<LedgerState | undefined>,
  ): Promise<LedgerState | undefined> {
    const eventId = row.event_id;
    if (error instanceof LeaseLostError) {
      this.logger.warn({ eventId }, error.message);
      return undefined;
    }
    // Neither is the event's fault: the worker releases the row (or its lease expires) and the
    // next pass resumes it with its attempts untouched.
    if (error instanceof StopRequestedError || error instanceof DatabaseUnavailableError) {
      throw error;
    }
    if (error instanceof WritesStoppedError) {
      // Nothing was sent; the worker takes the event again once the connector is back on (not
      // before this replica's cached switch has caught up, so it is not claimed again at once).
      this.logger.warn({ eventId }, error.message);
      return settle({
        state: 'PENDING',
        reason: ReasonCode.CONNECTOR_DISABLED,
        detail: error.message,
        attempts: row.attempts,
        nextAttemptAt: this.clock.now().getTime() + SWITCH_REFRESH_MS,
      });
    }
    if (error instanceof UpstreamError && error.code && SETTLE_WAIT_CODES.has(error.code)) {
      // Waiting out the settle window is not a failure of the event: no attempt is counted.
      const nextAttemptAt = this.clock.now().getTime() + (error.retryAfterMs ?? 0);
      this.logger.log({ eventId, retryInMs: error.retryAfterMs }, error.message);
      return settle({
        state: 'PENDING',
        reason: ReasonCode.UPSTREAM_RETRYABLE,
        detail: error.message,
        attempts: row.attempts,
        nextAttemptAt,
      });
    }
    if (error instanceof UpstreamError && error.upstream === 'tripleseat' && error.status === 404) {
      return settle({
        state: 'SKIPPED',
        reason: ReasonCode.EVENT_NOT_FOUND,
        detail: error.message,
        attempts: 0,
      });
    }
    const attempts = row.attempts + 1;
    const detail = error instanceof Error ? error.message : String(error);
    // Unknown errors are bugs or surprises; retrying them is safe (every step is idempotent).
    const retryable = error instanceof UpstreamError ? error.retryable : true;
    if (retryable && attempts < this.config.maxAttempts) {
      const delay = this.backoff(
        attempts,
        error instanceof UpstreamError ? error.retryAfterMs : undefined,
      );
      const nextAttemptAt = this.clock.now().getTime() + delay;
      this.logger.warn(
        { eventId, attempts, retryInMs: delay, err: detail },
        'event failed; will retry',
      );
      return settle({
        state: 'PENDING',
        reason: ReasonCode.UPSTREAM_RETRYABLE,
        detail,
        attempts,
        nextAttemptAt,
      });
    }
    const reason = retryable
      ? ReasonCode.RETRIES_EXHAUSTED
      : error instanceof UpstreamError && error.isAuthFailure
        ? ReasonCode.UPSTREAM_AUTH_FAILED
        : ReasonCode.UPSTREAM_PERMANENT;
    const state = await settle({ state: 'FAILED', reason, detail, attempts });
    if (state) await this.notifyFailure('FAILED', undefined, eventId, reason, detail, attempts);
    return state;
  }

  /** Exponential backoff with full jitter, capped; never shorter than what the upstream asked. */
  backoff(attempt: number, retryAfterMs?: number): number {
    const cap = Math.min(
      this.config.retryMaxDelayMs,
      this.config.retryBaseDelayMs * 2 ** (attempt - 1),
    );
    const jittered = cap / 2 + Math.random() * (cap / 2);
    return Math.max(Math.round(jittered), retryAfterMs ?? 0);
  }

  /** Eligibility as the pipeline decides it; a drift check may skip the time gate. */
  evaluate(
    event: TripleSeatEvent,
    options: { ignoreTimeGate?: boolean } = {},
    now: Date = this.clock.now(),
  ): EligibilityResult {
    return evaluateEligibility(event, {
      locations: this.config.locations,
      eligibleStatuses: this.config.eligibleStatuses,
      allowedLocations: this.config.allowedLocations,
      now,
      ...(options.ignoreTimeGate ? { ignoreTimeGate: true } : {}),
    });
  }

  /**
   * The order the pipeline writes for `event` at `location`: reads the booking (only when no
   * document has line items: the packing-field last resort), the location's product mappings in
   * the database (read per draft, so a change made through the API applies on every replica at
   * once; they win over the locations file) and the product catalogue. Writes nothing.
   */
  async draftFor(
    event: TripleSeatEvent,
    location: Location,
    now: Date = this.clock.now(),
  ): Promise<OrderDraft> {
    const booking = await this.bookingIfNeeded(event);
    const mapped = await this.mappings.resolve(location);
    const build = (products: RevelProduct[]) =>
      buildOrderDraft({
        ledgerId: this.ledger.ledgerId,
        event,
        booking,
        location: mapped,
        products,
        invoicePattern: this.config.invoiceDocumentPattern,
        ignoredCategories: this.config.ignoredLineCategories,
        threshold: this.config.fuzzyThreshold,
        localIdTemplate: this.revel.localIdTemplate,
        now,
      });
    const draft = build(await this.catalog.products(location.revelEstablishmentId));
    if (draft.unmatched.length === 0) return draft;
    // A miss: the product may have been created in Revel since the catalogue was cached.
    const fresh = await this.catalog.refreshAfterMiss(location.revelEstablishmentId);
    return fresh ? build(fresh) : draft;
  }

  /**
   * Eligibility and the draft, exactly as the pipeline computes them, for the drift check, the
   * preview and the resync. The draft is built when the event proceeds, and for a held event when
   * `includeHeld` is set (a preview shows the order its day will bring); null otherwise.
   */
  async buildDraftFor(
    event: TripleSeatEvent,
    options: { ignoreTimeGate?: boolean; includeHeld?: boolean } = {},
  ): Promise<{ verdict: EligibilityResult; draft: OrderDraft | null }> {
    const now = this.clock.now();
    const verdict = this.evaluate(event, options, now);
    if (verdict.outcome === 'skip') return { verdict, draft: null };
    if (verdict.outcome === 'hold' && !options.includeHeld) return { verdict, draft: null };
    return { verdict, draft: await this.draftFor(event, verdict.location, now) };
  }

  private async bookingIfNeeded(event: TripleSeatEvent): Promise<TripleSeatBooking | undefined> {
    const hasItems = hasInvoiceLines(event, this.config.invoiceDocumentPattern);
    if (
      hasItems ||
      event.booking_id === undefined ||
      event.booking_id === null ||
      event.booking_id === ''
    ) {
      return undefined;
    }
    return this.tripleseat.getBooking(String(event.booking_id));
  }

  /** E-mails an event that needs a person, in the words of the state it settled in. */
  private async notifyFailure(
    state: AttentionState,
    event: TripleSeatEvent | undefined,
    eventId: string,
    reason: string,
    detail: string,
    attempts: number,
    locationName?: string,
  ): Promise<void> {
    await this.mailer.eventFailed({
      eventId,
      state,
      eventName: event?.name ?? undefined,
      eventDate: event?.event_date ?? undefined,
      locationName,
      reason,
      detail,
      attempts,
      correlationId: currentCorrelationId(),
    });
  }

  isSettledWithOrder(state: LedgerState): boolean {
    return ORDER_EXISTS_STATES.includes(state);
  }
}

/** The sentence an operator reads (ledger detail and e-mail) when what landed differs from the invoice. */
export function mismatchDetail(orderId: number, differences: string[]): string {
  return `Revel order ${orderId} is written, but it differs from the invoice in a way the service does not repair on its own; check it at the POS: ${differences.join('; ')}`;
}

/** The sentence an operator reads (ledger detail and e-mail) when a duplicate cannot be removed. */
export function duplicateDetail(orderId: number, recordIds: string[], why: string[]): string {
  return `Revel order ${orderId} is written, but Revel also holds a duplicate that could not be removed automatically: remove ${recordIds.join(', ')} at the POS (${why.join('; ')})`;
}

export function parseProgress(text: string | null): OrderWriteProgress {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { UpstreamError } from '../common/upstream.error';
import { syncConfig } from '../config/configuration';
import { SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { MailerService } from '../notifications/mailer.service';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import {
  describeDrift,
  DriftRecord,
  DriftSnapshot,
  guestCountOf,
  OrderSummary,
  parseDriftRecord,
  parseOrderSummary,
  sameChanges,
  statusOf,
} from './drift';
import { EventPipelineService, summarizeDraft } from './event-pipeline.service';
import { ReasonCode } from './reason-codes';

export type DriftCheckOutcome =
  /** The event no longer matches the order (newly, or with different changes): recorded, e-mailed. */
  | 'drifted'
  /** Still drifted with the same changes as last time: nothing new to say. */
  | 'still-drifted'
  /** A drifted event matches its order again: back to INJECTED. */
  | 'resolved'
  /** The event matches its order. */
  | 'in-sync'
  /** The row changed while it was checked (a resync, another check): checked again later. */
  | 'superseded'
  /** Nothing to compare against (no order summary). */
  | 'skipped';

/** What the event looks like now, against the order that was written. */
export interface DriftComparison {
  changes: string[];
  /** The order the event gives now; null when deleted or no longer eligible. */
  current: OrderSummary | null;
  event: TripleSeatEvent | null;
  locationName?: string;
}

/**
 * Drift detection: after its order is written, an event may still change in TripleSeat (items,
 * guest count, invoice) or be cancelled or deleted. A check re-fetches the event, rebuilds the
 * draft exactly as the pipeline would, and compares it with what was written. It reads the
 * upstreams and writes only the ledger (and one e-mail): it NEVER edits the Revel order. An
 * operator may ask for that with a resync.
 */
@Injectable()
export class DriftService {
  private readonly logger = new Logger(DriftService.name);

  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly ledger: LedgerRepository,
    private readonly tripleseat: TripleSeatClient,
    private readonly pipeline: EventPipelineService,
    private readonly mailer: MailerService,
    private readonly clock: Clock,
  ) {}

  /** How long a check that failed on an upstream waits before it runs again. */
  get retryDelayMs(): number {
    return Math.min(this.config.retryMaxDelayMs, this.config.retryBaseDelayMs * 10);
  }

  /**
   * Checks one claimed row (its `drift_check_at` already cleared by the claim). Never throws for
   * an upstream failure: a retryable one asks for the check again later.
   */
  async check(row: SyncEventRow): Promise<DriftCheckOutcome | undefined> {
    const eventId = row.event_id;
    try {
      // The claim's copy may be stale when checks of one event queue up behind each other.
      return await this.checkOnce((await this.ledger.get(eventId)) ?? row);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable = error instanceof UpstreamError ? error.retryable : true;
      if (retryable) {
        await this.ledger.deferDriftCheck(eventId, this.clock.now().getTime() + this.retryDelayMs);
        this.logger.warn(
          { eventId, err: message, retryInMs: this.retryDelayMs },
          'drift check failed; will retry',
        );
      } else {
        this.logger.error({ eventId, err: message }, 'drift check failed');
      }
      return undefined;
    }
  }

  /**
   * The differences between the order written for `row` and what the event gives now. Reads
   * TripleSeat (a 404 means deleted) and the product catalogue; writes nothing.
   */
  async compare(row: SyncEventRow, written: OrderSummary): Promise<DriftComparison> {
    const event = await this.fetchEvent(row.event_id);
    const before: DriftSnapshot = {
      status: written.status,
      guestCount: written.guestCount,
      eventDate: row.event_date ?? undefined,
      order: written,
    };
    if (event === null) {
      return {
        changes: describeDrift(before, null),
        current: null,
        event,
        locationName: this.locationName(row),
      };
    }
    const { verdict, draft } = await this.pipeline.buildDraftFor(event, { ignoreTimeGate: true });
    const current = draft ? summarizeDraft(draft, event) : null;
    const after: DriftSnapshot = {
      status: statusOf(event),
      guestCount: guestCountOf(event),
      order: current,
      ...(verdict.outcome === 'skip'
        ? { ineligible: { reason: verdict.reason, detail: verdict.detail } }
        : { eventDate: verdict.eventDate }),
    };
    return {
      changes: describeDrift(before, after),
      current,
      event,
      locationName: verdict.outcome === 'skip' ? this.locationName(row) : verdict.location.name,
    };
  }

  private async checkOnce(row: SyncEventRow): Promise<DriftCheckOutcome> {
    const eventId = row.event_id;
    const written = parseOrderSummary(row.order_summary);
    if (!written) {
      this.logger.warn({ eventId }, 'drift check skipped: no order summary to compare with');
      return 'skipped';
    }
    const { changes, current, event, locationName } = await this.compare(row, written);
    const expected = { contentHash: row.content_hash, drift: row.drift };
    const sourceUpdatedAt = event ? (event.updated_at ?? null) : row.source_updated_at;
    const cid = currentCorrelationId();

    if (changes.length === 0) {
      if (row.state !== 'DRIFTED') {
        const ok = await this.ledger.recordDriftCheck(eventId, expected, { sourceUpdatedAt }, cid);
        return ok ? 'in-sync' : this.superseded(eventId);
      }
      const detail = 'drift resolved: the event matches the Revel order again';
      const ok = await this.ledger.recordDriftCheck(
        eventId,
        expected,
        {
          state: 'INJECTED',
          reason: ReasonCode.INJECTED,
          detail,
          drift: null,
          sourceUpdatedAt,
          history: { state: 'INJECTED', reason: ReasonCode.INJECTED, detail },
        },
        cid,
      );
      if (!ok) return this.superseded(eventId);
      this.logger.log({ eventId }, 'drift resolved');
      return 'resolved';
    }

    const previous = parseDriftRecord(row.drift);
    if (row.state === 'DRIFTED' && previous && sameChanges(previous.changes, changes)) {
      const ok = await this.ledger.recordDriftCheck(eventId, expected, { sourceUpdatedAt }, cid);
      return ok ? 'still-drifted' : this.superseded(eventId);
    }
    const record: DriftRecord = {
      detectedAt: this.clock.now().toISOString(),
      changes,
      current,
    };
    const detail = changes.join('; ');
    const ok = await this.ledger.recordDriftCheck(
      eventId,
      expected,
      {
        state: 'DRIFTED',
        reason: ReasonCode.DRIFTED,
        detail,
        drift: JSON.stringify(record),
        sourceUpdatedAt,
        history: { state: 'DRIFTED', reason: ReasonCode.DRIFTED, detail },
      },
      cid,
    );
    if (!ok) return this.superseded(eventId);
    this.logger.warn(
      { eventId, revelOrderId: row.revel_order_id, changes },
      'event DRIFTED: it changed after its Revel order was written; the order was left as it is',
    );
    await this.mailer.orderDrifted({
      eventId,
      eventName: event?.name ?? undefined,
      eventDate: row.event_date ?? undefined,
      locationName,
      revelOrderId: row.revel_order_id ?? '(unknown)',
      changes,
      correlationId: cid,
    });
    return 'drifted';
  }

  /** The row moved on while it was checked; look again so the ledger ends on the latest truth. */
  private async superseded(eventId: string): Promise<DriftCheckOutcome> {
    await this.ledger.deferDriftCheck(eventId, this.clock.now().getTime());
    return 'superseded';
  }

  private async fetchEvent(eventId: string): Promise<TripleSeatEvent | null> {
    try {
      return await this.tripleseat.getEvent(eventId);
    } catch (error) {
      if (error instanceof UpstreamError && error.upstream === 'tripleseat' && error.status === 404)
        return null;
      throw error;
    }
  }

  private locationName(row: SyncEventRow): string | undefined {
    return row.location_key ? this.config.locations.get(row.location_key)?.name : undefined;
  }
}

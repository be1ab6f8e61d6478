import { randomUUID } from 'node:crypto';
import {
  BadGatewayException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { UpstreamError } from '../common/upstream.error';
import { OUR_ORDER_STATES, SyncEventRow } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { OrderRewriteConflictError, RevelOrderRewriter } from '../revel/order-rewriter.service';
import { SwitchesService } from '../switches/switches.service';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { describeDrift, guestCountOf, parseOrderSummary, statusOf } from './drift';
import { EventPipelineService, summarizeDraft } from './event-pipeline.service';
import type { ResyncResponse } from './events.response';
import { contentHash } from '../orders/order.mapper';
import { fetchEventForRequest } from './preview.service';
import { ReasonCode } from './reason-codes';

/** The history detail a resync leaves; reconciliation's read-back recognises a rewritten order by it. */
export const RESYNC_DETAIL = 'resynced on request';

const conflict = (message: string) => new ConflictException({ error: 'Conflict', message });

/**
 * An operator's request to rewrite an order we wrote so that it matches its event again (after
 * drift). Only while the order is open in Revel: a closed one is the POS's to adjust. The row is
 * leased for the rewrite (its state does not change), so two resyncs never run at once and drift
 * checks wait; the worker never claims INJECTED or DRIFTED rows.
 */
@Injectable()
export class ResyncService {
  private readonly logger = new Logger(ResyncService.name);

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly tripleseat: TripleSeatClient,
    private readonly pipeline: EventPipelineService,
    private readonly rewriter: RevelOrderRewriter,
    private readonly switches: SwitchesService,
  ) {}

  async resync(eventId: string): Promise<ResyncResponse> {
    const row = await this.ledger.get(eventId);
    if (!row) {
      throw new NotFoundException({
        error: 'Not Found',
        message: `event ${eventId} is not in the ledger`,
      });
    }
    if (!OUR_ORDER_STATES.includes(row.state) || !row.revel_order_id) {
      throw conflict(
        `event ${eventId} is ${row.state}: only an order this service wrote (INJECTED or DRIFTED) can be resynced`,
      );
    }
    if (!this.switches.enableConnector) {
      throw conflict('the connector is off (kill switch): nothing is written to Revel');
    }
    if (this.switches.dryRun) throw conflict('dry run is on: nothing is written to Revel');
    const owner = `resync:${randomUUID().slice(0, 8)}`;
    const leased = await this.ledger.leaseForResync(eventId, owner, this.pipeline.leaseMs);
    if (!leased) throw conflict(`event ${eventId} is being resynced already; try again shortly`);
    let finished = false;
    try {
      const response = await this.rewrite(leased, owner);
      finished = true;
      return response;
    } catch (error) {
      if (error instanceof OrderRewriteConflictError) throw conflict(error.message);
      if (error instanceof UpstreamError) {
        throw new BadGatewayException({
          error: 'Bad Gateway',
          message: `resync of event ${eventId} stopped: ${error.message}; run it again to complete it`,
        });
      }
      throw error;
    } finally {
      if (!finished) await this.ledger.releaseResync(eventId, owner);
    }
  }

  private async rewrite(row: SyncEventRow, owner: string): Promise<ResyncResponse> {
    const eventId = row.event_id;
    const orderId = Number(row.revel_order_id);
    const event = await fetchEventForRequest(this.tripleseat, eventId);
    const { verdict, draft } = await this.pipeline.buildDraftFor(event, { ignoreTimeGate: true });
    if (verdict.outcome === 'skip') {
      throw conflict(
        `event ${eventId} is no longer eligible (${verdict.reason}: ${verdict.detail}); the order cannot be rewritten to match, adjust or void it at the POS`,
      );
    }
    if (!draft || draft.lines.length === 0) {
      throw conflict(
        `no item of event ${eventId} resolves to a Revel product (${ReasonCode.NO_ITEMS_MATCHED}); adjust the order at the POS`,
      );
    }
    if (row.establishment_id !== null && row.establishment_id !== draft.establishmentId) {
      throw conflict(
        `event ${eventId} moved from Revel establishment ${row.establishment_id} to ${draft.establishmentId}; an order cannot move, adjust it at the POS`,
      );
    }
    const status = await this.rewriter.status(orderId);
    if (status.kind === 'deleted') {
      throw conflict(`Revel order ${orderId} was deleted in Revel; nothing to rewrite`);
    }
    if (status.kind === 'closed') {
      throw conflict(`Revel order ${orderId} is closed in Revel; adjust it at the POS`);
    }

    const written = parseOrderSummary(row.order_summary);
    const summary = summarizeDraft(draft, event);
    const changes = written
      ? describeDrift(
          {
            status: written.status,
            guestCount: written.guestCount,
            eventDate: row.event_date ?? undefined,
            order: written,
          },
          {
            status: statusOf(event),
            guestCount: guestCountOf(event),
            eventDate: verdict.eventDate,
            order: summary,
          },
        )
      : [];
    const hash = contentHash(draft);
    const result = await this.rewriter.rewrite(orderId, draft, hash);
    const detail = RESYNC_DETAIL;
    const ok = await this.ledger.finishResync(
      eventId,
      owner,
      {
        reason: ReasonCode.INJECTED,
        detail,
        orderSummary: summary,
        contentHash: hash,
        sourceUpdatedAt: event.updated_at ?? null,
      },
      currentCorrelationId(),
    );
    if (!ok) {
      // The lease ran out during the rewrite: Revel is rewritten, the ledger is not. Running the
      // resync again changes nothing more in Revel and records it.
      throw conflict(
        `Revel order ${orderId} was rewritten but the resync lost its lease before recording it; run it again`,
      );
    }
    this.logger.log({ eventId, changes, ...result }, 'order resynced on request');
    return {
      eventId,
      revelOrderId: String(orderId),
      state: 'INJECTED',
      reason: ReasonCode.INJECTED,
      detail,
      changes,
      rewrite: {
        updated: result.updated,
        removed: result.removed,
        added: result.added,
        paymentUpdated: result.paymentUpdated,
      },
      order: summary,
    };
  }
}

import { BadGatewayException, Injectable, NotFoundException } from '@nestjs/common';
import { UpstreamError } from '../common/upstream.error';
import type { Location } from '../config/locations';
import { ORDER_EXISTS_STATES } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { SwitchesService } from '../switches/switches.service';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { EventPipelineService, summarizeDraft } from './event-pipeline.service';
import type {
  PreviewEligibilityResponse,
  PreviewLocationResponse,
  PreviewResponse,
} from './events.response';
import { ReasonCode } from './reason-codes';

function locationView(location: Location): PreviewLocationResponse {
  return {
    key: location.key,
    name: location.name,
    revelEstablishmentId: location.revelEstablishmentId,
    timezone: location.timezone,
  };
}

/** Reads an event from TripleSeat for an operator's request: 404 and outages become HTTP answers. */
export async function fetchEventForRequest(
  tripleseat: TripleSeatClient,
  eventId: string,
): Promise<TripleSeatEvent> {
  try {
    return await tripleseat.getEvent(eventId);
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404) {
      throw new NotFoundException({
        error: 'Not Found',
        message: `event ${eventId} does not exist in TripleSeat`,
      });
    }
    if (error instanceof UpstreamError) {
      throw new BadGatewayException({
        error: 'Bad Gateway',
        message: `TripleSeat could not be read: ${error.message}`,
      });
    }
    throw error;
  }
}

/**
 * Dry-run preview: the exact Revel order that processing the event now would write, computed by
 * the pipeline's own code (eligibility, time gate, items, prices, discount, totals). It reads
 * TripleSeat and the product catalogue and writes nothing: no ledger change, no Revel write.
 */
@Injectable()
export class PreviewService {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly tripleseat: TripleSeatClient,
    private readonly pipeline: EventPipelineService,
    private readonly switches: SwitchesService,
  ) {}

  async preview(eventId: string): Promise<PreviewResponse> {
    const event = await fetchEventForRequest(this.tripleseat, eventId);
    let built: Awaited<ReturnType<EventPipelineService['buildDraftFor']>>;
    try {
      // A held event shows the order its day will bring.
      built = await this.pipeline.buildDraftFor(event, { includeHeld: true });
    } catch (error) {
      if (error instanceof UpstreamError) {
        throw new BadGatewayException({
          error: 'Bad Gateway',
          message: `the order could not be computed: ${error.message}`,
        });
      }
      throw error;
    }
    const { verdict, draft } = built;
    const row = await this.ledger.get(eventId);

    let eligibility: PreviewEligibilityResponse;
    let reasonIfNot: string | undefined;
    if (verdict.outcome === 'skip') {
      eligibility = { outcome: 'skip', reason: verdict.reason, detail: verdict.detail };
      reasonIfNot = verdict.reason;
    } else if (verdict.outcome === 'hold') {
      eligibility = {
        outcome: 'hold',
        reason: verdict.reason,
        detail: `held until ${verdict.dueAt.toISOString()} (${verdict.eventDate} in ${verdict.location.timezone})`,
        location: locationView(verdict.location),
        eventDate: verdict.eventDate,
      };
      reasonIfNot = verdict.reason;
    } else {
      eligibility = {
        outcome: 'proceed',
        location: locationView(verdict.location),
        eventDate: verdict.eventDate,
      };
    }
    if (
      reasonIfNot === undefined &&
      draft &&
      verdict.outcome === 'proceed' &&
      this.pipeline.holdsForUnmatched(
        draft,
        this.pipeline.deadlineOf(event, verdict.location, verdict.eventDate),
        row?.allow_unmatched === 1,
      )
    ) {
      // Processing now would hold it for its unmatched lines (the order shown is its deadline's).
      reasonIfNot = ReasonCode.UNMATCHED_ITEMS;
    }
    if (reasonIfNot === undefined && draft && draft.lines.length === 0) {
      reasonIfNot = ReasonCode.NO_ITEMS_MATCHED;
    }
    if (reasonIfNot === undefined && row && ORDER_EXISTS_STATES.includes(row.state)) {
      // INJECTED / DRIFTED (our order) or ALREADY_EXISTS (someone else's): never a second one.
      reasonIfNot = row.state;
    }
    if (reasonIfNot === undefined && !this.switches.enableConnector) {
      reasonIfNot = ReasonCode.CONNECTOR_DISABLED;
    }
    if (reasonIfNot === undefined && this.switches.dryRun) reasonIfNot = ReasonCode.DRY_RUN;

    return {
      eventId,
      eligibility,
      order: draft ? summarizeDraft(draft) : null,
      wouldWrite: reasonIfNot === undefined,
      ...(reasonIfNot !== undefined ? { reasonIfNot } : {}),
      existingOrder: row?.revel_order_id ?? null,
    };
  }
}

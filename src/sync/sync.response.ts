import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LEDGER_STATES, type LedgerState, type RunStatus } from '../database/database.types';
import type { DriftRecord, OrderSummary } from './drift';
import { UnmatchedLineResponse } from './events.response';
import { ReasonCode } from './reason-codes';
import type {
  EventOutcome,
  EventReport,
  RunProgress,
  SyncReport,
  SyncRunView,
  SyncSummary,
} from './sync.types';

/** OpenAPI shapes of the /api/sync answers; they implement the interfaces the service returns. */

const REASONS = Object.values(ReasonCode);
const REASON_DESCRIPTION = `A reason code (src/sync/reason-codes.ts): ${REASONS.join(', ')}.`;

export class SyncSummaryResponse implements SyncSummary {
  @ApiProperty({
    description:
      'Events looked at: 1 for a single sync; for a bulk sync, the events TripleSeat listed in the ' +
      'window. `injected + alreadySynced + skipped + failed` equals it once every listed event ' +
      'was reached.',
    example: 1,
  })
  queried!: number;

  @ApiProperty({
    description:
      'Revel orders created by this run: the processing this run queued created the order, ' +
      'whichever worker or replica claimed the event. An order written earlier (by a webhook, ' +
      'an earlier sync, or another replica at the same moment) is never counted here.',
    example: 1,
  })
  created!: number;

  @ApiProperty({
    description:
      'Events this run brought to INJECTED: `created` plus partly written orders (begun by an ' +
      'interrupted earlier attempt) that this run completed. Never counts an order that was ' +
      'complete before this run; always ≥ `created`.',
    example: 1,
  })
  injected!: number;

  @ApiProperty({
    description:
      'Events whose order existed before this run processed them: written earlier (ledger ' +
      'INJECTED or DRIFTED) or by another replica meanwhile, or found in Revel under the ' +
      "event's local_id (ALREADY_EXISTS). Nothing was written for them.",
    example: 0,
  })
  alreadySynced!: number;

  @ApiProperty({
    description:
      'No order is due: SKIPPED (see the reason), HELD for its day, DRY_RUN, or the connector is ' +
      'off (CONNECTOR_DISABLED).',
    example: 0,
  })
  skipped!: number;

  @ApiProperty({
    description: 'FAILED, or still waiting for a retry when the run stopped waiting for it.',
    example: 0,
  })
  failed!: number;
}

export class EventReportResponse implements EventReport {
  @ApiProperty({ example: '61000001' })
  eventId!: string;

  @ApiProperty({ enum: LEDGER_STATES, description: 'The ledger state after this run.' })
  status!: LedgerState;

  @ApiProperty({
    type: String,
    nullable: true,
    description: REASON_DESCRIPTION,
    example: 'INJECTED',
  })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '120045' })
  revelOrderId!: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Human-readable detail.' })
  detail?: string | null;

  @ApiProperty({
    enum: ['created', 'completed', 'alreadySynced', 'skipped', 'failed'],
    description:
      'What this run did for the event; the summary counts these (`created` and `completed` ' +
      'both count in `injected`).',
    example: 'created',
  })
  outcome!: EventOutcome;
}

export class SyncReportResponse implements SyncReport {
  @ApiProperty({ description: 'False when an event failed (or the run could not complete).' })
  success!: boolean;

  @ApiProperty({
    enum: ['single', 'bulk'],
    description: '`single` with event_id, otherwise `bulk` over the look-back window.',
  })
  mode!: 'single' | 'bulk';

  @ApiProperty({ type: SyncSummaryResponse })
  summary!: SyncSummaryResponse;

  @ApiProperty({ type: [EventReportResponse] })
  events!: EventReportResponse[];

  @ApiPropertyOptional({ description: 'Why the run failed, when it did.' })
  error?: string;
}

export class RunProgressResponse implements RunProgress {
  @ApiProperty({
    enum: ['listing', 'processing', 'done'],
    description:
      '`listing`: TripleSeat search pages are being read; `processing`: the listed events are ' +
      'being queued and settled; `done`: every listed event was reached.',
  })
  phase!: 'listing' | 'processing' | 'done';

  @ApiProperty({ description: 'Events TripleSeat listed in the window (so far).', example: 200 })
  listed!: number;

  @ApiProperty({
    description:
      'Events queued in the ledger for processing. An event that already has its order is not ' +
      'queued again: it goes straight to `settled`.',
    example: 150,
  })
  queued!: number;

  @ApiProperty({ description: 'Events whose outcome is known.', example: 120 })
  settled!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Settled events by ledger state.',
    example: { INJECTED: 100, SKIPPED: 20 },
  })
  byState!: Partial<Record<LedgerState, number>>;
}

/** A bulk sync run: `202` body, `GET /api/sync/runs/:id`, and the `?wait` answer. */
export class SyncRunResponse implements SyncRunView {
  @ApiProperty({ example: 12 })
  runId!: number;

  @ApiProperty({ enum: ['bulk'] })
  mode!: 'bulk';

  @ApiProperty({ enum: ['scheduled', 'manual'] })
  kind!: 'scheduled' | 'manual';

  @ApiProperty({
    enum: ['running', 'succeeded', 'failed'],
    description:
      '`succeeded`: every listed event was reached (some may have failed: see `success`). ' +
      '`failed`: TripleSeat could not be listed, the service shut down during the run, or the ' +
      'replica running it stopped (`error` says which).',
  })
  status!: RunStatus;

  @ApiProperty({
    type: Boolean,
    nullable: true,
    description: 'Null while running; then true when the run succeeded and no event failed.',
  })
  success!: boolean | null;

  @ApiProperty({ example: 48 })
  hoursBack!: number;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  finishedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The correlation id of the run (the request’s X-Correlation-Id when given).',
  })
  correlationId!: string | null;

  @ApiProperty({
    type: RunProgressResponse,
    nullable: true,
    description: 'Null until the run has written its first progress (within a second).',
  })
  progress!: RunProgressResponse | null;

  @ApiProperty({
    type: SyncSummaryResponse,
    nullable: true,
    description: 'The final summary; null while running.',
  })
  summary!: SyncSummaryResponse | null;

  @ApiProperty({
    type: [EventReportResponse],
    description: 'Every event the run reached, once it has finished; empty while running.',
  })
  events!: EventReportResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Why the run failed.' })
  error!: string | null;
}

export class EventHistoryEntryResponse {
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  at!: string | null;

  @ApiProperty({ enum: LEDGER_STATES })
  state!: LedgerState;

  @ApiProperty({ type: String, nullable: true, description: REASON_DESCRIPTION })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  detail!: string | null;

  @ApiProperty({ type: String, nullable: true })
  correlationId!: string | null;
}

/** What changed in TripleSeat after the order was written (state DRIFTED). */
export class DriftResponse implements DriftRecord {
  @ApiProperty({ format: 'date-time', description: 'When these changes were first seen.' })
  detectedAt!: string;

  @ApiProperty({
    type: [String],
    description: 'Readable changes.',
    example: ['TRIPLE OG: quantity 8 → 10', 'guest count 25 → 30', 'final total 45.00 → 52.20'],
  })
  changes!: string[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The order the event gives now; null when deleted or no longer eligible.',
  })
  current!: OrderSummary | null;
}

/** One ledger row, as `GET /api/sync/events/:id` shows it. */
export class EventDetailResponse {
  @ApiProperty({ example: '61000001' })
  eventId!: string;

  @ApiProperty({ enum: LEDGER_STATES })
  state!: LedgerState;

  @ApiProperty({ type: String, nullable: true, description: REASON_DESCRIPTION })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true })
  detail!: string | null;

  @ApiProperty({ description: 'Processing attempts so far.' })
  attempts!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'When the worker takes the event up: only while it waits (PENDING, HELD).',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  revelOrderId!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  establishmentId!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The location map key used.' })
  locationKey!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '12/28/2025' })
  eventDate!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Which Revel write steps are done (order, items, discount, payment, …).',
  })
  progress!: unknown;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The order as computed: lines, unmatched items, totals in cents.',
  })
  order!: unknown;

  @ApiProperty({
    type: [UnmatchedLineResponse],
    description:
      'The food lines with no Revel product as its order was last worked out, days ahead for a ' +
      'held event: what holds it (UNMATCHED_ITEMS), or what was written without (the kitchen ' +
      'adds them by hand). Empty when every line matches.',
  })
  unmatched!: UnmatchedLineResponse[];

  @ApiProperty({
    description: 'An operator asked to write the order without its unmatched lines.',
  })
  allowUnmatched!: boolean;

  @ApiProperty({
    type: DriftResponse,
    nullable: true,
    description:
      'Set while the event is DRIFTED: what changed in TripleSeat since the order was written.',
  })
  drift!: DriftResponse | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'A drift check of the written order is pending, due at this time.',
  })
  driftCheckAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  contentHash!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'TripleSeat `updated_at`.' })
  sourceUpdatedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Worker holding the lease.' })
  leaseOwner!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  leaseExpiresAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  createdAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  updatedAt!: string | null;

  @ApiProperty({ type: [EventHistoryEntryResponse] })
  history!: EventHistoryEntryResponse[];
}

export class ReconciliationRunResponse {
  @ApiProperty()
  id!: number;

  @ApiProperty({ enum: ['scheduled', 'manual'] })
  kind!: 'scheduled' | 'manual';

  @ApiProperty({ type: Number, nullable: true, description: 'Clock slot of a scheduled run.' })
  slot!: number | null;

  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] })
  status!: RunStatus;

  @ApiProperty({ description: 'Replica (scheduled) or `api` (manual).' })
  owner!: string;

  @ApiProperty()
  hoursBack!: number;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  startedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  finishedAt!: string | null;

  @ApiProperty({
    type: SyncSummaryResponse,
    nullable: true,
    description: 'The final summary; null while running. `GET /api/sync/runs/:id` has the events.',
  })
  summary!: SyncSummaryResponse | null;

  @ApiProperty({ type: RunProgressResponse, nullable: true, description: 'Manual bulk runs.' })
  progress!: RunProgressResponse | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ type: String, nullable: true })
  correlationId!: string | null;
}

export class RunsResponse {
  @ApiProperty({ type: [ReconciliationRunResponse], description: 'Newest first.' })
  runs!: ReconciliationRunResponse[];
}

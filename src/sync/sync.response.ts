import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LEDGER_STATES, type LedgerState, type RunStatus } from '../database/database.types';
import type { DriftRecord, OrderSummary } from './drift';
import { ReasonCode } from './reason-codes';
import type { EventReport, SyncReport, SyncSummary } from './sync.types';

/** OpenAPI shapes of the /api/sync answers; they implement the interfaces the service returns. */

const REASONS = Object.values(ReasonCode);
const REASON_DESCRIPTION = `A reason code (src/sync/reason-codes.ts): ${REASONS.join(', ')}.`;

export class SyncSummaryResponse implements SyncSummary {
  @ApiProperty({ description: 'Events looked at.', example: 1 })
  queried!: number;

  @ApiProperty({ description: 'Orders written (or a partial one completed).', example: 1 })
  injected!: number;

  @ApiProperty({ description: 'Events whose order already existed.', example: 0 })
  alreadySynced!: number;

  @ApiProperty({ description: 'Skipped, held for their day, or dry run.', example: 0 })
  skipped!: number;

  @ApiProperty({ description: 'Failed, or still pending a retry.', example: 0 })
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
}

export class SyncReportResponse implements SyncReport {
  @ApiProperty({ description: 'False when the run could not complete.' })
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

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
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

  @ApiProperty({ type: SyncSummaryResponse, nullable: true })
  summary!: unknown;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ type: String, nullable: true })
  correlationId!: string | null;
}

export class RunsResponse {
  @ApiProperty({ type: [ReconciliationRunResponse], description: 'Newest first.' })
  runs!: ReconciliationRunResponse[];
}

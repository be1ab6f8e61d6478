import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LEDGER_STATES, type LedgerState } from '../database/database.types';
import { ADJUSTMENT_KINDS, type AdjustmentKind, type LineSource } from '../orders/order-draft';
import type { MatchKind } from '../orders/product-matcher';
import type { OrderSummary, OrderSummaryAdjustment, OrderSummaryLine } from './drift';

/** OpenAPI shapes of the preview and resync answers (`/api/sync/events/:id/...`). */

export class OrderLineResponse implements OrderSummaryLine {
  @ApiProperty({ description: 'Revel product name.', example: 'TRIPLE OG' })
  name!: string;

  @ApiProperty({ description: 'The item name as TripleSeat has it.', example: 'TRIPLE OG' })
  sourceName!: string;

  @ApiProperty({ example: 579 })
  productId!: number;

  @ApiProperty({ example: 8 })
  quantity!: number;

  @ApiProperty({ description: 'Decimal string.', example: '3.60' })
  unitPrice!: string;

  @ApiProperty({ description: 'Decimal string.', example: '28.80' })
  lineTotal!: string;

  @ApiProperty({
    enum: ['menu-item', 'map', 'exact', 'fuzzy'],
    description:
      'How the product was found: the menuItems map (menu_item_id), the products map (display name), exact name, or fuzzy name.',
  })
  match!: MatchKind;
}

export class LineSourceResponse {
  @ApiProperty({
    enum: ['document', 'booking-field', 'none'],
    description:
      'document: a TripleSeat document (its id, title, and whether its title matched INVOICE_DOCUMENT_PATTERN or it was the highest-id document with line items); booking-field: the booking packing/boxing custom field (last resort).',
  })
  kind!: 'document' | 'booking-field' | 'none';

  @ApiPropertyOptional({ example: '296467' })
  documentId?: string;

  @ApiPropertyOptional({ example: 'Invoice' })
  title?: string;

  @ApiPropertyOptional({ enum: ['title', 'line-items'] })
  rule?: 'title' | 'line-items';

  @ApiPropertyOptional({ example: '52511006' })
  bookingId?: string;

  @ApiPropertyOptional({ example: 'Boxing/Packing Slip' })
  field?: string;
}

export class OrderAdjustmentResponse implements OrderSummaryAdjustment {
  @ApiProperty({ enum: ADJUSTMENT_KINDS })
  kind!: AdjustmentKind;

  @ApiProperty({ example: 'Service Charge (20.0%)' })
  label!: string;

  @ApiProperty({ description: 'Signed decimal string.', example: '10.88' })
  amount!: string;
}

export class IgnoredLineResponse {
  @ApiProperty({ example: 'Room Rental' })
  name!: string;

  @ApiProperty({
    description: 'The TripleSeat category that made it a venue line.',
    example: 'Room Rental',
  })
  category!: string;

  @ApiPropertyOptional({ example: 1 })
  quantity?: number;

  @ApiProperty({ description: 'Decimal string.', example: '40.00' })
  amount!: string;
}

export class ClosestProductResponse {
  @ApiProperty()
  name!: string;

  @ApiProperty({ description: 'Similarity 0..1.' })
  score!: number;
}

/** A food line with no Revel product, as the ledger row keeps it. */
export class UnmatchedLineResponse {
  @ApiProperty({ example: 'Dozen Maple Glazed' })
  name!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiPropertyOptional({ description: 'What the line adds to the invoice (decimal string).' })
  amount?: string;

  @ApiPropertyOptional({ description: 'TripleSeat menu_item_id.' })
  menuItemId?: string;
}

export class UnmatchedItemResponse {
  @ApiProperty({ example: 'Unicorn Sprinkles Deluxe' })
  name!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiPropertyOptional({ type: ClosestProductResponse })
  closest?: ClosestProductResponse;

  @ApiPropertyOptional({ description: 'TripleSeat menu_item_id, for a menuItems map entry.' })
  menuItemId?: string;

  @ApiPropertyOptional({ description: 'What the line adds to the invoice (decimal string).' })
  amount?: string;
}

export class OrderResponse implements OrderSummary {
  @ApiProperty({ example: 4 })
  establishmentId!: number;

  @ApiProperty({ example: 'Triple Seat_61000001' })
  localId!: string;

  @ApiProperty({ type: [OrderLineResponse] })
  lines!: OrderLineResponse[];

  @ApiProperty({
    type: [UnmatchedItemResponse],
    description: 'TripleSeat items with no Revel product: NOT on the order.',
  })
  unmatched!: UnmatchedItemResponse[];

  @ApiProperty({ example: '48.30' })
  subtotal!: string;

  @ApiProperty({ example: '3.30' })
  discount!: string;

  @ApiProperty({ example: '0.00' })
  surcharge!: string;

  @ApiProperty({ description: 'Equals the invoice grand total.', example: '45.00' })
  finalTotal!: string;

  @ApiPropertyOptional({ type: LineSourceResponse, description: 'Where the lines came from.' })
  source?: LineSource;

  @ApiPropertyOptional({
    enum: ['document', 'event', 'items'],
    description:
      "Where the final total came from: the document's financials.grand_total, the event's grand_total, or the items (neither known).",
  })
  grandTotalSource?: 'document' | 'event' | 'items';

  @ApiPropertyOptional({
    type: [IgnoredLineResponse],
    description: 'Venue lines (IGNORED_LINE_CATEGORIES) left off the order.',
  })
  ignored?: IgnoredLineResponse[];

  @ApiPropertyOptional({
    type: [OrderAdjustmentResponse],
    description:
      'What the surcharge or discount is made of (billing totals, venue lines, unmatched lines, other); sums to finalTotal − subtotal.',
  })
  adjustments?: OrderAdjustmentResponse[];

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Guest count (drift).' })
  guestCount?: number | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Event status (drift).' })
  status?: string | null;
}

export class PreviewLocationResponse {
  @ApiProperty({ description: 'The location map key used.', example: '31883' })
  key!: string;

  @ApiProperty({ example: 'Pinkbox Tropicana' })
  name!: string;

  @ApiProperty({ example: 4 })
  revelEstablishmentId!: number;

  @ApiProperty({ example: 'America/Los_Angeles' })
  timezone!: string;
}

export class PreviewEligibilityResponse {
  @ApiProperty({
    enum: ['proceed', 'hold', 'skip'],
    description: '`proceed`: today at the site; `hold`: a later day; `skip`: never.',
  })
  outcome!: 'proceed' | 'hold' | 'skip';

  @ApiPropertyOptional({ description: 'Reason code of a hold or skip.', example: 'TOO_EARLY' })
  reason?: string;

  @ApiPropertyOptional({ description: 'Human-readable detail.' })
  detail?: string;

  @ApiPropertyOptional({ type: PreviewLocationResponse })
  location?: PreviewLocationResponse;

  @ApiPropertyOptional({ description: 'The event date (YYYY-MM-DD).', example: '2025-12-28' })
  eventDate?: string;
}

export class PreviewResponse {
  @ApiProperty({ example: '61000001' })
  eventId!: string;

  @ApiProperty({ type: PreviewEligibilityResponse })
  eligibility!: PreviewEligibilityResponse;

  @ApiProperty({
    type: OrderResponse,
    nullable: true,
    description: 'The exact order that would be written; null when the event is skipped.',
  })
  order!: OrderResponse | null;

  @ApiProperty({ description: 'Whether processing the event now would write this order.' })
  wouldWrite!: boolean;

  @ApiPropertyOptional({
    description:
      'Why not: the skip or hold reason, NO_ITEMS_MATCHED, INJECTED / DRIFTED / ALREADY_EXISTS ' +
      '(the event has its order), CONNECTOR_DISABLED or DRY_RUN.',
    example: 'DRY_RUN',
  })
  reasonIfNot?: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The Revel order id the ledger knows for this event.',
  })
  existingOrder!: string | null;
}

export class RewriteSummaryResponse {
  @ApiProperty({ description: 'Items whose quantity or price was changed.' })
  updated!: number;

  @ApiProperty({ description: 'Items removed.' })
  removed!: number;

  @ApiProperty({ description: 'Items added.' })
  added!: number;

  @ApiProperty({ description: 'Whether the payment amount was changed.' })
  paymentUpdated!: boolean;
}

export class ResyncResponse {
  @ApiProperty({ example: '61000001' })
  eventId!: string;

  @ApiProperty({ example: '10685001' })
  revelOrderId!: string;

  @ApiProperty({ enum: LEDGER_STATES, example: 'INJECTED' })
  state!: LedgerState;

  @ApiProperty({ example: 'INJECTED' })
  reason!: string;

  @ApiProperty({ example: 'resynced on request' })
  detail!: string;

  @ApiProperty({
    type: [String],
    description: 'What differed between the order as written and the event (now rewritten).',
    example: ['TRIPLE OG: quantity 8 → 10', 'final total 45.00 → 52.20'],
  })
  changes!: string[];

  @ApiProperty({ type: RewriteSummaryResponse })
  rewrite!: RewriteSummaryResponse;

  @ApiProperty({ type: OrderResponse, description: 'The order as it now stands in Revel.' })
  order!: OrderResponse;
}

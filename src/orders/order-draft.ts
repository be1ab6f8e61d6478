import type { LineSource } from './invoice';
import type { MatchKind } from './product-matcher';

export type { LineSource } from './invoice';

/**
 * The Revel order we intend to write for one TripleSeat event, fully computed before any write.
 * Everything in it is deterministic for the same event content (UUIDs are v5 of the event id), so
 * a retry after a crash addresses the very same Revel records.
 */
export interface OrderLine {
  /** Position of the line in the TripleSeat item list; part of the line's UUID. */
  index: number;
  uuid: string;
  productId: number;
  productName: string;
  /** The item name as TripleSeat had it. */
  sourceName: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
  match: MatchKind;
  /** Similarity for fuzzy matches (1 for map/exact). */
  score: number;
}

export interface UnmatchedItem {
  name: string;
  quantity: number;
  /** The closest catalogue name and its score, to help an operator fix the product map. */
  closest?: { name: string; score: number };
  /** TripleSeat's `menu_item_id`, for a `menuItems` map entry. */
  menuItemId?: string;
  /** What the line adds to the invoice (decimal string), when TripleSeat says. */
  amount?: string;
}

/** A venue line (room rental, staffing…) left off the order; its amount is in the make-up. */
export interface IgnoredLine {
  name: string;
  category: string;
  quantity?: number;
  amountCents: number;
}

/** What a part of the make-up is; see {@link TotalAdjustment}. */
export const ADJUSTMENT_KINDS = [
  'billing',
  'venue',
  'unmatched',
  'credit',
  'line-discount',
  'other',
] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];

/**
 * One part of the difference between the invoice's grand total and the ordered items: a billing
 * total (service charge, tax), a venue line, an unmatched line, a credit line (a negative line such
 * as a deposit credit: money off the invoice, never an item), the discount of one ordered line, or
 * what is left (`other`: e.g. a document discount, a comp, or a line priced differently). Signed
 * cents; the parts sum to the difference.
 */
export interface TotalAdjustment {
  kind: AdjustmentKind;
  label: string;
  amountCents: number;
}

export interface OrderDraft {
  eventId: string;
  /** The ledger's identity; every record UUID of the order derives from it. */
  ledgerId: string;
  establishmentId: number;
  /** local_id written to Revel, from REVEL_LOCAL_ID_TEMPLATE. */
  localId: string;
  /** Other local_id forms that mean "this event already has an order" (the old connector's). */
  legacyLocalIds: string[];
  orderUuid: string;
  paymentUuid: string;
  historyUuid: string;
  callName?: string;
  notes: string;
  lines: OrderLine[];
  unmatched: UnmatchedItem[];
  /** Where the lines came from: which document (and why), the booking field, or nothing. */
  source: LineSource;
  /** Venue lines left off the order (IGNORED_LINE_CATEGORIES). */
  ignored: IgnoredLine[];
  /** What the surcharge or discount is made of; sums to finalTotalCents − subtotalCents. */
  adjustments: TotalAdjustment[];
  /** Where the final total came from. */
  grandTotalSource: 'document' | 'event' | 'items';
  /** Σ lineTotalCents. */
  subtotalCents: number;
  /** subtotal − invoice grand total, when the invoice is lower; else 0. */
  discountCents: number;
  /** invoice grand total − subtotal, when the invoice is higher (taxes, fees, gratuity); else 0. */
  surchargeCents: number;
  /** Equals the invoice grand total (or the subtotal when there is no invoice). */
  finalTotalCents: number;
  /** Site-local wall-clock time of the write, `YYYY-MM-DDTHH:mm:ss`, as Revel expects. */
  localTimestamp: string;
}

/** What has been written so far; stored in the ledger after every step. */
export interface OrderWriteProgress {
  orderId?: number;
  /** Line indexes whose OrderItem exists. */
  itemsDone?: number[];
  /** Set by versions that PATCHed the discount on its own; the finalize PATCH carries it now. */
  discountDone?: boolean;
  paymentDone?: boolean;
  finalized?: boolean;
  historyDone?: boolean;
  /**
   * Read from progress saved by versions that had a settle window for the Order POST only; the
   * writer turns it into `unknown[orderUuid]`.
   */
  createUnknownAt?: number;
  /**
   * Records whose create ended with an unknown outcome (timeout, 5xx, dropped connection) and that
   * have not been seen since: uuid → when the outcome became unknown (ms). Revel may still commit
   * them, so none is sent again until REVEL_WRITE_SETTLE_SECONDS have passed and a fresh lookup
   * still does not find it; one seen in a lookup is done.
   */
  unknown?: Record<string, number>;
  /**
   * Set when a create had an unknown outcome or was sent again after its settle window: the order
   * is read back (and repaired) once this time (ms) has passed, before it counts as written.
   */
  readBackAfter?: number;
  /** The order was read back after its settle window and holds no duplicate. */
  verified?: boolean;
  /**
   * The order head was read back right after the write (one detail GET) and matched the draft,
   * or the full read-back it led to repaired what differed.
   */
  checked?: boolean;
  /**
   * What the order's items must be (uuid, product, quantity, unit price) and the local time the
   * records were written with, kept so that reconciliation's read-back can compare and repair an
   * order without the draft.
   */
  expected?: {
    lines: Pick<OrderLine, 'index' | 'uuid' | 'productId' | 'quantity' | 'unitPriceCents'>[];
    localTimestamp: string;
  };
}

/** What a read-back did to an order of ours in Revel. */
export type ReadBackRepair =
  /** A duplicate deleted (the record kept in its place is `keptId`). */
  | {
      action?: 'deleted';
      resource: 'Order' | 'OrderItem' | 'Payment' | 'OrderHistory';
      id: number;
      uuid: string | null;
      keptId: number;
    }
  /** A record of ours that was missing (someone deleted it), posted again as `id`. */
  | {
      action: 'reposted';
      resource: 'OrderItem' | 'Payment' | 'OrderHistory';
      id: number;
      uuid: string;
    }
  /** The order's totals (and `printed`) PATCHed again with the finalize body. */
  | { action: 'patched'; resource: 'Order'; id: number; fields: string[] };

export type OrderWriteOutcome =
  /**
   * We wrote (or completed) the order; `repairs` says what its read-back repaired, if anything,
   * and `foreign` names records on it that are not ours (noted, left alone).
   */
  | {
      kind: 'written';
      orderId: number;
      resumed: boolean;
      repairs: ReadBackRepair[];
      foreign?: string[];
    }
  /**
   * The order is written but what landed differs from the draft in a way the read-back cannot
   * repair (a payment edited to another amount, totals Revel recomputed): `differences` names each.
   */
  | { kind: 'mismatch'; orderId: number; differences: string[]; repairs: ReadBackRepair[] }
  /**
   * The order is written but its read-back found duplicates it could not remove: `recordIds` names
   * them (`Order 10685007`) for an operator to remove at the POS.
   */
  | {
      kind: 'duplicate';
      orderId: number;
      recordIds: string[];
      why: string[];
      repairs: ReadBackRepair[];
    }
  /** An order for this event existed that we did not write (old connector, manual): untouched. */
  | { kind: 'already-exists'; orderId: number; localId: string };

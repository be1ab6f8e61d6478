/**
 * What the sync tells the mailer. Money arrives already formatted as decimal strings ("108.80"):
 * the mailer only prints it, so the amounts in an e-mail are exactly those the sync computed.
 */

export interface NoticeItem {
  name: string;
  quantity: number;
  unitPrice: string;
}

export interface UnmatchedItem {
  name: string;
  quantity: number;
  /** What the line adds to the invoice, when TripleSeat says. */
  amount?: string;
}

/**
 * An event with food lines that match no Revel product, told once per set of lines: held for
 * its day (early warning) or held on its day until the lines are mapped or its deadline.
 */
export interface UnmatchedItemsNotice {
  eventId: string;
  eventName?: string;
  eventDate?: string;
  locationName: string;
  unmatched: UnmatchedItem[];
  /** `early`: its day has not come (TOO_EARLY); `held`: held on its day (UNMATCHED_ITEMS). */
  held: 'early' | 'held';
  /** When the order is written with what matches unless the lines are mapped first (ISO, and in words). */
  deadline: string;
  correlationId?: string;
}

export interface OrderInjectedNotice {
  eventId: string;
  eventName?: string;
  /** As the sync shows it to people (the event's local date), not re-parsed here. */
  eventDate?: string;
  locationName: string;
  establishmentId: string;
  revelOrderId: string;
  items: NoticeItem[];
  /** TripleSeat lines with no Revel product: not on the order, so someone must add them by hand. */
  unmatched: UnmatchedItem[];
  subtotal: string;
  discount: string;
  surcharge: string;
  finalTotal: string;
  /**
   * What the surcharge or discount is made of (service charge, tax, venue lines, unmatched, credits,
   * line discounts); `kind` as in the ledger's make-up (`credit` for a negative invoice line).
   */
  adjustments?: { kind?: string; label: string; amount: string }[];
  /** The order was computed but, with DRY_RUN=true, not written to Revel. */
  dryRun?: boolean;
  /** Defaults to the id of the work in progress. */
  correlationId?: string;
}

/** The ledger states an event can settle in that need a person: no (complete) order was written. */
export type AttentionState = 'FAILED' | 'SKIPPED';

/** An event that needs attention: it FAILED, or was SKIPPED for a reason someone must fix. */
export interface EventFailedNotice {
  eventId: string;
  eventName?: string;
  eventDate?: string;
  locationName?: string;
  /**
   * The ledger state the event settled in; the e-mail says what the ledger says. When absent it is
   * SKIPPED for NO_ITEMS_MATCHED (the pipeline settles that SKIPPED) and FAILED otherwise.
   */
  state?: AttentionState;
  /** A stable reason code (e.g. UPSTREAM_UNAVAILABLE), for filtering and runbooks. */
  reason: string;
  /** Human-readable explanation; must already be free of secrets. */
  detail: string;
  attempts: number;
  /** Defaults to the id of the work in progress. */
  correlationId?: string;
}

/** A TripleSeat event changed after we wrote its Revel order; the order was left as it is. */
export interface OrderDriftedNotice {
  eventId: string;
  eventName?: string;
  eventDate?: string;
  locationName?: string;
  revelOrderId: string;
  /** Readable changes, e.g. "TRIPLE OG: quantity 8 → 10", "event deleted in TripleSeat". */
  changes: string[];
  /** Defaults to the id of the work in progress. */
  correlationId?: string;
}

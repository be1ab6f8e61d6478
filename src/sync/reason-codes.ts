/**
 * Stable, machine-readable outcome codes. The ledger stores them, the API returns them and the logs
 * print them, so a code means the same thing everywhere. Never rename one: monitors and operators
 * match on the text. Add new codes at the end of a group.
 */
export const ReasonCode = {
  /** Accepted and waiting in the ledger for the worker to process. */
  QUEUED: 'QUEUED',
  /** Webhook trigger type that never leads to an order (e.g. REASSIGN_EVENT_OWNERSHIP); acknowledged and ignored. */
  TRIGGER_NOT_ACTIONABLE: 'TRIGGER_NOT_ACTIONABLE',
  /** The same webhook delivery (same event and updated_at) was already accepted. */
  DUPLICATE_DELIVERY: 'DUPLICATE_DELIVERY',
  /** The event's status is not in ELIGIBLE_STATUSES. */
  STATUS_NOT_ELIGIBLE: 'STATUS_NOT_ELIGIBLE',
  /** Neither the event's location_id nor its site_id is in the location map. */
  LOCATION_NOT_MAPPED: 'LOCATION_NOT_MAPPED',
  /** The location is mapped but excluded by ALLOWED_LOCATIONS. */
  LOCATION_NOT_ALLOWED: 'LOCATION_NOT_ALLOWED',
  /** The event day has not started yet in the site's time zone; held until it does. */
  TOO_EARLY: 'TOO_EARLY',
  /** The event day is over in the site's time zone; too late to send food to the kitchen. */
  EVENT_DAY_PASSED: 'EVENT_DAY_PASSED',
  /** The event date is missing, unparseable or impossible (e.g. 02/30/2025). */
  INVALID_DATE: 'INVALID_DATE',
  /** No line item resolved to a Revel product; nothing was written. */
  NO_ITEMS_MATCHED: 'NO_ITEMS_MATCHED',
  /** Revel already holds an order for this event that we did not write (old connector or manual). */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The Revel order was written (or a partial one completed). */
  INJECTED: 'INJECTED',
  /** DRY_RUN is on: the order was computed and logged, nothing was written to Revel. */
  DRY_RUN: 'DRY_RUN',
  /** ENABLE_CONNECTOR=false (kill switch): the event was recorded, nothing was written. */
  CONNECTOR_DISABLED: 'CONNECTOR_DISABLED',
  /** TripleSeat answered that the event does not exist (404). */
  EVENT_NOT_FOUND: 'EVENT_NOT_FOUND',
  /** An upstream failed in a way worth retrying (timeout, 429, 5xx); will be retried with backoff. */
  UPSTREAM_RETRYABLE: 'UPSTREAM_RETRYABLE',
  /** An upstream rejected the request in a way a retry cannot fix (4xx other than 408/429). */
  UPSTREAM_PERMANENT: 'UPSTREAM_PERMANENT',
  /**
   * An upstream refused our credentials: the token endpoint rejected them, TripleSeat answered
   * "Token resource owner not found" (account not linked), or an HTML login page came back. Fix the
   * credentials (`npm run cli -- doctor` names the problem); reconciliation then retries the event.
   */
  UPSTREAM_AUTH_FAILED: 'UPSTREAM_AUTH_FAILED',
  /** A retryable failure kept failing until the attempt budget ran out; needs an operator. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** The event payload is malformed (e.g. no id) and cannot be processed. */
  INVALID_EVENT: 'INVALID_EVENT',
  /**
   * The TripleSeat event changed after we wrote its order (items, totals, guest count, status, or
   * it was deleted). The Revel order is left as it is; the ledger holds the readable diff.
   */
  DRIFTED: 'DRIFTED',
  /**
   * The event's day has come but some of its food lines match no Revel product: held until they
   * are mapped, an operator writes it without them, or its deadline (UNMATCHED_WRITE_LEAD_MINUTES
   * before its start at the site) writes it with what matches.
   */
  UNMATCHED_ITEMS: 'UNMATCHED_ITEMS',
  /**
   * Reading the written order back found duplicates (a create Revel committed after our timeout)
   * that cannot be removed safely; the detail names the Revel records to remove at the POS.
   */
  REVEL_DUPLICATE: 'REVEL_DUPLICATE',
  /** History only: reading the written order back found duplicates and deleted them. */
  REVEL_REPAIRED: 'REVEL_REPAIRED',
  /**
   * Reading the written order back found it different from the invoice in a way not repaired
   * automatically (a payment of another amount, an item changed, totals Revel recomputed); the
   * detail names each difference.
   */
  REVEL_MISMATCH: 'REVEL_MISMATCH',
} as const;

export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

const CODES: ReadonlySet<string> = new Set(Object.values(ReasonCode));

/** Narrows text read back from the ledger or a query string to a known code. */
export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && CODES.has(value);
}

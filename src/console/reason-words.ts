import { isReasonCode, ReasonCode } from '../sync/reason-codes';

/** Each reason code in the words of the people who run the restaurants (the code stays visible too). */
const WORDS: Record<ReasonCode, string> = {
  QUEUED: 'Waiting to be sent to the POS.',
  TRIGGER_NOT_ACTIONABLE: 'TripleSeat sent a notice that never leads to an order.',
  DUPLICATE_DELIVERY: 'TripleSeat sent the same notice twice; it was counted once.',
  STATUS_NOT_ELIGIBLE:
    'The event is not in a status that sends food to the kitchen (for example, still a prospect).',
  LOCATION_NOT_MAPPED: 'The event is at a location this service does not know.',
  LOCATION_NOT_ALLOWED: 'The event is at a location that is switched off here.',
  TOO_EARLY: 'Waiting for the event day to start at the site.',
  EVENT_DAY_PASSED: 'The event day is over at the site; it is too late to send the order.',
  INVALID_DATE: 'The event has no usable date in TripleSeat.',
  NO_ITEMS_MATCHED: 'None of the items matched a POS product. Map them below, then retry.',
  ALREADY_EXISTS: 'The POS already had an order for this event (written by someone else).',
  INJECTED: 'The order is in the POS.',
  DRY_RUN: 'Dry run is on: the order was worked out, nothing was sent to the POS.',
  CONNECTOR_DISABLED: 'The connector is switched off: the event is recorded, nothing is sent.',
  EVENT_NOT_FOUND: 'TripleSeat says this event does not exist (deleted?).',
  UPSTREAM_RETRYABLE: 'TripleSeat or the POS did not answer properly; it will try again by itself.',
  UPSTREAM_PERMANENT:
    'TripleSeat or the POS refused the request; trying again will not help until it is fixed.',
  UPSTREAM_AUTH_FAILED:
    'The service could not sign in to TripleSeat or the POS. Check the credentials (Health → go-live checks).',
  RETRIES_EXHAUSTED: 'It kept failing and has stopped trying. Retry once the cause is fixed.',
  INVALID_EVENT: 'TripleSeat sent an event that cannot be read.',
  DRIFTED:
    'The event changed in TripleSeat after its order was sent; the POS order was left as it was.',
  UNMATCHED_ITEMS:
    'Some lines match no POS product, so the order waits for them. Map them below and it is sent by itself; or send it without them.',
  REVEL_DUPLICATE:
    'The POS holds a second copy of part of this order that could not be removed automatically. Remove the records named here at the POS.',
  REVEL_REPAIRED:
    'The order was read back from the POS and put right: an extra copy removed, or a missing part or wrong total of ours sent again. Records someone else added are only noted.',
  REVEL_MISMATCH:
    'The order in the POS differs from the invoice (for example a payment of another amount) and was not changed automatically. Check the differences named here at the POS, then resync or sync the event.',
};

/** Plain words for a ledger reason; unknown text (older rows, free text) is shown as it is. */
export function reasonInWords(reason: string | null): string {
  if (reason === null) return '';
  return isReasonCode(reason) ? WORDS[reason] : reason;
}

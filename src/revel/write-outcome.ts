import { UpstreamError } from '../common/upstream.error';

/**
 * The kill switch said no right before a new Order POST was sent: nothing was sent, and the event
 * waits until the connector is turned on again.
 */
export class WritesStoppedError extends Error {
  override readonly name = 'WritesStoppedError';
}

/**
 * Whether a failed create may have been committed by Revel anyway. A 4xx answer (other than 408)
 * and a refused connection mean it was not; a timeout, a 5xx, a dropped connection or an unreadable
 * answer leave it unknown.
 */
export function outcomeUnknown(error: unknown): boolean {
  if (error instanceof WritesStoppedError) return false;
  if (!(error instanceof UpstreamError)) return true;
  if (error.code === 'ECONNREFUSED') return false;
  if (error.code === 'BAD_RESPONSE') return true;
  return error.status === undefined || error.status === 408 || error.status >= 500;
}

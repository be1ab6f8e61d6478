export type UpstreamName = 'tripleseat' | 'revel';

/**
 * The one error type that leaves an upstream client. Whether a failure is worth retrying is
 * decided once, in `classifyHttpFailure`, and travels with the error from then on.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly upstream: UpstreamName,
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** Milliseconds the upstream asked us to wait (Retry-After), when it said so. */
    readonly retryAfterMs?: number,
    /** A stable machine-readable code: HTTP_404, TIMEOUT, CONNECTION_RESET, ... */
    readonly code: string = status !== undefined ? `HTTP_${status}` : 'NETWORK_ERROR',
  ) {
    super(message);
  }
}

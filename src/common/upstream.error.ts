export type UpstreamName = 'tripleseat' | 'revel';

/**
 * Codes of failures that mean "these credentials or this account link do not work", whatever
 * HTTP status carried them. None is retryable and none is ever "not found":
 * - `AUTH_HTML`: an HTML page (a login page) came back instead of JSON (upstream-facts §1.1, §1.6,
 * §2.5);
 * - `AUTH_REJECTED`: the TripleSeat token endpoint refused the client credentials;
 * - `AUTH_ACCOUNT_NOT_LINKED`: TripleSeat issued a token, but the API refuses it with 401
 *   "Token resource owner not found" (the account is not linked to the API application).
 */
export const AUTH_FAILURE_CODES = [
  'AUTH_HTML',
  'AUTH_REJECTED',
  'AUTH_ACCOUNT_NOT_LINKED',
] as const;
export type AuthFailureCode = (typeof AUTH_FAILURE_CODES)[number];

/**
 * The one error type that leaves an upstream client. Whether a failure is worth retrying is
 * decided once, in `classifyHttpFailure`, and travels with the error from then on.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly upstream: UpstreamName,
    message: string,
    /**
     * The HTTP status as the callers should read it. An HTML page is reported as 401 whatever
     * status it came with (a login page answered 404 is not "not found"); `answeredStatus` keeps
     * the status on the wire.
     */
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** Milliseconds the upstream asked us to wait (Retry-After), when it said so. */
    readonly retryAfterMs?: number,
    /** A stable machine-readable code: HTTP_404, TIMEOUT, AUTH_HTML, ... */
    readonly code: string = status !== undefined ? `HTTP_${status}` : 'NETWORK_ERROR',
    /** The HTTP status the upstream actually sent, when there was an answer. */
    readonly answeredStatus: number | undefined = status,
  ) {
    super(message);
  }

  /** Whether this failure is about credentials or the account link (see AUTH_FAILURE_CODES). */
  get isAuthFailure(): boolean {
    return (AUTH_FAILURE_CODES as readonly string[]).includes(this.code);
  }
}

/** Whether `error` is an UpstreamError about credentials or the account link. */
export function isAuthFailure(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && error.isAuthFailure;
}

import { UpstreamError } from '../common/upstream.error';

/** A failed check's words: what went wrong and what to do. */
export interface Explained {
  detail: string;
  fix: string;
}

/** Where a failure happened, which decides how it reads and what the fix is. */
export type FailureContext =
  /** The TripleSeat OAuth 2.0 token endpoint. */
  | { kind: 'tripleseat-token' }
  /** A TripleSeat API call, e.g. `GET /v1/events.json?page=1`. */
  | { kind: 'tripleseat-api'; call: string }
  /** A Revel API call; `notFound` replaces the generic words for a 404 (an unknown id). */
  | { kind: 'revel'; call: string; notFound?: Explained };

const TS_APP_SETTINGS =
  'TripleSeat: Settings → Tripleseat API & Webhooks → OAuth 2.0 Client Applications';

const FIX = {
  tsCredentials: `set TRIPLESEAT_CLIENT_ID and TRIPLESEAT_CLIENT_SECRET to the UID and Secret of the OAuth 2.0 application (${TS_APP_SETTINGS})`,
  tsTokenUrl:
    'set TRIPLESEAT_OAUTH_TOKEN_URL to the OAuth 2.0 endpoint https://api.tripleseat.com/oauth2/token (…/oauth/token answers a login page), then check the client credentials',
  tsLink:
    'link the OAuth application to the account in TripleSeat (Settings → Tripleseat API & Webhooks) — a token can be issued while the account is not linked; a customer admin must authorize it',
  tsApiHtml:
    'check TRIPLESEAT_API_BASE_URL (https://api.tripleseat.com/v1) and that a customer admin has authorized the OAuth application for this account',
  tsScope:
    'check that the OAuth application is authorized for this account and has the events:read scope',
  tsBaseUrl: 'set TRIPLESEAT_API_BASE_URL to https://api.tripleseat.com/v1',
  revelCredentials:
    'check REVEL_API_KEY and REVEL_API_SECRET (an API key of this Revel account) and REVEL_API_BASE_URL (https://<account>.revelup.com)',
  revelBaseUrl: 'set REVEL_API_BASE_URL to https://<account>.revelup.com',
  later: 'check the network path to the upstream; if it is down or busy, run the check again later',
  bug: 'unexpected: see the service log for this correlation id, and report it',
} as const;

/** `HTTP 401`, or the code for an answer-less failure (TIMEOUT, NETWORK_ERROR, ...). */
function statusText(error: UpstreamError): string {
  const status = error.answeredStatus ?? error.status;
  return status !== undefined ? `HTTP ${status}` : error.code;
}

/** Retryable or answer-less failures: outages, timeouts, 5xx, 429. */
function transient(error: UpstreamError, where: string): Explained | undefined {
  const status = error.answeredStatus ?? error.status;
  if (status === 429) {
    return {
      detail: `${where} answered 429 (rate limited)`,
      fix: 'run the check again in a minute; lower the *_RATE_LIMIT_PER_SECOND setting if it persists',
    };
  }
  if (error.retryable || status === undefined || status >= 500) {
    return {
      detail: `${where} could not be read (${statusText(error)}): ${error.message}`,
      fix: FIX.later,
    };
  }
  return undefined;
}

function tokenFailure(error: UpstreamError): Explained {
  const where = 'the TripleSeat token endpoint';
  switch (error.code) {
    case 'AUTH_REJECTED':
      return {
        detail: `${where} refused the client credentials (${statusText(error)}): TRIPLESEAT_CLIENT_ID / TRIPLESEAT_CLIENT_SECRET are wrong or revoked`,
        fix: FIX.tsCredentials,
      };
    case 'AUTH_HTML':
      return {
        detail: `${where} answered an HTML login page instead of JSON (${statusText(error)})`,
        fix: FIX.tsTokenUrl,
      };
    case 'BAD_RESPONSE':
      return {
        detail: `${where} answered without an access token: ${error.message}`,
        fix: FIX.tsTokenUrl,
      };
    default:
      return (
        transient(error, where) ?? {
          detail: `${where} refused the request (${statusText(error)}): ${error.message}`,
          fix: `${FIX.tsTokenUrl}; ${FIX.tsCredentials}`,
        }
      );
  }
}

function tripleseatApiFailure(error: UpstreamError, call: string): Explained {
  switch (error.code) {
    case 'AUTH_REJECTED':
      // A token is minted on the API call's behalf when none is cached.
      return tokenFailure(error);
    case 'AUTH_HTML':
      // The message names the request that answered HTML: the token endpoint or the API.
      if (/\/oauth2?\/token\b/.test(error.message)) return tokenFailure(error);
      return {
        detail: `${call} answered an HTML login page instead of JSON (${statusText(error)}): the API did not accept the credentials`,
        fix: FIX.tsApiHtml,
      };
    case 'AUTH_ACCOUNT_NOT_LINKED':
      return {
        detail: `the token was issued, but ${call} answered 401 "Token resource owner not found": the TripleSeat account is not linked to this OAuth application`,
        fix: FIX.tsLink,
      };
    case 'BAD_RESPONSE':
      return {
        detail: `${call} did not answer the expected JSON: ${error.message}`,
        fix: FIX.tsBaseUrl,
      };
    default:
      break;
  }
  const status = error.answeredStatus ?? error.status;
  if (status === 401 || status === 403) {
    return {
      detail: `${call} refused the bearer token (${statusText(error)})`,
      fix: FIX.tsScope,
    };
  }
  if (status === 404) {
    return { detail: `${call} answered 404: the API base URL looks wrong`, fix: FIX.tsBaseUrl };
  }
  return (
    transient(error, call) ?? {
      detail: `${call} failed (${statusText(error)}): ${error.message}`,
      fix: FIX.tsBaseUrl,
    }
  );
}

function revelFailure(error: UpstreamError, call: string, notFound?: Explained): Explained {
  const status = error.answeredStatus ?? error.status;
  if (error.code === 'AUTH_HTML') {
    return {
      detail: `${call} answered an HTML login page instead of JSON (${statusText(error)}): Revel did not accept the API credentials`,
      fix: FIX.revelCredentials,
    };
  }
  if (status === 401 || status === 403) {
    return {
      detail: `${call} refused the API credentials (${statusText(error)})`,
      fix: FIX.revelCredentials,
    };
  }
  if (status === 404) {
    return (
      notFound ?? {
        detail: `${call} answered 404: the base URL looks wrong`,
        fix: FIX.revelBaseUrl,
      }
    );
  }
  if (error.code === 'BAD_RESPONSE') {
    return {
      detail: `${call} did not answer the expected JSON: ${error.message}`,
      fix: FIX.revelBaseUrl,
    };
  }
  return (
    transient(error, call) ?? {
      detail: `${call} failed (${statusText(error)}): ${error.message}`,
      fix: FIX.revelCredentials,
    }
  );
}

/**
 * Turns any failure into a row's detail and fix. Upstream errors are read by their stable code
 * (src/common/upstream.error.ts), never by parsing text; anything else is a bug and says so.
 */
export function explainFailure(error: unknown, context: FailureContext): Explained {
  if (!(error instanceof UpstreamError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { detail: `unexpected error: ${message}`, fix: FIX.bug };
  }
  if (context.kind === 'tripleseat-token') return tokenFailure(error);
  if (context.kind === 'tripleseat-api') {
    // A Revel failure can surface while a TripleSeat-driven step reads the product catalogue.
    return error.upstream === 'tripleseat'
      ? tripleseatApiFailure(error, context.call)
      : revelFailure(error, 'GET /resources/Product/ (the Revel catalogue)');
  }
  return error.upstream === 'revel'
    ? revelFailure(error, context.call, context.notFound)
    : tripleseatApiFailure(error, `TripleSeat (during ${context.call})`);
}

/**
 * Removes every configured secret from a text that leaves the service. Upstream messages are
 * built not to carry them; this is the belt to that brace, since a row is shown to whoever asks.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    // A very short value would blank out ordinary words; such a secret is a config error anyway.
    if (!secret || secret.length < 6) continue;
    out = out.split(secret).join('[redacted]');
  }
  return out;
}

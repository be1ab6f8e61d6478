import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { type DestinationStream, stdSerializers } from 'pino';
import { currentCorrelationId } from './correlation/correlation-id';

/** Header and field names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-signature"]',
  'req.headers["api-authentication"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.apiSecret',
  '*.clientSecret',
  '*.access_token',
  '*.password',
  '*.token',
];

export const REDACTED = '[redacted]';

/**
 * A query parameter whose name says it carries a secret (token, key, secret, signature, password,
 * and the usual spellings: access_token, api_key, apikey, sig, pass, auth, credential), followed by
 * its value. The value ends at the next parameter, fragment, whitespace, quote or backslash, so the
 * same pattern works on a URL, a message, or a serialised JSON log line.
 */
const SECRET_QUERY_VALUE =
  /([?&;](?:[^=&#\s"'\\]*?)(?:token|key|secret|signature|sig|password|passwd|pass|auth|credential)[^=&#\s"'\\]*=)([^&#\s"'\\]+)/gi;

/**
 * `text` with the values of secret-named query parameters replaced by [redacted], wherever a URL
 * appears in it. The path and the other parameters are kept: they are what an operator reads.
 */
export function redactSecretsInText(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(SECRET_QUERY_VALUE, `$1${REDACTED}`);
}

function redactText(text: unknown): unknown {
  return typeof text === 'string' ? redactSecretsInText(text) : text;
}

/** A URL (absolute or a request's path and query) with secret-named query values redacted. */
export function redactUrl(url: string | undefined): string | undefined {
  return url === undefined ? undefined : redactSecretsInText(url);
}

export function loggerParams(level: string, stream?: DestinationStream): Params {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    genReqId: (req: IncomingMessage) =>
      currentCorrelationId() ?? String(req.headers['x-correlation-id'] ?? ''),
    mixin: () => {
      const correlationId = currentCorrelationId();
      return correlationId ? { correlationId } : {};
    },
    // Probes would drown the useful lines.
    autoLogging: {
      ignore: (req: IncomingMessage) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? ''),
    },
    serializers: {
      req: (req: { id?: string; method?: string; url?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
      }),
      // Response headers add nothing an operator needs and would echo whatever a route sets.
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      // `err` is an Error in some lines and a message string in most of ours.
      err: (err: unknown): unknown => {
        if (typeof err === 'string') return redactSecretsInText(err);
        if (!(err instanceof Error)) return err;
        const serialized = stdSerializers.err(err);
        return {
          ...serialized,
          message: redactText(serialized.message),
          stack: redactText(serialized.stack),
        };
      },
    },
    hooks: {
      // The last word: whatever a line carries (an upstream URL in a message, an error, a field
      // someone logs tomorrow), secret-named query values never reach the output.
      streamWrite: (line: string) => redactSecretsInText(line),
    },
  };
  return { pinoHttp: stream ? [options, stream] : options };
}

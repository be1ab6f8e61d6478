import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
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

export function loggerParams(level: string, stream?: DestinationStream): Params {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
        url: req.url,
      }),
      // Response headers add nothing an operator needs and would echo whatever a route sets.
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
  return { pinoHttp: stream ? [options, stream] : options };
}

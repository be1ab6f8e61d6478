import { parse as parseQueryString } from 'node:querystring';
import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpException,
  type INestApplication,
  Logger as NestLogger,
  NestInterceptor,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ConfigType } from '@nestjs/config';
import express from 'express';
import helmet from 'helmet';
import { ClsMiddleware } from 'nestjs-cls';
import { Logger } from 'nestjs-pino';
import { QuietStartupLogger } from './common/quiet-startup.logger';
import type { Observable } from 'rxjs';
import { ThrottlerException } from '@nestjs/throttler';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import {
  correlationIdFor,
  CORRELATION_HEADER,
  currentCorrelationId,
} from './common/correlation/correlation-id';
import { applyConnectionBounds } from './common/http/connection-bounds';
import { depthExceeds, JSON_MAX_DEPTH } from './common/json-depth';
import { RequestBudgets } from './common/throttling';
import { httpConfig } from './config/configuration';
import { setupOpenApi } from './openapi';

/** The body limit (1 MiB, docs/deployment.md, 'Security'), for every route. */
export const BODY_LIMIT = '1mb';
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** The route whose body is read raw, before the guards: its signature is over the exact bytes. */
export const WEBHOOK_PATH = '/webhooks/tripleseat';

const edgeLogger = new NestLogger('HttpEdge');

/**
 * Everything main.ts does to the app besides listening, shared with the e2e tests so that they
 * exercise the real pipeline. In order: the correlation id (so even a refusal carries one); the
 * request bounds (header and whole-request deadlines and connection caps on the server, a declared
 * body over the limit refused at once without reading it, a deadline for the body to arrive);
 * security headers; the webhook's raw bytes on its route alone. Other bodies are parsed only for
 * handlers that take one (`@Body()`), after routing and after the guards (authentication,
 * throttling): an unknown route or an unauthenticated request never costs a parse.
 */
export function configureApp(app: INestApplication): void {
  const expressApp = app as NestExpressApplication;
  expressApp.use(
    new ClsMiddleware({
      generateId: true,
      idGenerator: (req: express.Request) =>
        correlationIdFor(req.headers[CORRELATION_HEADER], req.path),
      setup: (cls, _req, res: express.Response) => {
        res.setHeader('X-Correlation-Id', cls.getId());
      },
    }).use,
  );
  const http = expressApp.get<ConfigType<typeof httpConfig>>(httpConfig.KEY);
  if (http.trustProxy)
    expressApp.set(
      'trust proxy',
      /^\d+$/.test(http.trustProxy) ? Number(http.trustProxy) : http.trustProxy,
    );
  applyConnectionBounds(expressApp.getHttpServer(), http);
  expressApp.use(refuseOversizedBody(BODY_LIMIT_BYTES));
  expressApp.use(bodyDeadline(http.bodyTimeoutMs));
  // Security headers; the CSP still lets the self-hosted Swagger UI run its own scripts.
  expressApp.use(helmet());
  const server = expressApp.getHttpAdapter().getInstance();
  const budgets = expressApp.get(RequestBudgets);
  server.post(WEBHOOK_PATH, (req: express.Request, res: express.Response, next) => {
    // An address whose unsigned budget is spent is refused before its body is read or verified.
    budgets
      .unsignedSpentFor(req)
      .then((retryAfter) => {
        if (retryAfter === undefined) return readRequestBody(req, res);
        res.setHeader('Retry-After', String(retryAfter));
        res.setHeader('Connection', 'close');
        throw new ThrottlerException('Too many requests; slow down');
      })
      .then(
        (raw) => {
          req.body = raw;
          next();
        },
        (error: unknown) => {
          if (!(error instanceof ThrottlerException)) {
            edgeLogger.warn(
              { path: req.path, status: error instanceof HttpException ? error.getStatus() : 400 },
              'webhook body refused before it was read in full',
            );
          }
          sendHttpError(res, error);
        },
      );
  });
  expressApp.useLogger(new QuietStartupLogger(expressApp.get(Logger)));
  expressApp.useGlobalFilters(new AllExceptionsFilter());
  expressApp.useGlobalInterceptors(new BodyParsingInterceptor());
  expressApp.disable('x-powered-by');
  setupOpenApi(expressApp);
  // Exit with 0 after a clean shutdown instead of re-raising the signal (which loses late logs).
  expressApp.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
}

/** The declared Content-Length, when there is a valid one. */
function declaredLength(req: express.Request): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

function hasBody(req: express.Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

function tooLarge(res: express.Response): PayloadTooLargeException {
  // The rest of the body is not read: the connection closes after the answer.
  res.setHeader('Connection', 'close');
  return new PayloadTooLargeException({
    error: 'Payload Too Large',
    message: 'Request body is larger than the limit (1 MiB)',
  });
}

/** The error body of AllExceptionsFilter, for refusals made before Nest has the request. */
function sendHttpError(res: express.Response, error: unknown): void {
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  const exception =
    error instanceof HttpException
      ? error
      : new BadRequestException({ error: 'Bad Request', message: 'the request body was not read' });
  const response = exception.getResponse();
  const body = typeof response === 'string' ? { message: response } : response;
  res
    .status(exception.getStatus())
    .json({ statusCode: exception.getStatus(), ...body, correlationId: currentCorrelationId() });
}

/** A body declared larger than the limit is refused before a byte of it is read. */
export function refuseOversizedBody(limit: number): express.RequestHandler {
  return (req, res, next) => {
    const declared = declaredLength(req);
    if (declared === undefined || declared <= limit) {
      next();
      return;
    }
    edgeLogger.warn(
      { method: req.method, path: req.path, declaredBytes: declared },
      'request refused: its declared body is over the limit',
    );
    sendHttpError(res, tooLarge(res));
  };
}

/**
 * A request's body must arrive within `ms` of its headers: a client declaring a large body and
 * trickling it (or nothing) is answered 408 and disconnected, whoever was reading (or ignoring)
 * its body. Bodies that arrive in time are untouched.
 */
export function bodyDeadline(ms: number): express.RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const timer = setTimeout(() => {
      if (req.complete) return;
      edgeLogger.warn(
        { method: req.method, path: req.path, afterMs: ms },
        'request cut off: its body did not arrive in time',
      );
      if (res.headersSent) {
        req.socket.destroy();
        return;
      }
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroy());
      sendHttpError(
        res,
        new HttpException(
          {
            error: 'Request Timeout',
            message: `the request body did not arrive within ${ms} ms`,
          },
          408,
        ),
      );
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    next();
  };
}

const BODY = Symbol('requestBody');
type BodyCarrier = express.Request & { [BODY]?: Promise<Buffer> };

/**
 * The request's body bytes, at most `limit` (1 MiB): read once, whoever asks first (the webhook
 * route, the body-parsing interceptor, or a guard that needs it). Over the limit it rejects with
 * 413 at once and the connection closes, without reading the rest.
 */
export function readRequestBody(
  req: express.Request,
  res: express.Response,
  limit = BODY_LIMIT_BYTES,
): Promise<Buffer> {
  const carrier = req as BodyCarrier;
  carrier[BODY] ??= new Promise<Buffer>((resolve, reject) => {
    // `readableEnded`, not `complete`: a body that has fully arrived while a slow guard ran (a
    // database round trip) is complete but still buffered, unread; only a consumed one is empty.
    if (!hasBody(req) || req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    if ((declaredLength(req) ?? 0) > limit) {
      reject(tooLarge(res));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.pause();
        reject(tooLarge(res));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = () => {
      done();
      reject(new BadRequestException({ error: 'Bad Request', message: 'the request was aborted' }));
    };
    const onClose = () => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
  return carrier[BODY];
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Parses the body by its Content-Type: JSON or a form; any other type of body is refused (415). */
export async function parseRequestBody(
  req: express.Request,
  res: express.Response,
): Promise<unknown> {
  if (!hasBody(req)) return undefined;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeException({
      error: 'Unsupported Media Type',
      message: `Content-Encoding ${encoding} is not accepted`,
    });
  }
  const json = req.is(JSON_TYPES);
  const form = !json && req.is(FORM_TYPE);
  if (!json && !form) {
    throw new UnsupportedMediaTypeException({
      error: 'Unsupported Media Type',
      message: 'the body must be application/json or application/x-www-form-urlencoded',
    });
  }
  const text = (await readRequestBody(req, res)).toString('utf8');
  if (form) return { ...parseQueryString(text) };
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestException({
      error: 'Bad Request',
      field: 'body',
      message: 'body is not valid JSON',
    });
  }
  // Validation recurses through the document: a hostile depth must not reach it.
  if (depthExceeds(parsed, JSON_MAX_DEPTH)) {
    throw new BadRequestException({
      error: 'Bad Request',
      field: 'body',
      message: `body is nested deeper than ${JSON_MAX_DEPTH} levels`,
    });
  }
  return parsed;
}

/**
 * Parses the body for the handlers that take one (a `@Body()` parameter), once Nest has routed
 * the request and its guards have let it through. Interceptors run after guards and before the
 * handler's parameters are read, which is exactly when the body is needed and not before.
 */
export class BodyParsingInterceptor implements NestInterceptor {
  private readonly takesBody = new WeakMap<object, boolean>();

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() === 'http' && this.handlerTakesBody(context)) {
      const req = context.switchToHttp().getRequest<express.Request>();
      const res = context.switchToHttp().getResponse<express.Response>();
      if (req.body === undefined) req.body = await parseRequestBody(req, res);
    }
    return next.handle();
  }

  private handlerTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      takes = Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
      this.takesBody.set(handler, takes);
    }
    return takes;
  }
}

import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ConfigType } from '@nestjs/config';
import express from 'express';
import helmet from 'helmet';
import { ClsMiddleware } from 'nestjs-cls';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { correlationIdFor, CORRELATION_HEADER } from './common/correlation/correlation-id';
import { httpConfig } from './config/configuration';
import { setupOpenApi } from './openapi';

/** The body limit of SPEC §7; larger bodies are answered 413 before anything reads them. */
export const BODY_LIMIT = '1mb';

/**
 * Everything main.ts does to the app besides listening, shared with the e2e tests so that they
 * exercise the real pipeline: correlation id first (so even a 413 carries one), then bodies.
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
  const { trustProxy } = expressApp.get<ConfigType<typeof httpConfig>>(httpConfig.KEY);
  if (trustProxy)
    expressApp.set('trust proxy', /^\d+$/.test(trustProxy) ? Number(trustProxy) : trustProxy);
  // Security headers; the CSP still lets the self-hosted Swagger UI run its own scripts.
  expressApp.use(helmet());
  // The webhook signature is over the exact bytes: keep them raw there; the controller parses.
  expressApp.use('/webhooks', express.raw({ type: () => true, limit: BODY_LIMIT }));
  expressApp.use(express.json({ limit: BODY_LIMIT }));
  expressApp.useLogger(expressApp.get(Logger));
  expressApp.useGlobalFilters(new AllExceptionsFilter());
  expressApp.disable('x-powered-by');
  setupOpenApi(expressApp);
  // Exit with 0 after a clean shutdown instead of re-raising the signal (which loses late logs).
  expressApp.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
}

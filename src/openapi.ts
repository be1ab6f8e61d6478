import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  API_TOKEN_SECURITY,
  METRICS_SECURITY,
  WEBHOOK_SIGNATURE_SECURITY,
} from './openapi.constants';

export { API_TOKEN_SECURITY, METRICS_SECURITY, WEBHOOK_SIGNATURE_SECURITY };

/** Swagger UI; the JSON document is at `/docs-json`, YAML at `/docs-yaml`. */
export const OPENAPI_PATH = 'docs';

const DESCRIPTION = `Turns TripleSeat event bookings into exactly one Revel POS order each.

* **Webhook** — TripleSeat pushes deliveries to \`POST /webhooks/tripleseat\`, signed with
  \`X-Signature\`: TripleSeat documents only "a SHA256-HMAC of the payload", so every plausible form
  is accepted over the exact raw bytes: \`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">\`,
  or a bare hex or base64 HMAC-SHA256 of the raw body, with or without a \`sha256=\` prefix.
* **Sync API** — \`/api/*\` takes \`Authorization: Bearer <SYNC_API_TOKEN>\`.
* **Operations** — \`/health/live\` (process), \`/health/ready\` (load balancer: ledger writable,
  not draining), \`/health\` (monitoring: reconciliation, worker, upstreams) and \`/metrics\`.

Every error answers \`{ statusCode, error, message, correlationId }\`; the correlation id is also
sent as \`X-Correlation-Id\` and appears in every log line of the request.`;

/** The OpenAPI document of every route the app registers. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('TripleSeat → Revel sync')
    .setDescription(DESCRIPTION)
    .setVersion('1.0')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'SYNC_API_TOKEN (at least 32 characters)' },
      API_TOKEN_SECURITY,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Signature',
        description:
          'TripleSeat webhook signature with TRIPLESEAT_WEBHOOK_SIGNING_KEY: ' +
          '`t=<unix seconds>,v1=<hex HMAC-SHA256>` over `<t>.<raw body>` (`t` within ' +
          'WEBHOOK_TOLERANCE_SECONDS, except for a re-send of a recorded delivery), or a bare hex ' +
          'or base64 HMAC-SHA256 of the raw body, with or without a `sha256=` prefix.',
      },
      WEBHOOK_SIGNATURE_SECURITY,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, only when it is set' },
      METRICS_SECURITY,
    )
    .addTag('webhook', 'TripleSeat push deliveries')
    .addTag('sync', 'On-demand sync, the ledger and reconciliation runs')
    .addTag('operations', 'Health and metrics')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Serves Swagger UI at `/docs` and the document at `/docs-json`. The UI's assets come from the
 * installed swagger-ui-dist package, never from a CDN. The document is built on the first request
 * for it, not at start-up: most replicas are never asked, and it costs about 1.5 MB to keep.
 */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: `${OPENAPI_PATH}-json`,
    yamlDocumentUrl: `${OPENAPI_PATH}-yaml`,
    customSiteTitle: 'TripleSeat → Revel sync API',
    swaggerOptions: { persistAuthorization: false, tryItOutEnabled: false },
  });
}

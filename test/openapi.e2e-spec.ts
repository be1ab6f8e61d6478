import request from 'supertest';
import { API_TOKEN_SECURITY, OPENAPI_PATH, WEBHOOK_SIGNATURE_SECURITY } from '../src/openapi';
import { Harness, startHarness } from './support/harness';

interface RouteLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
}

interface Schema {
  properties?: Record<string, { description?: string }>;
  required?: string[];
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, Record<string, string>>;
    schemas: Record<string, Schema>;
  };
}

/** Every route the app registered, from Express 5's router (`app.router`), as `METHOD /path`. */
function registeredRoutes(h: Harness): string[] {
  const instance: unknown = h.app.getHttpAdapter().getInstance();
  const stack = (instance as { router: { stack: RouteLayer[] } }).router.stack;
  const routes = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths) {
      // Swagger UI's own routes are not part of the API, nor is Nest's catch-all 404 handler.
      if (path.startsWith(`/${OPENAPI_PATH}`) || path.includes('*')) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') routes.add(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  return [...routes].sort();
}

/** `/api/sync/events/{id}` → `/api/sync/events/:id`. */
const toExpressPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

describe('OpenAPI document (e2e)', () => {
  let h: Harness;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    h = await startHarness();
    const res = await request(h.url).get(`/${OPENAPI_PATH}-json`).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    doc = res.body as OpenApiDoc;
  });

  afterAll(async () => {
    await h.close();
  });

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${toExpressPath(path)}`),
      )
      .sort();

  it('should list every route the app registers, and nothing else', () => {
    const routes = registeredRoutes(h);
    // The routes this service is known to have, so an empty router would not pass vacuously.
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /webhooks/tripleseat',
        'POST /api/sync/tripleseat',
        'GET /api/sync/tripleseat',
        'GET /api/sync/events/:id',
        'GET /api/sync/runs',
        'GET /api/sync/runs/:id',
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
      ]),
    );
    // The console's routes are HTML pages for people (docs/console.md), not an API: left out on
    // purpose, and only they (with the browsers' /favicon.ico).
    const pages = routes.filter((r) => / \/(console(\/|$)|favicon\.ico$)/.test(r));
    expect(pages).toEqual(expect.arrayContaining(['GET /console', 'POST /console/sign-in']));
    expect(documented()).toEqual(routes.filter((r) => !pages.includes(r)));
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('should declare the bearer scheme on every /api operation and the signature scheme on the webhook', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes[API_TOKEN_SECURITY]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes[WEBHOOK_SIGNATURE_SECURITY]).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-Signature',
    });
    const apiOps = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([, ops]) => Object.values(ops));
    expect(apiOps.length).toBeGreaterThanOrEqual(4);
    for (const op of apiOps) {
      expect(op.security).toEqual(expect.arrayContaining([{ [API_TOKEN_SECURITY]: [] }]));
      expect(op.responses).toHaveProperty('401');
      expect(op.responses).toHaveProperty('429');
    }
    const webhook = doc.paths['/webhooks/tripleseat'].post;
    expect(webhook.security).toEqual([{ [WEBHOOK_SIGNATURE_SECURITY]: [] }]);
    expect(Object.keys(webhook.responses).sort()).toEqual(
      ['200', '400', '401', '413', '429', '503'].sort(),
    );
  });

  it('should document parameters, the not-found answer and health 503', () => {
    const event = doc.paths['/api/sync/events/{id}'].get;
    expect(event.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]),
    );
    expect(event.responses).toHaveProperty('404');
    const sync = doc.paths['/api/sync/tripleseat'].post;
    expect(sync.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:allow_unmatched',
      'query:event_id',
      'query:hours_back',
      'query:wait',
    ]);
    expect(doc.paths['/health/ready'].get.responses).toHaveProperty('503');
    expect(doc.paths['/health'].get.responses).toHaveProperty('503');
    expect(doc.paths['/metrics'].get.responses).toHaveProperty('401');
  });

  it('should document the asynchronous bulk sync, its run and the summary words', () => {
    for (const method of ['post', 'get']) {
      const sync = doc.paths['/api/sync/tripleseat'][method];
      expect(Object.keys(sync.responses)).toEqual(expect.arrayContaining(['200', '202']));
      const accepted = sync.responses['202'] as { headers?: Record<string, unknown> };
      expect(accepted.headers).toHaveProperty('Location');
    }
    const run = doc.paths['/api/sync/runs/{id}'].get;
    expect(Object.keys(run.responses)).toEqual(expect.arrayContaining(['200', '404']));

    const summary = doc.components.schemas.SyncSummaryResponse;
    expect(Object.keys(summary.properties ?? {})).toEqual([
      'queried',
      'created',
      'injected',
      'alreadySynced',
      'skipped',
      'failed',
    ]);
    for (const property of Object.values(summary.properties ?? {}))
      expect(property.description?.length).toBeGreaterThan(20);
    expect(summary.properties?.created.description).toContain('written earlier');

    const progress = doc.components.schemas.RunProgressResponse;
    expect(Object.keys(progress.properties ?? {})).toEqual(
      expect.arrayContaining(['phase', 'listed', 'queued', 'settled', 'byState']),
    );
    const error = doc.components.schemas.ErrorResponse;
    expect(error.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'message', 'correlationId']),
    );
  });

  it('should serve Swagger UI as HTML with its assets from this server, not a CDN', async () => {
    const res = await request(h.url).get(`/${OPENAPI_PATH}`).redirects(1).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('swagger-ui');
    const sources = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//);
    for (const name of ['swagger-ui-bundle.js', 'swagger-ui-init.js', 'swagger-ui.css']) {
      const source = sources.find((s) => s.endsWith(name));
      expect(source).toBeDefined();
      const path = new URL(source ?? '', `${h.url}/${OPENAPI_PATH}`).pathname;
      const asset = await request(h.url).get(path).expect(200);
      expect(asset.text.length).toBeGreaterThan(100);
    }
    // The security headers still let the self-hosted UI load its own scripts.
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
  });
});

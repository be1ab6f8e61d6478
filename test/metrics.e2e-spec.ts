import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for these metrics). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

describe('Prometheus metrics (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const scrape = async (): Promise<Sample[]> => {
    const res = await request(h.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return parse(res.text);
  };

  it('should count a webhook that injects an order and a forged one, with upstream traffic by route', async () => {
    const event = h.seedEvent({ id: 62000001 });
    const ok = await h.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: event.id },
    });
    expect(ok.status).toBe(200);
    const forged = await h.webhook(
      { webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id: event.id } },
      { key: 'not-the-signing-key' },
    );
    expect(forged.status).toBe(401);
    await h.waitForState(String(event.id), ['INJECTED']);

    const samples = await scrape();
    expect(
      total(samples, 'tripleseat_webhook_deliveries_total', {
        trigger: 'STATUS_CHANGE_EVENT',
        outcome: 'QUEUED',
      }),
    ).toBe(1);
    expect(
      total(samples, 'tripleseat_webhook_deliveries_total', {
        trigger: 'unknown',
        outcome: 'REJECTED_SIGNATURE',
      }),
    ).toBe(1);
    expect(
      total(samples, 'sync_events_settled_total', { state: 'INJECTED', reason: 'INJECTED' }),
    ).toBe(1);
    expect(total(samples, 'revel_orders_created_total')).toBe(1);

    // Both upstreams, with ids folded into the route and no query strings.
    expect(total(samples, 'upstream_requests_total', { api: 'tripleseat' })).toBeGreaterThan(0);
    expect(total(samples, 'upstream_requests_total', { api: 'revel' })).toBeGreaterThan(0);
    const routes = find(samples, 'upstream_requests_total').map((s) => s.labels.route);
    expect(routes).toEqual(expect.arrayContaining(['GET /v1/events/:id.json']));
    expect(routes).toEqual(
      expect.arrayContaining(['POST /resources/Order/', 'PATCH /resources/Order/:id/']),
    );
    for (const route of routes) {
      expect(route).not.toMatch(/\d{3,}|\?/);
    }
    expect(
      total(samples, 'upstream_requests_total', {
        api: 'revel',
        route: 'POST /resources/Order/',
        status: '201',
      }),
    ).toBe(1);
    expect(
      total(samples, 'upstream_request_duration_seconds_count', { api: 'tripleseat' }),
    ).toBeGreaterThan(0);

    expect(find(samples, 'sync_ledger_backlog', { state: 'INJECTED' })[0]?.value).toBe(1);
    expect(find(samples, 'sync_ledger_backlog', { state: 'PENDING' })[0]?.value).toBe(0);
    expect(find(samples, 'process_resident_memory_bytes')).toHaveLength(1);
  });

  it('should count retries and the reconciliation runs, and report its freshness', async () => {
    const before = await scrape();
    // Before any run: measured from process start, and no last success yet.
    expect(find(before, 'reconciliation_last_success_timestamp_seconds')[0]?.value).toBe(0);
    expect(find(before, 'reconciliation_seconds_since_last_success')).toHaveLength(1);
    h.revel.faults.add({
      method: 'GET',
      path: /^\/resources\/Order\/$/,
      next: { count: 1, kind: 'status', status: 503 },
    });
    h.seedEvent({ id: 62000002 });
    // A manual bulk sync is a reconciliation run like a scheduled one.
    const res = await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    expect(res.body.summary.injected).toBeGreaterThanOrEqual(1);
    await h.waitForState('62000002', ['INJECTED']);
    h.clock.advance(120_000);

    const samples = await scrape();
    expect(total(samples, 'reconciliation_runs_total', { status: 'succeeded' })).toBe(1);
    expect(total(samples, 'upstream_retries_total', { api: 'revel' })).toBeGreaterThanOrEqual(1);
    expect(
      total(samples, 'upstream_requests_total', {
        api: 'revel',
        route: 'GET /resources/Order/',
        status: '503',
      }),
    ).toBe(1);
    const lastSuccess = find(samples, 'reconciliation_last_success_timestamp_seconds')[0];
    expect(lastSuccess.value).toBeGreaterThan(0);
    const since = find(samples, 'reconciliation_seconds_since_last_success')[0];
    expect(since.value).toBeGreaterThanOrEqual(120);
    expect(since.value).toBeLessThan(300);
  });

  it('should not leak any secret of the configuration', async () => {
    const res = await request(h.url).get('/metrics').expect(200);
    for (const secret of Object.values(SECRETS)) expect(res.text).not.toContain(secret);
  });
});

describe('Prometheus metrics with METRICS_TOKEN (e2e)', () => {
  const token = 'metrics-token-e2e-0123456789abcdef0123';
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { METRICS_TOKEN: token } });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should require the metrics bearer token', async () => {
    await request(h.url).get('/metrics').expect(401);
    await request(h.url)
      .get('/metrics')
      .set('Authorization', `Bearer ${SECRETS.apiToken}`)
      .expect(401);
    const res = await request(h.url)
      .get('/metrics')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.text).toContain('tripleseat_webhook_deliveries_total');
  });
});

import type { LoggerService, Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { ClsServiceManager } from 'nestjs-cls';
import { fixtureBooking, fixtureEvent, TripleSeatSandbox } from '../../sandbox/tripleseat.sandbox';
import { Clock, ManualClock } from '../common/clock';
import { runWithCorrelationId } from '../common/correlation/correlation-id';
import { UpstreamError } from '../common/upstream.error';
import { tripleseatConfig } from '../config/configuration';
import { TripleSeatAuth } from './tripleseat-auth';
import { TRIPLESEAT_RESILIENCE, TripleSeatClient } from './tripleseat.client';
import { TripleSeatModule } from './tripleseat.module';
import type { TripleSeatEvent } from './tripleseat.types';

type TripleSeatConfig = ConfigType<typeof tripleseatConfig>;

const CLIENT_ID = 'sandbox-client';
const CLIENT_SECRET = 'sandbox-secret';
const EVENT_ROUTE = 'GET /v1/events/:id.json';
const SEARCH_ROUTE = 'GET /v1/events/search.json';
const TOKEN_ROUTE = 'POST /oauth2/token';

const silentLogger: LoggerService = { log: () => {}, error: () => {}, warn: () => {} };

/** Stands in for the global ConfigModule (and a Clock provider) of the real application. */
class TestEnvironmentModule {}

interface Harness {
  client: TripleSeatClient;
  auth: TripleSeatAuth;
  moduleRef: TestingModule;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe(TripleSeatClient.name, () => {
  let sandbox: TripleSeatSandbox;
  const harnesses: Harness[] = [];

  async function build(overrides: Partial<TripleSeatConfig> = {}, clock?: Clock): Promise<Harness> {
    const config: TripleSeatConfig = {
      apiBaseUrl: sandbox.apiBaseUrl,
      tokenUrl: sandbox.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookPreviousSigningKey: undefined,
      webhookSigningKey: 'unused-here',
      webhookToleranceSeconds: 300,
      ratePerSecond: 1000,
      timeoutMs: 2000,
      maxAttempts: 5,
      ...overrides,
    };
    const providers: Provider[] = [
      { provide: tripleseatConfig.KEY, useValue: config },
      { provide: TRIPLESEAT_RESILIENCE, useValue: { baseDelayMs: 10, maxDelayMs: 50 } },
      { provide: Clock, useValue: clock ?? new Clock() },
    ];
    const moduleRef = await Test.createTestingModule({
      imports: [
        {
          module: TestEnvironmentModule,
          global: true,
          providers,
          exports: [tripleseatConfig.KEY, TRIPLESEAT_RESILIENCE, Clock],
        },
        TripleSeatModule,
      ],
    })
      // Retries log warnings and refused credentials an error, by design; not test output.
      .setLogger(silentLogger)
      .compile();
    const harness = {
      client: moduleRef.get(TripleSeatClient),
      auth: moduleRef.get(TripleSeatAuth),
      moduleRef,
    };
    harnesses.push(harness);
    return harness;
  }

  beforeAll(async () => {
    sandbox = await TripleSeatSandbox.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      tokenTtlSeconds: 3600,
    });
  });

  beforeEach(() => {
    sandbox.reset();
    sandbox.setPageSize(50);
    sandbox.upsertEvent(fixtureEvent({ id: 1001, name: 'Office party' }));
    sandbox.upsertBooking(fixtureBooking({ id: 2001, event_ids: [1001] }));
  });

  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.moduleRef.close()));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  describe('authentication', () => {
    it('should fetch a token once and reuse it across calls', async () => {
      const { client } = await build();

      const event = await client.getEvent('1001');
      await client.getEvent('1001');
      const booking = await client.getBooking('2001');
      await collect(client.searchEvents({ fromDate: '2025-12-01', toDate: '2025-12-31' }));

      expect(event).toMatchObject({ id: 1001, name: 'Office party', status: 'CLOSED' });
      expect(booking).toMatchObject({ id: 2001, event_ids: [1001] });
      expect(sandbox.tokensIssued).toBe(1);
      const api = sandbox.requests().filter((r) => r.path.startsWith('/v1/'));
      expect(api).toHaveLength(4);
      expect(api.every((r) => r.auth === 'bearer' && r.status === 200)).toBe(true);
      expect(client.requestsSent).toBe(5);
    });

    it('should share one token request between concurrent callers', async () => {
      const { client } = await build();

      await Promise.all(Array.from({ length: 6 }, () => client.getEvent('1001')));

      expect(sandbox.tokensIssued).toBe(1);
      expect(sandbox.count(TOKEN_ROUTE)).toBe(1);
    });

    it('should fetch a new token once the cached one is within 60 s of expiry', async () => {
      const clock = new ManualClock(new Date('2025-12-28T12:00:00Z'));
      const { client } = await build({}, clock);

      await client.getEvent('1001');
      clock.advance((3600 - 60) * 1000 - 1000);
      await client.getEvent('1001');
      expect(sandbox.tokensIssued).toBe(1);

      clock.advance(2000);
      await client.getEvent('1001');
      expect(sandbox.tokensIssued).toBe(2);
    });

    it('should refresh a revoked token after one 401 and succeed', async () => {
      const { client } = await build();
      await client.getEvent('1001');

      sandbox.revokeTokens();
      const event = await client.getEvent('1001');

      expect(event.id).toBe(1001);
      expect(sandbox.tokensIssued).toBe(2);
      expect(
        sandbox
          .requests()
          .filter((r) => r.route === EVENT_ROUTE)
          .map((r) => r.status),
      ).toEqual([200, 401, 200]);
    });

    it('should mint a single new token when concurrent calls all hit the revoked one', async () => {
      const { client } = await build();
      await client.getEvent('1001');

      sandbox.revokeTokens();
      await Promise.all(Array.from({ length: 4 }, () => client.getEvent('1001')));

      expect(sandbox.tokensIssued).toBe(2);
    });

    it('should fail without retrying when the API keeps refusing a fresh token', async () => {
      const { client } = await build();
      sandbox.faults.add({ path: '/v1/events', next: { count: 10, kind: 'status', status: 401 } });

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({ status: 401, retryable: false });
      // The request, then exactly one retry with a new token.
      expect(sandbox.count(EVENT_ROUTE)).toBe(2);
    });

    it('should report wrong client credentials as a non-retryable error', async () => {
      const { client } = await build({ clientSecret: 'wrong-secret' });

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ retryable: false, status: 401, code: 'AUTH_REJECTED' });
      expect(error.message).not.toContain('wrong-secret');
      expect(sandbox.count(TOKEN_ROUTE)).toBe(1);
      expect(sandbox.count(EVENT_ROUTE)).toBe(0);
    });
  });

  describe('go-live auth failures (upstream-facts §1.1)', () => {
    const HTML_MESSAGE = /answered an HTML page \(a login page\?\) instead of JSON/;

    it('should report an HTML login page answered 200 by the API as AUTH_HTML, not as data', async () => {
      const { client } = await build();
      await client.getEvent('1001'); // the token is fetched while the answers are still JSON
      sandbox.setHtmlLogin(true);

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({
        upstream: 'tripleseat',
        code: 'AUTH_HTML',
        retryable: false,
        status: 401,
        answeredStatus: 200,
        isAuthFailure: true,
      });
      expect(error.message).toMatch(HTML_MESSAGE);
      expect(error.message).toContain('GET /v1/events/1001.json');
      expect(error.message).toContain('the credentials or the account link are wrong');
      // Not retried, and no token refresh: a new token cannot cure a login page.
      expect(sandbox.count(EVENT_ROUTE)).toBe(2);
      expect(sandbox.tokensIssued).toBe(1);
    });

    it('should report an HTML page answered 404 as AUTH_HTML, never as "not found"', async () => {
      const { client } = await build();
      sandbox.queueRawResponse({
        path: '/v1/events/1001',
        status: 404,
        contentType: 'text/html',
        body: '<!DOCTYPE html><html><body><h1>Sign in to Tripleseat</h1></body></html>',
      });

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({ code: 'AUTH_HTML', retryable: false, answeredStatus: 404 });
      expect(error.status).not.toBe(404);
      expect(error.code).not.toBe('HTTP_404');
      expect(error.message).toMatch(HTML_MESSAGE);
      expect(sandbox.count(EVENT_ROUTE)).toBe(1);
    });

    it('should recognise HTML by a body starting with "<" whatever the content type says', async () => {
      const { client } = await build();
      sandbox.queueRawResponse({
        status: 200,
        contentType: 'application/json',
        body: '  <html><body>Please sign in</body></html>',
      });

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({ code: 'AUTH_HTML', retryable: false });
      expect(error.code).not.toBe('BAD_RESPONSE');
    });

    it('should report an HTML page from the token endpoint as AUTH_HTML naming the token URL', async () => {
      const { client } = await build();
      sandbox.setHtmlLogin(true);

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({
        code: 'AUTH_HTML',
        retryable: false,
        status: 401,
        answeredStatus: 200,
      });
      expect(error.message).toContain('POST /oauth2/token answered an HTML page');
      expect(error.message).toContain('TRIPLESEAT_OAUTH_TOKEN_URL');
      expect(error.message).not.toContain(CLIENT_SECRET);
      expect(sandbox.count(TOKEN_ROUTE)).toBe(1);
      expect(sandbox.count(EVENT_ROUTE)).toBe(0);
    });

    it('should say the account is not linked when a fresh token is refused as "Token resource owner not found"', async () => {
      const { client } = await build();
      sandbox.setAccountLinked(false);

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({
        code: 'AUTH_ACCOUNT_NOT_LINKED',
        status: 401,
        retryable: false,
        isAuthFailure: true,
      });
      expect(error.message).toContain('Token resource owner not found');
      expect(error.message).toMatch(/not linked/);
      // The request, then exactly one retry with a new token: both refused.
      expect(sandbox.count(EVENT_ROUTE)).toBe(2);
      expect(sandbox.tokensIssued).toBe(2);
    });

    it('should work again once the account is linked', async () => {
      const { client } = await build();
      sandbox.setAccountLinked(false);
      await failureOf(client.listEventsPage(1));

      sandbox.setAccountLinked(true);

      await expect(client.listEventsPage(1)).resolves.toMatchObject({ totalPages: 1 });
    });
  });

  describe('listEventsPage', () => {
    it('should read one page of GET /v1/events.json as {results, totalPages}, without financials', async () => {
      sandbox.setPageSize(2);
      [1002, 1003, 1004].forEach((id) => sandbox.upsertEvent(fixtureEvent({ id })));
      const { client } = await build();

      const first = await client.listEventsPage(1);
      const last = await client.listEventsPage(2);

      expect(first.totalPages).toBe(2);
      expect(first.results.map((e) => e.id)).toEqual([1001, 1002]);
      expect(last.results.map((e) => e.id)).toEqual([1003, 1004]);
      expect(first.results[0].documents?.[0]).not.toHaveProperty('line_items');
      expect(
        sandbox
          .requests()
          .filter((r) => r.route === 'GET /v1/events.json')
          .map((r) => r.query),
      ).toEqual([{ page: '1' }, { page: '2' }]);
    });

    it('should refuse a page that is not a positive integer without calling TripleSeat', async () => {
      const { client } = await build();

      for (const page of [0, -1, 1.5, Number.NaN]) {
        const error = await failureOf(client.listEventsPage(page));
        expect(error).toMatchObject({ code: 'INVALID_FILTER', retryable: false });
      }
      expect(sandbox.requests()).toHaveLength(0);
    });

    it('should reject a page without a results array as a bad response', async () => {
      const { client } = await build();
      sandbox.queueRawResponse({
        path: '/v1/events.json',
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ total_pages: 1 }),
      });

      const error = await failureOf(client.listEventsPage(1));

      expect(error).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
      expect(error.message).toContain('TripleSeat event list');
    });
  });

  describe('search', () => {
    const seed = () => {
      sandbox.reset();
      sandbox.setPageSize(2);
      const dates = ['2025-12-01', '2025-12-03', '2025-12-03', '2025-12-10', '2025-12-20'];
      const closed = [...dates, '2025-12-31', '2025-12-15'].map((d, i) =>
        fixtureEvent({ id: 100 + i, event_date_iso8601: d, status: i % 2 ? 'closed' : 'CLOSED' }),
      );
      const definite = ['2025-12-05', '2025-12-06'].map((d, i) =>
        fixtureEvent({ id: 200 + i, event_date_iso8601: d, status: 'Definite' }),
      );
      const outside = ['2025-11-30', '2026-01-01'].map((d, i) =>
        fixtureEvent({ id: 300 + i, event_date_iso8601: d, status: 'CLOSED' }),
      );
      [...closed, ...definite, ...outside].forEach((e) => sandbox.upsertEvent(e));
      return closed.map((e) => e.id);
    };

    it('should walk every page and return each matching event exactly once', async () => {
      const expected = seed();
      const { client } = await build();

      const found = await collect(
        client.searchEvents({ fromDate: '2025-12-01', toDate: '2025-12-31', statuses: ['CLOSED'] }),
      );

      const ids = found.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual([...expected].sort());
      const pages = sandbox.requests().filter((r) => r.route === SEARCH_ROUTE);
      expect(pages.map((r) => r.query.page)).toEqual(['1', '2', '3', '4']);
      expect(pages[0].query).toMatchObject({
        event_start_date: '12/01/2025',
        event_end_date: '12/31/2025',
        status: 'closed',
      });
    });

    it('should search each status separately and merge the results', async () => {
      const closed = seed();
      const { client } = await build();

      const found = await collect(
        client.searchEvents({
          fromDate: '2025-12-01',
          toDate: '2025-12-31',
          statuses: ['closed', 'DEFINITE', 'Closed'],
        }),
      );

      expect(found.map((e) => e.id).sort()).toEqual([...closed, 200, 201].sort());
      const statuses = new Set(
        sandbox
          .requests()
          .filter((r) => r.route === SEARCH_ROUTE)
          .map((r) => r.query.status),
      );
      expect(statuses).toEqual(new Set(['closed', 'definite']));
    });

    it('should end after one request when nothing matches', async () => {
      const { client } = await build();

      const found = await collect(
        client.searchEvents({ fromDate: '2030-01-01', toDate: '2030-01-02' }),
      );

      expect(found).toEqual([]);
      expect(sandbox.count(SEARCH_ROUTE)).toBe(1);
    });

    it('should reject a page without a results array as a bad response', async () => {
      const { client } = await build();
      sandbox.queueRawResponse({
        path: '/v1/events/search.json',
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ events: [], total_pages: 1 }),
      });

      const error = await failureOf(
        collect(client.searchEvents({ fromDate: '2025-12-01', toDate: '2025-12-31' })),
      );

      expect(error).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    });

    it('should refuse a filter date that is not YYYY-MM-DD without calling TripleSeat', async () => {
      const { client } = await build();

      const error = await failureOf(
        collect(client.searchEvents({ fromDate: '12/01/2025', toDate: '2025-12-31' })),
      );

      expect(error).toMatchObject({ code: 'INVALID_FILTER', retryable: false });
      expect(sandbox.count(SEARCH_ROUTE)).toBe(0);
    });
  });

  describe('resilience', () => {
    it('should wait for Retry-After after a 429 and then succeed', async () => {
      const { client } = await build();
      await client.getEvent('1001'); // token out of the way
      sandbox.faults.add({
        path: '/v1/events',
        retryAfterSeconds: 1,
        next: { count: 1, kind: 'rate-limit' },
      });

      const started = performance.now();
      const event = await client.getEvent('1001');
      const elapsed = performance.now() - started;

      expect(event.id).toBe(1001);
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      const [limited, retried] = sandbox
        .requests()
        .filter((r) => r.route === EVENT_ROUTE)
        .slice(1);
      expect(limited.status).toBe(429);
      expect(retried.status).toBe(200);
      // Arrival times are whole milliseconds; allow for rounding only.
      expect(retried.at - limited.at).toBeGreaterThanOrEqual(999);
    });

    it('should give up on a hanging answer after the timeout and retry', async () => {
      const { client } = await build({ timeoutMs: 300 });
      await client.getEvent('1001');
      sandbox.faults.add({ path: '/v1/events', next: { count: 1, kind: 'hang' } });

      const started = performance.now();
      const event = await client.getEvent('1001');

      expect(event.id).toBe(1001);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(sandbox.faults.stats.hung).toBe(1);
      expect(sandbox.count(EVENT_ROUTE)).toBe(3);
    });

    it('should retry a dropped connection', async () => {
      const { client } = await build();
      sandbox.faults.add({ path: '/v1/events', next: { count: 1, kind: 'drop' } });

      await expect(client.getEvent('1001')).resolves.toMatchObject({ id: 1001 });
      expect(sandbox.faults.stats.dropped).toBe(1);
      expect(sandbox.count(EVENT_ROUTE)).toBe(2);
    });

    it('should retry a failing token endpoint as part of the request', async () => {
      const { client } = await build();
      sandbox.faults.add({
        path: '/oauth2/token',
        next: { count: 1, kind: 'status', status: 502 },
      });

      await expect(client.getEvent('1001')).resolves.toMatchObject({ id: 1001 });
      expect(sandbox.count(TOKEN_ROUTE)).toBe(2);
    });

    it('should stop after maxAttempts consecutive 500s with a retryable error', async () => {
      const { client } = await build({ maxAttempts: 5 });
      sandbox.faults.add({ path: '/v1/events', next: { count: 5, kind: 'status', status: 500 } });

      const error = await failureOf(client.getEvent('1001'));

      expect(error).toMatchObject({ upstream: 'tripleseat', status: 500, retryable: true });
      expect(sandbox.count(EVENT_ROUTE)).toBe(5);
    });

    it('should report an unknown event as a non-retryable 404 after one attempt', async () => {
      const { client } = await build();

      const error = await failureOf(client.getEvent('999999'));

      expect(error).toMatchObject({ status: 404, retryable: false, code: 'HTTP_404' });
      expect(sandbox.count(EVENT_ROUTE)).toBe(1);
    });

    it('should refuse an id that is not a plain TripleSeat id without calling TripleSeat', async () => {
      const { client } = await build();

      const error = await failureOf(client.getEvent('../bookings/2001'));

      expect(error).toMatchObject({ code: 'INVALID_ID', retryable: false });
      expect(sandbox.requests()).toHaveLength(0);
    });
  });

  describe('correlation', () => {
    it('should send X-Correlation-Id from the CLS context on token and API requests', async () => {
      const { client } = await build();
      const cls = ClsServiceManager.getClsService();

      await runWithCorrelationId(cls, { id: 'req-abc123' }, () => client.getEvent('1001'));

      expect(sandbox.requests().map((r) => [r.route, r.correlationId])).toEqual([
        [TOKEN_ROUTE, 'req-abc123'],
        [EVENT_ROUTE, 'req-abc123'],
      ]);
    });

    it('should send no X-Correlation-Id outside any context', async () => {
      const { client } = await build();

      await client.getEvent('1001');

      expect(sandbox.requests().every((r) => r.correlationId === undefined)).toBe(true);
    });

    it('should keep each caller its own id while the rate limiter queues them', async () => {
      const { client } = await build({ ratePerSecond: 20 });
      const cls = ClsServiceManager.getClsService();
      await client.getEvent('1001');
      sandbox.clearRequests();

      const ids = ['sync-aaa', 'sync-bbb', 'sync-ccc', 'sync-ddd'];
      await Promise.all(
        ids.map((id) =>
          runWithCorrelationId<TripleSeatEvent>(cls, { id }, () => client.getEvent('1001')),
        ),
      );

      expect(
        sandbox
          .requests()
          .map((r) => r.correlationId)
          .sort(),
      ).toEqual(ids);
    });
  });
});

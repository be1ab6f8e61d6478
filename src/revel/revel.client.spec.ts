import { Test } from '@nestjs/testing';
import type { ConfigType } from '@nestjs/config';
import { ClsServiceManager } from 'nestjs-cls';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RevelSandbox, SandboxProduct } from '../../sandbox/revel.sandbox';
import { ManualClock, Clock } from '../common/clock';
import { runWithCorrelationId } from '../common/correlation/correlation-id';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { RevelProductCatalog } from './product-catalog';
import { REVEL_HTTP_TUNING, RevelClient } from './revel.client';
import { RevelModule } from './revel.module';

const API_KEY = 'key-123';
const API_SECRET = 'secret-456';
const PAGE_SIZE = 25;

function revelSettings(url: string, overrides: Partial<ConfigType<typeof revelConfig>> = {}) {
  const settings: ConfigType<typeof revelConfig> = {
    apiBaseUrl: url,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    userId: 1,
    posStationId: 4,
    diningOptionId: 113,
    discountId: 3358,
    paymentTypeId: 236,
    localIdTemplate: 'Triple Seat_{eventId}',
    productCacheTtlSeconds: 600,
    writeSettleSeconds: 0,
    ratePerSecond: 1000,
    timeoutMs: 300,
    maxAttempts: 3,
  };
  return { ...settings, ...overrides };
}

async function buildModule(url: string, overrides: Partial<ConfigType<typeof revelConfig>> = {}) {
  const clock = new ManualClock(new Date('2025-12-28T20:00:00Z'));
  const moduleRef = await Test.createTestingModule({ imports: [RevelModule] })
    .overrideProvider(revelConfig.KEY)
    .useValue(revelSettings(url, overrides))
    .overrideProvider(REVEL_HTTP_TUNING)
    .useValue({ baseDelayMs: 10, maxDelayMs: 40, pageSize: PAGE_SIZE })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  return {
    moduleRef,
    clock,
    client: moduleRef.get(RevelClient),
    catalog: moduleRef.get(RevelProductCatalog),
  };
}

function manyProducts(count: number): SandboxProduct[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 1000 + i,
    name: `PRODUCT ${i}`,
    price: 1.5,
  }));
}

describe(RevelClient.name, () => {
  let sandbox: RevelSandbox;
  let built: Awaited<ReturnType<typeof buildModule>>;

  beforeAll(async () => {
    sandbox = await RevelSandbox.start({ apiKey: API_KEY, apiSecret: API_SECRET, port: 0 });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(async () => {
    sandbox.reset();
    built = await buildModule(sandbox.url);
  });

  afterEach(async () => {
    await built.moduleRef.close();
  });

  it('should reject a wrong secret with a non-retryable error after one request', async () => {
    const wrong = await buildModule(sandbox.url, { apiSecret: 'not-the-secret' });
    try {
      const failure = await wrong.client
        .findOrdersByLocalId(4, 'Triple Seat_1')
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).toMatchObject({ status: 401, retryable: false, upstream: 'revel' });
      expect(sandbox.requestCount('GET /resources/Order/')).toBe(1);
    } finally {
      await wrong.moduleRef.close();
    }
  });

  it('should find the one order carrying a local_id in that establishment only', async () => {
    const mine = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 55521609' });
    sandbox.seedOrder({ establishmentId: 5, localId: 'Triple Seat 55521609' });
    sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 99' });

    const found = await built.client.findOrdersByLocalId(4, 'Triple Seat 55521609');

    expect(found.map((o) => o.id)).toEqual([mine.id]);
    expect(found[0]).toMatchObject({
      uuid: mine.uuid,
      establishment: '/enterprise/Establishment/4/',
    });
    expect(sandbox.requests()[0].query).toMatchObject({
      establishment: '4',
      local_id: 'Triple Seat 55521609',
      format: 'json',
    });
  });

  it('should look every local_id form up in one local_id__in call', async () => {
    const old = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 7' });
    sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 8' });

    const found = await built.client.findOrdersByLocalIds(4, ['Triple Seat_7', 'Triple Seat 7']);

    expect(found.map((o) => o.id)).toEqual([old.id]);
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(1);
    expect(sandbox.requests()[0].query).toMatchObject({
      establishment: '4',
      local_id__in: 'Triple Seat_7,Triple Seat 7',
    });
  });

  it('should share one request between concurrent lookups, each answered with its own orders', async () => {
    const a = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat_1' });
    const b = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 2' });
    sandbox.seedOrder({ establishmentId: 9, localId: 'Triple Seat_3' });

    const [one, two, three, other] = await Promise.all([
      built.client.findOrdersByLocalIds(4, ['Triple Seat_1', 'Triple Seat 1']),
      built.client.findOrdersByLocalIds(4, ['Triple Seat_2', 'Triple Seat 2']),
      built.client.findOrdersByLocalIds(4, ['Triple Seat_3']),
      built.client.findOrdersByLocalIds(9, ['Triple Seat_3']),
    ]);

    expect(one.map((o) => o.id)).toEqual([a.id]);
    expect(two.map((o) => o.id)).toEqual([b.id]);
    expect(three).toEqual([]);
    expect(other).toHaveLength(1);
    // One call per establishment, however many lookups joined it.
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(2);
  });

  it('should send a lookup after the writes already waiting, so later lookups join it', async () => {
    const slow = await buildModule(sandbox.url, { ratePerSecond: 10 });
    try {
      const order = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat_1' });
      const reads = [slow.client.getOrder(order.id), slow.client.getOrder(order.id)];
      const first = slow.client.findOrdersByLocalIds(4, ['Triple Seat_1']);
      // Queued after the lookup, yet sent before it: the lookup yields to normal requests.
      reads.push(slow.client.getOrder(order.id));
      const second = slow.client.findOrdersByLocalIds(4, ['Triple Seat_2']);

      const [one, two] = await Promise.all([first, second, ...reads]);

      expect(one.map((o) => o.id)).toEqual([order.id]);
      expect(two).toEqual([]);
      const sent = sandbox.requests().map((r) => `${r.method} ${r.path}`);
      expect(sent).toEqual([
        ...Array<string>(3).fill(`GET /resources/Order/${order.id}/`),
        'GET /resources/Order/',
      ]);
      expect(sandbox.requests()[3].query).toMatchObject({
        local_id__in: 'Triple Seat_1,Triple Seat_2',
      });
    } finally {
      await slow.moduleRef.close();
    }
  });

  it('should start a new batch after one was sent, so a later lookup sees a later order', async () => {
    await built.client.findOrdersByLocalIds(4, ['Triple Seat_5']);
    const late = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat_5' });

    const found = await built.client.findOrdersByLocalIds(4, ['Triple Seat_5']);

    expect(found.map((o) => o.id)).toEqual([late.id]);
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(2);
  });

  it('should fail every lookup of a failed batch, never answer none', async () => {
    sandbox.faults.add({
      method: 'GET',
      path: '/resources/Order/',
      next: { count: 10, kind: 'status', status: 500 },
    });

    const results = await Promise.allSettled([
      built.client.findOrdersByLocalIds(4, ['Triple Seat_1']),
      built.client.findOrdersByLocalIds(4, ['Triple Seat_2']),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ retryable: true, status: 500 });
    }
  });

  it('should refuse a local_id with a comma rather than split it', async () => {
    await expect(built.client.findOrdersByLocalIds(4, ['a,b'])).rejects.toMatchObject({
      code: 'INVALID_LOCAL_ID',
    });
    expect(sandbox.requestCount()).toBe(0);
  });

  it('should return an empty list when no order carries the local_id', async () => {
    sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat 1' });

    await expect(built.client.findOrdersByLocalId(4, 'Triple Seat_2')).resolves.toEqual([]);
  });

  it('should throw a retryable error, never an empty list, when the lookup keeps failing with 500', async () => {
    sandbox.faults.add({
      method: 'GET',
      path: '/resources/Order/',
      next: { count: 10, kind: 'status', status: 500 },
    });

    const failure = await built.client
      .findOrdersByLocalId(4, 'Triple Seat_1')
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ status: 500, retryable: true });
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(3);
  });

  it('should retry a lookup that timed out and return the answer of the next attempt', async () => {
    const order = sandbox.seedOrder({ establishmentId: 4, localId: 'Triple Seat_7' });
    sandbox.faults.add({
      method: 'GET',
      path: '/resources/Order/',
      next: { count: 1, kind: 'hang' },
    });

    const found = await built.client.findOrdersByLocalId(4, 'Triple Seat_7');

    expect(found.map((o) => o.id)).toEqual([order.id]);
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(2);
  });

  it('should wait as long as Retry-After asks after a 429 and then succeed', async () => {
    sandbox.faults.add({
      method: 'GET',
      path: '/resources/Order/',
      retryAfterSeconds: 0.25,
      next: { count: 1, kind: 'rate-limit' },
    });
    const started = Date.now();

    await expect(built.client.findOrdersByLocalId(4, 'Triple Seat_7')).resolves.toEqual([]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(230);
    expect(sandbox.requests().map((r) => r.status)).toEqual([429, 200]);
  });

  it('should not retry a creating POST that failed with 500, since Revel may have committed it', async () => {
    sandbox.faults.add({
      method: 'POST',
      path: '/resources/Order/',
      next: { count: 1, kind: 'status', status: 500 },
    });

    await expect(
      built.client.createOrder({
        uuid: 'b3c1d7c2-0000-4000-8000-000000000001',
        establishment: '/enterprise/Establishment/4/',
        local_id: 'Triple Seat_1',
        notes: 'Triple Seat Event #1',
        pos_mode: 'Q',
        web_order: true,
        dining_option: 113,
        created_by: '/enterprise/User/1/',
        updated_by: '/enterprise/User/1/',
        created_at: '/resources/PosStation/4/',
        last_updated_at: '/resources/PosStation/4/',
        created_date: '2025-12-28T12:00:00',
        updated_date: '2025-12-28T12:00:00',
        subtotal: 0,
        final_total: 0,
        tax: 0,
        remaining_due: 0,
        surcharge: 0,
      }),
    ).rejects.toMatchObject({ status: 500, retryable: true });
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);
  });

  it('should send the correlation id of the work in progress and the authentication header', async () => {
    await runWithCorrelationId(ClsServiceManager.getClsService(), { id: 'sync-abc123' }, () =>
      built.client.findOrdersByLocalId(4, 'Triple Seat_1'),
    );
    await built.client.findOrdersByLocalId(4, 'Triple Seat_1');

    expect(sandbox.requests().map((r) => r.correlationId)).toEqual(['sync-abc123', undefined]);
    expect(sandbox.requests().every((r) => r.status === 200)).toBe(true);
  });

  it('should return every product exactly once when the catalogue spans three pages', async () => {
    sandbox.seedProducts(4, manyProducts(2 * PAGE_SIZE + 10));
    sandbox.seedProducts(5, manyProducts(3));

    const products = await built.client.listProducts(4);

    expect(products).toHaveLength(2 * PAGE_SIZE + 10);
    expect(new Set(products.map((p) => p.id)).size).toBe(products.length);
    expect(products.every((p) => p.establishment === '/enterprise/Establishment/4/')).toBe(true);
    expect(sandbox.requestCount('GET /resources/Product/')).toBe(3);
    expect(sandbox.requests().map((r) => r.query.offset)).toEqual(['0', '25', '50']);
  });

  it('should ask for active products only and never return an inactive or deleted one', async () => {
    sandbox.seedProducts(4, [
      { id: 579, name: 'TRIPLE OG', price: 2 },
      { id: 580, name: 'RETIRED DONUT', price: 2.5, active: false },
      { id: 581, name: 'DELETED DONUT', price: 2.25, deleted: true },
    ]);
    // The sandbox holds all three; only the active, undeleted one may come back.
    expect(sandbox.products(4)).toHaveLength(3);

    const products = await built.client.listProducts(4);

    expect(products.map((p) => p.id)).toEqual([579]);
    expect(sandbox.requests()[0].query).toMatchObject({ establishment: '4', active: 'true' });
  });

  it('should read an establishment from /enterprise/Establishment/<id>/', async () => {
    sandbox.addEstablishment(4, 'Test Store');

    const establishment = await built.client.getEstablishment(4);

    expect(establishment).toEqual({
      id: 4,
      name: 'Test Store',
      resource_uri: '/enterprise/Establishment/4/',
    });
    expect(sandbox.requests()[0]).toMatchObject({
      method: 'GET',
      path: '/enterprise/Establishment/4/',
      query: { format: 'json' },
      status: 200,
    });
  });

  it('should fail with a non-retryable 404 for an establishment Revel does not know', async () => {
    sandbox.addEstablishment(4);

    const failure = await built.client.getEstablishment(99).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ status: 404, retryable: false, upstream: 'revel' });
    expect(sandbox.requestCount('GET /enterprise/Establishment/:id/')).toBe(1);
  });

  it('should turn a body that is neither JSON nor HTML into a non-retryable BAD_RESPONSE error', async () => {
    const plain: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('maintenance');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as AddressInfo).port;
    const other = await buildModule(`http://127.0.0.1:${port}`);
    try {
      await expect(other.client.getOrder(1)).rejects.toMatchObject({
        code: 'BAD_RESPONSE',
        retryable: false,
      });
      expect(other.client.requestsSent).toBe(1);
    } finally {
      await other.moduleRef.close();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('should read an HTML page answered 200 as an authentication failure, never as data', async () => {
    const html: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>log in</html>');
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    const port = (html.address() as AddressInfo).port;
    const other = await buildModule(`http://127.0.0.1:${port}`);
    try {
      await expect(other.client.getOrder(1)).rejects.toMatchObject({
        code: 'AUTH_HTML',
        retryable: false,
      });
      expect(other.client.requestsSent).toBe(1);
    } finally {
      await other.moduleRef.close();
      await new Promise<void>((resolve) => html.close(() => resolve()));
    }
  });

  it('should read the sandbox HTML error pages (bad key, unknown establishment) as auth failures', async () => {
    sandbox.setHtmlErrors(true);
    const wrong = await buildModule(sandbox.url, { apiSecret: 'not-the-secret' });
    try {
      await expect(wrong.client.getEstablishment(4)).rejects.toMatchObject({
        code: 'AUTH_HTML',
        retryable: false,
      });
      // A 404 in HTML is a login page as far as the client can tell, not "no such record".
      await expect(built.client.getEstablishment(99)).rejects.toMatchObject({
        code: 'AUTH_HTML',
      });
      expect(sandbox.requests().map((r) => r.status)).toEqual([401, 404]);
    } finally {
      await wrong.moduleRef.close();
    }
  });

  describe(RevelProductCatalog.name, () => {
    it('should serve a second call within the TTL from the cache without any request', async () => {
      sandbox.seedProducts(4, manyProducts(30));
      const first = await built.catalog.products(4);
      const sent = built.client.requestsSent;

      built.clock.advance(599_000);
      const second = await built.catalog.products(4);

      expect(second).toEqual(first);
      expect(built.client.requestsSent).toBe(sent);
    });

    it('should load again once the TTL has passed', async () => {
      sandbox.seedProducts(4, manyProducts(3));
      await built.catalog.products(4);
      sandbox.seedProducts(4, [{ id: 579, name: 'TRIPLE OG', price: 2 }]);

      built.clock.advance(601_000);
      const reloaded = await built.catalog.products(4);

      expect(reloaded.map((p) => p.name)).toContain('TRIPLE OG');
      expect(sandbox.requestCount('GET /resources/Product/')).toBe(2);
    });

    it('should share one in-flight load between concurrent callers', async () => {
      sandbox.seedProducts(4, manyProducts(2 * PAGE_SIZE + 1));

      const results = await Promise.all([1, 2, 3, 4].map(() => built.catalog.products(4)));

      expect(results.every((r) => r.length === 2 * PAGE_SIZE + 1)).toBe(true);
      expect(sandbox.requestCount('GET /resources/Product/')).toBe(3);
    });

    it('should not cache a failed load', async () => {
      sandbox.seedProducts(4, manyProducts(3));
      sandbox.faults.add({
        method: 'GET',
        path: '/resources/Product/',
        next: { count: 3, kind: 'status', status: 503 },
      });

      await expect(built.catalog.products(4)).rejects.toMatchObject({ retryable: true });
      await expect(built.catalog.products(4)).resolves.toHaveLength(3);
    });
  });
});

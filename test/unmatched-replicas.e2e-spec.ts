import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { fixtureProducts, RevelSandbox } from '../sandbox/revel.sandbox';
import { fixtureEvent, invoiceDocument, TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { AppProcess } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';
import { api, startReplica, until, webhookBody } from './reliability/support';

/**
 * A held event released by a mapping, with real processes: a mapping saved on one replica
 * releases the event on another (PostgreSQL: the replica learns it from the database, nothing
 * else), and a SIGKILL while the released event's order is being written loses nothing (SQLite
 * file: the next life completes the one order). The event starts at 23:59 at the site and the
 * lead is 0, so its deadline does not come during the test whatever the real time of day.
 */

const LA = '31883';
const LINE = 'Dozen Maple Glazed';
const ITEM_POST = 'POST /resources/OrderItem/';

interface Row {
  state: string;
  reason: string | null;
  unmatched: { name: string }[];
  history: { state: string; reason: string | null }[];
}

const todayLA = () => DateTime.now().setZone('America/Los_Angeles');

describe('held events released by a mapping (real processes)', () => {
  let dir: string;
  let locationsFile: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;

  const env = (more: Record<string, string> = {}) => ({
    UNMATCHED_POLICY: 'hold',
    UNMATCHED_WRITE_LEAD_MINUTES: '0',
    LOG_LEVEL: 'info',
    ...more,
  });

  const seedHeld = (id: number) => {
    const day = todayLA();
    tripleseat.upsertEvent(
      fixtureEvent({
        id,
        event_date: day.toFormat('MM/dd/yyyy'),
        event_start: `${day.toFormat('MM/dd/yyyy')} 11:59 PM`,
        event_start_iso8601: `${day.toFormat('yyyy-MM-dd')}T23:59:00${day.toFormat('ZZ')}`,
        documents: [
          invoiceDocument({
            lines: [
              { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
              { name: LINE, quantity: 2, price: '15.00' },
            ],
          }),
        ],
      }),
    );
  };

  const row = async (app: AppProcess, id: number): Promise<Row | undefined> => {
    const res = await api(app.url, `/api/sync/events/${id}`, 'GET');
    return res.status === 200 ? (res.body as Row) : undefined;
  };

  const waitFor = async (app: AppProcess, id: number, state: string, timeoutMs = 30_000) => {
    let last: Row | undefined;
    try {
      return await until(
        `event ${id} to be ${state}`,
        async () => {
          last = await row(app, id);
          return last?.state === state ? last : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last ${JSON.stringify(last)}\n${app.tail(30)}`);
    }
  };

  const putMapping = (app: AppProcess) =>
    fetch(`${app.url}/api/mappings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${SECRETS.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: LA, displayName: LINE, productId: 702 }),
    });

  /** One order for the event, with both lines, total and payment equal to the invoice (58.80). */
  const expectOneFullOrder = (id: number) => {
    const orders = revel.ordersByLocalId(`Triple Seat_${id}`);
    expect(orders).toHaveLength(1);
    expect(
      revel
        .orderItems(orders[0].id)
        .map((i) => [i.product, Number(i.quantity), String(i.price)])
        .sort(),
    ).toEqual(
      [
        ['/resources/Product/579/', 8, '3.60'],
        ['/resources/Product/702/', 2, '15.00'],
      ].sort(),
    );
    expect(Number(orders[0].final_total)).toBeCloseTo(58.8, 10);
    expect(revel.payments(orders[0].id).map((p) => String(p.amount))).toEqual(['58.80']);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-unmatched-'));
    locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    ({ tripleseat, revel } = await startTestSandboxes({ pageSize: 5, establishments: [] }));
  });

  beforeEach(() => {
    revel.reset();
    revel.seedProducts(4, fixtureProducts());
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await AppProcess.killAll();
    await Promise.all([tripleseat?.close(), revel?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pg = TEST_DATABASE_URL ? it : it.skip;
  if (!TEST_DATABASE_URL) warnPostgresSkipped('unmatched replicas e2e');

  pg(
    'should write a held event on another replica within seconds of a mapping saved on one (PostgreSQL)',
    async () => {
      let schema: PgSchema | undefined;
      try {
        schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'unmatched');
        const id = 69300001;
        seedHeld(id);
        // A polls once a minute: after holding the event it is idle, and only B's worker (every
        // 100 ms) can pick up what the mapping released within the test's seconds.
        const a = await startReplica({
          databaseUrl: schema.url,
          tripleseat,
          revel,
          locationsFile,
          env: env({ WORKER_POLL_MS: '60000' }),
        });
        const b = await startReplica({
          databaseUrl: schema.url,
          tripleseat,
          revel,
          locationsFile,
          env: env(),
        });
        expect(
          (await tripleseat.sendWebhook(`${a.url}/webhooks/tripleseat`, webhookBody(id))).status,
        ).toBe(200);
        const held = await waitFor(a, id, 'HELD');
        expect(held).toMatchObject({ reason: 'UNMATCHED_ITEMS', unmatched: [{ name: LINE }] });

        const mappedAt = Date.now();
        expect((await putMapping(a)).status).toBe(200);
        await waitFor(b, id, 'INJECTED');
        expect(Date.now() - mappedAt).toBeLessThan(30_000);
        expectOneFullOrder(id);
        // B wrote it: its log has the settled outcome, A's does not.
        const wrote = (app: AppProcess) =>
          app
            .tail(400)
            .split('\n')
            .some((line) => line.includes(`"eventId":"${id}"`) && line.includes('event INJECTED'));
        await until('the write in B’s log', () => (wrote(b) ? true : undefined), 10_000);
        expect(wrote(a)).toBe(false);
      } finally {
        await AppProcess.killAll();
        await schema?.drop();
      }
    },
  );

  it('should lose nothing and write one order when killed (SIGKILL) while a released held event is written', async () => {
    const id = 69300002;
    const dbFile = join(dir, 'crash.db');
    seedHeld(id);
    const start = () =>
      startReplica({
        databaseUrl: `sqlite:${dbFile}`,
        tripleseat,
        revel,
        locationsFile,
        env: env({ WORKER_LEASE_SECONDS: '5', UPSTREAM_TIMEOUT_MS: '30000' }),
      });
    const first = await start();
    await tripleseat.sendWebhook(`${first.url}/webhooks/tripleseat`, webhookBody(id));
    await waitFor(first, id, 'HELD');

    // Revel commits the first item; its answer never arrives: the write is mid-way when killed.
    revel.loseResponses({ method: 'POST', path: '/resources/OrderItem/', count: 1 });
    expect((await putMapping(first)).status).toBe(200);
    await until(
      'the first item in Revel',
      () => (revel.requestCount(ITEM_POST) > 0 ? true : undefined),
      15_000,
    );
    first.kill('SIGKILL');
    expect((await first.waitForExit(10_000)).signal).toBe('SIGKILL');
    expect(revel.ordersByLocalId(`Triple Seat_${id}`)).toHaveLength(1);

    const second = await start();
    const settled = await waitFor(second, id, 'INJECTED', 60_000);
    expect(settled.unmatched).toEqual([]);
    expectOneFullOrder(id);
  });
});

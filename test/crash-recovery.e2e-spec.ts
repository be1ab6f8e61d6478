import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { fixtureProducts, RevelSandbox } from '../sandbox/revel.sandbox';
import { fixtureEvent, TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import type { RevelOrder } from '../src/revel/revel.types';
import { AppProcess } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';

/**
 * Crash and shutdown with the real process: a crash at any point loses nothing, the lease expires
 * and the work resumes (docs/architecture.md, 'Claim' and 'Write'), and SIGTERM finishes or
 * releases what is in flight and closes cleanly (docs/deployment.md, 'Shutdown').
 */

interface LedgerRow {
  state: string;
  revel_order_id: string | null;
  lease_expires_at: number | null;
  lease_owner: string | null;
  progress: string | null;
}

interface LedgerApiRow {
  state: string;
  reason: string | null;
  revelOrderId: string | null;
}

const LEASE_SECONDS = 5;
const ORDER_POST = 'POST /resources/Order/';
const ITEM_POST = 'POST /resources/OrderItem/';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const webhookBody = (id: number) => ({
  webhook_trigger_type: 'STATUS_CHANGE_EVENT',
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
});

describe('crash recovery (real process, SQLite file)', () => {
  let dir: string;
  let locationsFile: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let seq = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-crash-'));
    locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    ({ tripleseat, revel } = await startTestSandboxes({ pageSize: 5, establishments: [] }));
  });

  beforeEach(() => {
    // Request counts, orders, faults and lost-response rules start from nothing in every test.
    revel.reset();
    revel.seedProducts(4, fixtureProducts());
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await AppProcess.killAll();
    await Promise.all([tripleseat?.close(), revel?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh SQLite file per test, and an app on it. */
  function newDatabase(): string {
    seq += 1;
    return join(dir, `sync-${seq}.db`);
  }

  function startApp(dbFile: string, env: Record<string, string> = {}): Promise<AppProcess> {
    return AppProcess.start({
      databaseUrl: `sqlite:${dbFile}`,
      tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
      tripleseatTokenUrl: tripleseat.tokenUrl,
      revelUrl: revel.url,
      locationsFile,
      overrides: { WORKER_LEASE_SECONDS: String(LEASE_SECONDS), LOG_LEVEL: 'info', ...env },
    });
  }

  function seedEventToday(id: number): void {
    const today = DateTime.now().setZone('America/Los_Angeles').toFormat('MM/dd/yyyy');
    tripleseat.upsertEvent(fixtureEvent({ id, event_date: today }));
  }

  function readLedger(dbFile: string, eventId: number): LedgerRow | undefined {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare(
          'select state, revel_order_id, lease_expires_at, lease_owner, progress from sync_events where event_id = ?',
        )
        .get(String(eventId)) as LedgerRow | undefined;
    } finally {
      db.close();
    }
  }

  async function ledgerViaApi(app: AppProcess, eventId: number): Promise<LedgerApiRow | undefined> {
    const res = await fetch(`${app.url}/api/sync/events/${eventId}`, {
      headers: { Authorization: `Bearer ${SECRETS.apiToken}` },
    });
    return res.status === 200 ? ((await res.json()) as LedgerApiRow) : undefined;
  }

  async function waitForSettled(app: AppProcess, eventId: number, timeoutMs: number) {
    let last: LedgerApiRow | undefined;
    try {
      return await until(
        `event ${eventId} to be INJECTED or ALREADY_EXISTS`,
        async () => {
          last = await ledgerViaApi(app, eventId);
          return last && ['INJECTED', 'ALREADY_EXISTS'].includes(last.state) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; last row ${JSON.stringify(last)}\n${app.tail(30)}`,
      );
    }
  }

  /** The one complete order for the event, with every item and one payment. */
  function expectOneCompleteOrder(eventId: number): RevelOrder {
    const orders = revel.ordersByLocalId(`Triple Seat_${eventId}`);
    expect(orders).toHaveLength(1);
    const order = orders[0];
    const items = revel.orderItems(order.id);
    expect(items.map((i) => [i.product, Number(i.quantity), String(i.price)]).sort()).toEqual(
      [
        ['/resources/Product/579/', 8, '3.60'],
        ['/resources/Product/590/', 8, '3.20'],
      ].sort(),
    );
    const payments = revel.payments(order.id);
    expect(payments).toHaveLength(1);
    expect(Number(payments[0].amount)).toBeCloseTo(Number(order.final_total), 10);
    expect(Number(order.final_total)).toBeGreaterThan(0);
    return order;
  }

  it('should finish the order exactly once after a SIGKILL between Revel committing it and the ledger hearing of it', async () => {
    const eventId = 62000001;
    const dbFile = newDatabase();
    seedEventToday(eventId);
    // Revel commits the order; the answer never arrives (the client would wait 30 s).
    revel.loseResponses({ method: 'POST', path: '/resources/Order/', count: 1 });
    const first = await startApp(dbFile, { UPSTREAM_TIMEOUT_MS: '30000' });

    const accepted = await tripleseat.sendWebhook(
      `${first.url}/webhooks/tripleseat`,
      webhookBody(eventId),
    );
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ ok: true, reason: 'QUEUED', eventId: String(eventId) });

    await until(
      'the sandbox to hold the order',
      () => (revel.ordersByLocalId(`Triple Seat_${eventId}`).length > 0 ? true : undefined),
      15_000,
    );
    // The POST is still unanswered: the service cannot know the order id yet.
    const orderPosts = revel.requests().filter((r) => `${r.method} ${r.path}` === ORDER_POST);
    expect(orderPosts).toHaveLength(1);
    expect(orderPosts[0].status).toBeUndefined();

    first.kill('SIGKILL');
    expect((await first.waitForExit(10_000)).signal).toBe('SIGKILL');

    const crashed = readLedger(dbFile, eventId);
    expect(crashed).toMatchObject({ state: 'IN_PROGRESS', revel_order_id: null });
    expect(crashed?.lease_expires_at).toEqual(expect.any(Number));
    expect(revel.requestCount(ITEM_POST)).toBe(0);

    const second = await startApp(dbFile);
    const settled = await waitForSettled(second, eventId, 30_000);

    const order = expectOneCompleteOrder(eventId);
    expect(settled.revelOrderId).toBe(String(order.id));
    expect(settled.state).toBe('INJECTED');
    // Found by lookup and adopted, never created a second time.
    expect(revel.requestCount(ORDER_POST)).toBe(1);
    expect(readLedger(dbFile, eventId)).toMatchObject({
      state: 'INJECTED',
      revel_order_id: String(order.id),
      lease_expires_at: null,
    });
  }, 50_000);

  it('should exit 0 on SIGTERM during a slow Revel write and leave the event to complete with one order', async () => {
    const eventId = 62000002;
    const dbFile = newDatabase();
    seedEventToday(eventId);
    revel.faults.add({ method: 'POST', path: '/resources/OrderItem/', latencyMs: 1_500 });
    const first = await startApp(dbFile);

    const accepted = await tripleseat.sendWebhook(
      `${first.url}/webhooks/tripleseat`,
      webhookBody(eventId),
    );
    expect(accepted.status).toBe(200);

    // The first item POST is in flight (held by the latency fault) when SIGTERM arrives.
    await until(
      'an item POST in flight',
      () =>
        revel
          .requests()
          .some((r) => `${r.method} ${r.path}` === ITEM_POST && r.status === undefined)
          ? true
          : undefined,
      15_000,
    );
    const [order] = revel.ordersByLocalId(`Triple Seat_${eventId}`);
    expect(revel.orderItems(order.id)).toHaveLength(0);
    const signalledAt = Date.now();
    first.kill('SIGTERM');

    const exit = await first.waitForExit(20_000);
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    // Within the worker's 15 s shutdown grace.
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    const stopped = readLedger(dbFile, eventId);
    // Finished (settled) or released (PENDING) — never left IN_PROGRESS under a dead owner's lease.
    expect(['INJECTED', 'PENDING']).toContain(stopped?.state);

    revel.faults.clear();
    const second = await startApp(dbFile);
    const settled = await waitForSettled(second, eventId, 30_000);
    const written = expectOneCompleteOrder(eventId);
    expect(written.id).toBe(order.id);
    expect(settled.revelOrderId).toBe(String(written.id));
    expect(revel.requestCount(ORDER_POST)).toBe(1);
    expect(revel.requestCount(ITEM_POST)).toBe(2);
  }, 55_000);
});

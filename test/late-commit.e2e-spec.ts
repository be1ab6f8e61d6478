/**
 * Late commits: Revel holds a write past the client's timeout and commits it anyway, as a slow POS
 * backend does. Each row of the table is a fault on one create route, scaled down (timeout 0.5 s,
 * commit 1.5 s later, settle window 3 s; in production 10 s, ~30 s and 300 s):
 *
 * - Payment, OrderItem, OrderHistory committed after the timeout, inside the window: nothing is
 *   sent twice, the write waits until the record shows;
 * - Order committed after its window (5 s): the service has sent it again by then, so the
 *   read-back one window later finds the second, empty order and deletes it.
 *
 * Every event ends with exactly one order, one payment, each line once (the exactly-once audit of
 * the reliability suite), and a repair, when one was made, is in the event's history. On SQLite
 * with one replica and on PostgreSQL with two.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { fixtureProducts, RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { createKysely } from '../src/database/database.service';
import type { Database } from '../src/database/database.types';
import { AppProcess } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';
import { SmtpCapture } from './support/smtp-capture';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';
import {
  auditExactlyOnce,
  eligibleEvent,
  ExpectedOrder,
  ledgerRows,
  printFigures,
  prng,
  startReplica,
  until,
  webhookBody,
} from './reliability/support';

const EVENTS_PER_CASE = 3;
const SETTLE_SECONDS = 3;

const SERVICE_ENV = {
  LOG_LEVEL: 'warn',
  UPSTREAM_TIMEOUT_MS: '500',
  UPSTREAM_MAX_ATTEMPTS: '3',
  RETRY_BASE_DELAY_MS: '100',
  RETRY_MAX_DELAY_MS: '1000',
  REVEL_WRITE_SETTLE_SECONDS: String(SETTLE_SECONDS),
  WORKER_LEASE_SECONDS: '15',
  WORKER_POLL_MS: '100',
  MAX_ATTEMPTS: '50',
  TRIPLESEAT_RATE_LIMIT_PER_SECOND: '1000',
  REVEL_RATE_LIMIT_PER_SECOND: '1000',
};

interface Case {
  row: string;
  /** The create route whose first POST per event commits late; none for the normal case. */
  path: string | null;
  commitMs: number;
  /** Whether the late commit leaves a duplicate that the read-back must delete. */
  repaired: boolean;
}

const CASES: Case[] = [
  { row: 'no fault (the normal case)', path: null, commitMs: 0, repaired: false },
  {
    row: 'Payment committed after the timeout',
    path: '/resources/Payment/',
    commitMs: 1500,
    repaired: false,
  },
  {
    row: 'OrderItem committed after the timeout',
    path: '/resources/OrderItem/',
    commitMs: 1500,
    repaired: false,
  },
  {
    row: 'OrderHistory committed after the timeout',
    path: '/resources/OrderHistory/',
    commitMs: 1500,
    repaired: false,
  },
  {
    row: 'Order committed past its settle window',
    path: '/resources/Order/',
    commitMs: 5000,
    repaired: true,
  },
];

interface Setup {
  label: string;
  replicas: number;
  databaseUrl: () => Promise<{ url: string; drop: () => Promise<unknown> }>;
}

const SETUPS: Setup[] = [
  {
    label: 'SQLite, one replica',
    replicas: 1,
    databaseUrl: () => {
      const dir = mkdtempSync(join(tmpdir(), 'ts-revel-late-db-'));
      return Promise.resolve({
        url: `sqlite:${join(dir, 'sync.db')}`,
        drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      });
    },
  },
];
if (TEST_DATABASE_URL) {
  SETUPS.push({
    label: 'PostgreSQL, two replicas',
    replicas: 2,
    databaseUrl: async () => {
      const schema: PgSchema = await createPgSchema(TEST_DATABASE_URL ?? '', 'late');
      return { url: schema.url, drop: () => schema.drop() };
    },
  });
} else {
  warnPostgresSkipped('late-commit (two replicas)');
}

describe.each(SETUPS)('late commits in Revel ($label)', (setup) => {
  let dir: string;
  let database: { url: string; drop: () => Promise<unknown> };
  let db: Kysely<Database>;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let replicas: AppProcess[];
  let smtp: SmtpCapture;
  const random = prng(18_180_018);
  let nextId = 81_000_000 + setup.replicas * 100_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-late-'));
    const locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    database = await setup.databaseUrl();
    ({ tripleseat, revel } = await startTestSandboxes());
    smtp = new SmtpCapture();
    const { url: smtpUrl } = await smtp.start();
    const options = {
      databaseUrl: database.url,
      tripleseat,
      revel,
      locationsFile,
      env: {
        ...SERVICE_ENV,
        SMTP_URL: smtpUrl,
        NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
        NOTIFY_EMAIL_TO: 'ops@pinkbox.test',
      },
    };
    replicas = [];
    // One after the other: the first creates the schema.
    for (let i = 0; i < setup.replicas; i += 1) replicas.push(await startReplica(options));
    db = createKysely(database.url);
  }, 120_000);

  afterAll(async () => {
    await AppProcess.killAll();
    await db?.destroy();
    await Promise.all([tripleseat?.close(), revel?.close(), smtp?.close()]);
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)(
    '$row: one order, one payment, each line once',
    async (c) => {
      revel.reset();
      for (const establishment of [4, 9]) revel.seedProducts(establishment, fixtureProducts());
      // The first create of each event on this route is held past the timeout and committed late.
      if (c.path !== null) {
        revel.faults.set([
          {
            method: 'POST',
            path: c.path,
            next: { count: EVENTS_PER_CASE, kind: 'late-commit' },
            lateCommitMs: c.commitMs,
          },
        ]);
      }
      const lateBefore = revel.faults.stats.lateCommitted;
      const expected: ExpectedOrder[] = [];
      for (let i = 0; i < EVENTS_PER_CASE; i += 1) {
        const { event, expected: want } = eligibleEvent(nextId++, random);
        tripleseat.upsertEvent(event);
        expected.push(want);
      }
      const ids = expected.map((e) => e.eventId);
      const started = Date.now();
      const answers = await Promise.all(
        ids.map((id, i) =>
          tripleseat.sendWebhook(
            `${replicas[i % replicas.length].url}/webhooks/tripleseat`,
            webhookBody(id),
          ),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));

      const rows = await until(
        'every event to settle',
        async () => {
          const all = (await ledgerRows(db)).filter((r) => ids.includes(r.event_id));
          const done = all.filter((r) => r.state !== 'PENDING' && r.state !== 'IN_PROGRESS');
          return all.length === ids.length && done.length === ids.length ? all : undefined;
        },
        60_000,
        200,
        async () =>
          JSON.stringify(
            (await ledgerRows(db))
              .filter((r) => ids.includes(r.event_id))
              .map((r) => [r.event_id, r.state, r.detail]),
          ),
      );
      const seconds = (Date.now() - started) / 1000;
      // Whatever Revel still had to commit has landed before it is audited.
      await until(
        'the late commits to land',
        () => (revel.faults.lateCommitsPending === 0 ? true : undefined),
        10_000,
      );
      const audit = auditExactlyOnce(
        revel,
        new Map(rows.map((r) => [r.event_id, r])),
        expected,
        [],
      );
      const history = await db
        .selectFrom('sync_event_history')
        .selectAll()
        .where('event_id', 'in', ids)
        .orderBy('id')
        .execute();
      const repairs = history.filter((h) => h.reason === 'REVEL_REPAIRED');
      const calls = revel.requestCount();
      printFigures(`Late commit (${setup.label}): ${c.row}`, [
        ['events', ids.length],
        ['late commits', revel.faults.stats.lateCommitted - lateBefore],
        ...(c.path
          ? [[`POST ${c.path}`, revel.requestCount(`POST ${c.path}`)] as [string, number]]
          : []),
        ['DELETEs', revel.requests().filter((r) => r.method === 'DELETE').length],
        ['repairs in the history', repairs.length],
        ['Revel calls per order', (calls / ids.length).toFixed(1)],
        ['wall time (s)', seconds.toFixed(1)],
      ]);

      expect(revel.faults.stats.lateCommitted - lateBefore).toBe(c.path ? EVENTS_PER_CASE : 0);
      expect(audit.problems).toEqual([]);
      expect(rows.map((r) => r.state)).toEqual(ids.map(() => 'INJECTED'));
      // The timeout is one failed attempt; waiting out the settle window counts none.
      expect(Math.max(...rows.map((r) => r.attempts))).toBeLessThanOrEqual(1);
      if (c.repaired) {
        // One empty late order per event, found after the window and deleted; the history says so.
        expect(revel.requestCount('DELETE /resources/Order/:id/')).toBe(EVENTS_PER_CASE);
        expect(new Set(repairs.map((h) => h.event_id))).toEqual(new Set(ids));
        for (const repair of repairs)
          expect(repair.detail).toMatch(/deleted Revel order \d+ \(an empty second order/);
      } else if (c.path !== null) {
        // Nothing was ever sent twice, so nothing needed repairing.
        const creates =
          c.path === '/resources/OrderItem/'
            ? expected.reduce((n, e) => n + e.lines.length, 0)
            : ids.length;
        expect(revel.requestCount(`POST ${c.path}`)).toBe(creates);
        expect(repairs).toEqual([]);
      } else {
        // The fast path: a fresh order lists none of its records and is not read back here.
        const listings = ['OrderItem', 'Payment', 'OrderHistory'].map((resource) =>
          revel.requestCount(`GET /resources/${resource}/`),
        );
        expect(listings).toEqual([0, 0, 0]);
        expect(repairs).toEqual([]);
      }
    },
    90_000,
  );

  it('Order committed past its window into an order a cashier already paid: FAILED REVEL_DUPLICATE, the record named, an e-mail', async () => {
    revel.reset();
    for (const establishment of [4, 9]) revel.seedProducts(establishment, fixtureProducts());
    revel.faults.set([
      {
        method: 'POST',
        path: '/resources/Order/',
        next: { count: 1, kind: 'late-commit' },
        lateCommitMs: 5000,
      },
    ]);
    const { event } = eligibleEvent(nextId++, random);
    tripleseat.upsertEvent(event);
    const id = String(event.id);
    const localId = `Triple Seat_${id}`;
    expect(
      (await tripleseat.sendWebhook(`${replicas[0].url}/webhooks/tripleseat`, webhookBody(id)))
        .status,
    ).toBe(200);

    // The late order lands beside the one written after the window; a cashier takes a payment on
    // it before the read-back comes.
    const late = await until(
      'the late order',
      () => {
        const orders = revel.ordersByLocalId(localId);
        return orders.length === 2
          ? orders.find((o) => revel.orderItems(o.id).length === 0)
          : undefined;
      },
      20_000,
      20,
    );
    const paid = await fetch(`${revel.url}/resources/Payment/`, {
      method: 'POST',
      headers: {
        'API-AUTHENTICATION': `${SECRETS.revelKey}:${SECRETS.revelSecret}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        uuid: 'a-cashier-payment',
        order: `/resources/Order/${late.id}/`,
        amount: '5.00',
      }),
    });
    expect(paid.status).toBe(201);

    const row = await until(
      'the event to settle',
      async () => {
        const found = (await ledgerRows(db)).find((r) => r.event_id === id);
        return found && !['PENDING', 'IN_PROGRESS'].includes(found.state) ? found : undefined;
      },
      30_000,
      200,
    );
    expect(row).toMatchObject({ state: 'FAILED', reason: 'REVEL_DUPLICATE' });
    expect(row.detail).toContain(`remove Order ${late.id} at the POS`);
    // Nothing someone used is deleted.
    expect(revel.ordersByLocalId(localId)).toHaveLength(2);
    const mail = await smtp.waitFor(
      (m) => m.subject.includes(`#${id}`) && m.text.includes('REVEL_DUPLICATE'),
      15_000,
    );
    expect(mail.text).toContain(`Order ${late.id}`);
  }, 60_000);
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { createKysely } from '../src/database/database.service';
import type { Database, SyncEventRow } from '../src/database/database.types';
import {
  auditExactlyOnce,
  eligibleEvent,
  ExpectedOrder,
  ledgerRows,
  pool,
  printFigures,
  prng,
  sleep,
  startReplica,
  until,
  webhookBody,
} from './reliability/support';
import { AppProcess } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';
import { TcpProxy } from './support/tcp-proxy';

const SUITE = 'failover';
const run = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) warnPostgresSkipped(SUITE);

/**
 * docs/deployment.md, 'When the database goes away': a lost database connection (restart, failover)
 * never ends the process. The real service as a child process on PostgreSQL, reached through a TCP
 * proxy the test can cut. First its backends are terminated (pg_terminate_backend, FATAL 57P01, as
 * a restart or failover does) during a burst of signed webhooks; then the database is unreachable
 * for a while. Throughout: the process lives, a webhook is answered 200 only once it is recorded
 * and 503 otherwise (TripleSeat re-sends), readiness goes 503 and comes back by itself, and every
 * delivery ends with exactly one Revel order.
 */
run('Database failover (e2e on PostgreSQL, real process)', () => {
  const base = TEST_DATABASE_URL ?? '';
  const appName = `failover_${process.pid}_${Date.now() % 100000}`;
  const random = prng(20260701);
  let dir: string;
  let schema: PgSchema;
  let admin: Kysely<Database>;
  let ledger: Kysely<Database>;
  let proxy: TcpProxy;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let app: AppProcess;
  const expected: ExpectedOrder[] = [];
  /** sha256 of every delivery body answered 200: each must be in webhook_deliveries. */
  const acknowledged = new Set<string>();
  const statuses: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-failover-'));
    schema = await createPgSchema(base, 'failover');
    admin = createKysely(base);
    ledger = createKysely(schema.url);
    const target = new URL(base);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const viaProxy =
      schema.url.replace(`@${target.host}`, `@127.0.0.1:${proxy.port}`) +
      `&application_name=${appName}`;
    ({ tripleseat, revel } = await startTestSandboxes());
    const locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    app = await startReplica({
      databaseUrl: viaProxy,
      tripleseat,
      revel,
      locationsFile,
      env: { WORKER_LEASE_SECONDS: '10', LOG_LEVEL: 'info' },
    });
  });

  afterAll(async () => {
    await AppProcess.killAll();
    await Promise.allSettled([proxy?.close(), tripleseat?.close(), revel?.close()]);
    await ledger?.destroy().catch(() => undefined);
    await schema?.drop().catch(() => undefined);
    await admin?.destroy().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ready = async () => (await fetch(`${app.url}/health/ready`)).status;

  /** Sends one delivery as TripleSeat would, until it is acknowledged; records every answer. */
  async function deliver(eventId: string, maxTries = 200): Promise<void> {
    const body = webhookBody(eventId);
    const raw = JSON.stringify(body);
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      const res = await tripleseat.sendWebhook(`${app.url}/webhooks/tripleseat`, body);
      statuses.push(res.status);
      if (res.status === 200) {
        acknowledged.add(createHash('sha256').update(raw).digest('hex'));
        return;
      }
      await sleep(100);
    }
    throw new Error(`delivery for ${eventId} never acknowledged`);
  }

  async function rows(): Promise<Map<string, SyncEventRow>> {
    return new Map((await ledgerRows(ledger)).map((r) => [r.event_id, r]));
  }

  async function expectExactlyOnce(): Promise<void> {
    const settled = await until(
      'every event to have its order',
      async () => {
        const all = await rows();
        return expected.every((e) => all.get(e.eventId)?.state === 'INJECTED') ? all : undefined;
      },
      90_000,
      250,
      async () => {
        const all = await rows();
        return expected
          .filter((e) => all.get(e.eventId)?.state !== 'INJECTED')
          .map((e) => `${e.eventId}: ${JSON.stringify(all.get(e.eventId) ?? null)}`)
          .slice(0, 5)
          .join('\n');
      },
    );
    const audit = auditExactlyOnce(revel, settled, expected, []);
    expect(audit.problems).toEqual([]);
    const recorded = await ledger.selectFrom('webhook_deliveries').select('delivery_key').execute();
    const keys = new Set(recorded.map((r) => r.delivery_key));
    expect([...acknowledged].filter((key) => !keys.has(key))).toEqual([]);
  }

  it('should keep running and answer 503 or a recorded 200 while its backends are terminated during a burst', async () => {
    const burst = Array.from({ length: 40 }, (_, i) => eligibleEvent(93_000_000 + i, random));
    for (const { event, expected: order } of burst) {
      tripleseat.upsertEvent(event);
      expected.push(order);
    }
    let terminated = 0;
    const stopKilling = Date.now() + 2_500;
    const killer = (async () => {
      while (Date.now() < stopKilling) {
        const killed = await sql<{ killed: boolean }>`
          select pg_terminate_backend(pid) as killed from pg_stat_activity
          where application_name = ${appName} and pid <> pg_backend_pid()`.execute(admin);
        terminated += killed.rows.filter((r) => r.killed).length;
        await sleep(40);
      }
    })();
    await pool(burst, 6, async ({ expected: order }) => {
      await deliver(order.eventId);
      await sleep(60);
    });
    await killer;

    printFigures('failover: backends terminated during a burst of 40 signed webhooks', [
      ['backends terminated', terminated],
      ['answers 200', statuses.filter((s) => s === 200).length],
      ['answers 503 (re-sent)', statuses.filter((s) => s === 503).length],
      ['other answers', statuses.filter((s) => s !== 200 && s !== 503).length],
    ]);
    expect(terminated).toBeGreaterThan(0);
    expect(app.hasExited).toBe(false);
    expect([...new Set(statuses)].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    await until(
      'readiness to be 200',
      async () => ((await ready()) === 200 ? true : undefined),
      20_000,
    );
    await expectExactlyOnce();
  }, 180_000);

  it('should answer 503 within seconds, go unready and back off while the database is unreachable, then resume by itself', async () => {
    const { event, expected: order } = eligibleEvent(93_100_000, random);
    tripleseat.upsertEvent(event);
    expected.push(order);

    const backOffs = () =>
      app.output().filter((l) => l.includes('worker backing off: the database is unavailable'))
        .length;
    const backOffsBefore = backOffs();
    proxy.cut();
    await until(
      'readiness to go 503',
      async () => ((await ready()) === 503 ? true : undefined),
      15_000,
    );
    const started = Date.now();
    const refused = await tripleseat.sendWebhook(
      `${app.url}/webhooks/tripleseat`,
      webhookBody(order.eventId),
    );
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
    const sync = await fetch(`${app.url}/api/sync/tripleseat?event_id=${order.eventId}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SECRETS.apiToken}` },
    });
    expect(sync.status).toBe(503);
    // The worker has met the outage on a turn of its own and backs off: the process lives on.
    await until(
      'the worker to back off',
      () => (backOffs() > backOffsBefore ? true : undefined),
      30_000,
    );
    expect(app.hasExited).toBe(false);
    expect(await ready()).toBe(503);

    proxy.restore();
    await until(
      'readiness to come back',
      async () => ((await ready()) === 200 ? true : undefined),
      30_000,
    );
    await deliver(order.eventId);
    await expectExactlyOnce();

    const output = app.output().join('\n');
    expect(output).toContain('worker backing off: the database is unavailable');
    expect(output).toContain('worker resumed');
    expect(output).not.toMatch(/Unhandled|uncaughtException|ERR_UNHANDLED/);
    app.kill('SIGTERM');
    const exit = await app.waitForExit(30_000);
    expect(exit.code).toBe(0);
    expect(app.output().filter((line) => line.includes('shut down: finished'))).toHaveLength(1);
  }, 180_000);
});

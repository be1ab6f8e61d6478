/**
 * The kill switch during a burst on two replicas sharing PostgreSQL: once
 * `PUT /api/switches/enableConnector {"value":false}` has returned on one replica, no
 * `POST /resources/Order/` reaches Revel from either (Order POSTs already queued behind Revel's rate
 * limit included); orders already created finish their steps. Turned back on, every event is
 * written exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { createKysely } from '../src/database/database.service';
import type { Database } from '../src/database/database.types';
import { AppProcess } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';
import {
  api,
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

const EVENTS = 40;
const FIRST_ID = 83_000_000;

const describePg = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) warnPostgresSkipped('kill-switch-burst');

async function putSwitch(baseUrl: string, value: boolean): Promise<void> {
  const res = await fetch(`${baseUrl}/api/switches/enableConnector`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${SECRETS.apiToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ value }),
  });
  if (res.status !== 200)
    throw new Error(`switch flip answered ${res.status}: ${await res.text()}`);
}

async function connectorOn(baseUrl: string): Promise<boolean> {
  const { body } = await api(baseUrl, '/api/switches', 'GET');
  const switches = (body as { switches: { name: string; value: boolean }[] }).switches;
  return switches.find((s) => s.name === 'enableConnector')?.value === true;
}

describePg('kill switch during a burst on two replicas (PostgreSQL)', () => {
  let dir: string;
  let schema: PgSchema;
  let db: Kysely<Database>;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let replicas: AppProcess[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-kill-'));
    const locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'kill');
    db = createKysely(schema.url);
    ({ tripleseat, revel } = await startTestSandboxes());
    const options = {
      databaseUrl: schema.url,
      tripleseat,
      revel,
      locationsFile,
      env: {
        LOG_LEVEL: 'warn',
        WORKER_CONCURRENCY: '16',
        WORKER_POLL_MS: '100',
        // Revel's own pace: writes queue behind the rate limit, as in a real burst.
        REVEL_RATE_LIMIT_PER_SECOND: '20',
        TRIPLESEAT_RATE_LIMIT_PER_SECOND: '1000',
      },
    };
    replicas = [await startReplica(options)];
    replicas.push(await startReplica(options));
  }, 120_000);

  afterAll(async () => {
    await AppProcess.killAll();
    await db?.destroy();
    await Promise.all([tripleseat?.close(), revel?.close()]);
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should create no order after the switch was turned off, and write every event once it is on again', async () => {
    const random = prng(3_600_500);
    const expected: ExpectedOrder[] = [];
    for (let i = 0; i < EVENTS; i += 1) {
      const { event, expected: want } = eligibleEvent(FIRST_ID + i, random);
      tripleseat.upsertEvent(event);
      expected.push(want);
    }
    // Every Revel call takes a while, so the burst is still being written when the switch flips.
    revel.faults.set([{ latencyMs: 60 }]);
    const orderPosts = () => revel.requests().filter((r) => r.route === 'POST /resources/Order/');

    const deliveries = Promise.all(
      expected.map((e, i) =>
        tripleseat.sendWebhook(
          `${replicas[i % 2].url}/webhooks/tripleseat`,
          webhookBody(e.eventId),
        ),
      ),
    );
    await until(
      'the burst to start creating orders',
      () => (orderPosts().length >= 4 ? true : undefined),
      60_000,
      20,
    );
    await putSwitch(replicas[0].url, false);
    const flippedAt = Date.now();
    const createdBeforeFlip = orderPosts().length;
    const answers = await deliveries;
    expect(answers.map((a) => a.status)).toEqual(expected.map(() => 200));

    // Quiet: both replicas see the switch off, and no pass is still running.
    await until(
      'the other replica to see the switch off',
      async () => ((await connectorOn(replicas[1].url)) ? undefined : true),
      10_000,
    );
    const stopped = await until(
      'every claimed event to finish its pass',
      async () => {
        const rows = (await ledgerRows(db)).filter((r) => r.event_id.startsWith('830'));
        return rows.length === EVENTS && rows.every((r) => r.state !== 'IN_PROGRESS')
          ? rows
          : undefined;
      },
      60_000,
    );
    const lateCreates = orderPosts().filter((r) => Date.parse(r.at) > flippedAt);
    const waiting = stopped.filter((r) => r.state === 'PENDING');

    await putSwitch(replicas[1].url, true);
    const rows = await until(
      'every event to be written',
      async () => {
        const all = (await ledgerRows(db)).filter((r) => r.event_id.startsWith('830'));
        return all.length === EVENTS && all.every((r) => r.state === 'INJECTED') ? all : undefined;
      },
      120_000,
      200,
    );
    const audit = auditExactlyOnce(revel, new Map(rows.map((r) => [r.event_id, r])), expected, []);

    printFigures('Kill switch during a burst (two replicas)', [
      ['events', EVENTS],
      ['Order POSTs before the flip returned', createdBeforeFlip],
      ['Order POSTs after the flip returned', lateCreates.length],
      ['events waiting while off', waiting.length],
      [
        '  of which CONNECTOR_DISABLED',
        waiting.filter((r) => r.reason === 'CONNECTOR_DISABLED').length,
      ],
      ['Order POSTs in all', orderPosts().length],
      ['orders in Revel', revel.orders().length],
    ]);

    expect(lateCreates).toEqual([]);
    // The flip came mid-burst: some events were left to write.
    expect(waiting.length).toBeGreaterThan(0);
    expect(audit.problems).toEqual([]);
    expect(revel.orders()).toHaveLength(EVENTS);
  }, 240_000);
});

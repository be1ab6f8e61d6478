/**
 * Races: the same event arrives through 50 distinct webhooks spread over two replicas, a manual
 * sync and a reconciliation, all at once → exactly one Revel order. Revel answers slowly so that
 * the windows between "look up", "create" and "record" are wide open.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { RevelSandbox } from '../../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../../sandbox/tripleseat.sandbox';
import { createKysely } from '../../src/database/database.service';
import type { Database } from '../../src/database/database.types';
import { AppProcess } from '../support/app-process';
import { LOCATIONS, startTestSandboxes } from '../support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from '../support/pg-schema';
import {
  api,
  auditExactlyOnce,
  eligibleEvent,
  ExpectedOrder,
  ledgerRows,
  printFigures,
  prng,
  startReplica,
  TRIGGERS,
  unsettled,
  until,
  webhookBody,
} from './support';

const ROUNDS = 4;
const WEBHOOKS = 50;
const FIRST_ID = 72_000_000;

const describePg = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) warnPostgresSkipped('reliability/races');

describePg('reliability: races for one event across two replicas (PostgreSQL)', () => {
  let dir: string;
  let schema: PgSchema;
  let db: Kysely<Database>;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let replicas: AppProcess[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-races-'));
    const locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'races');
    db = createKysely(schema.url);
    ({ tripleseat, revel } = await startTestSandboxes({ pageSize: 50 }));
    const options = {
      databaseUrl: schema.url,
      tripleseat,
      revel,
      locationsFile,
      env: {
        LOG_LEVEL: 'info',
        WORKER_LEASE_SECONDS: '5',
        WORKER_CONCURRENCY: '8',
        REVEL_RATE_LIMIT_PER_SECOND: '1000',
        TRIPLESEAT_RATE_LIMIT_PER_SECOND: '1000',
      },
    };
    replicas = await Promise.all([startReplica(options), startReplica(options)]);
  }, 90_000);

  afterAll(async () => {
    await AppProcess.killAll();
    await db?.destroy();
    await Promise.all([tripleseat?.close(), revel?.close()]);
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`should write one order per event under ${WEBHOOKS} webhooks, a manual sync and a reconciliation at once`, async () => {
    const started = Date.now();
    const random = prng(20_240_611);
    const expected: ExpectedOrder[] = [];
    let queued = 0;
    let duplicates = 0;
    const syncStates: string[] = [];
    // Every Revel call takes a while: the race windows stay open.
    revel.faults.set([{ latencyMs: 40 }]);

    for (let round = 0; round < ROUNDS; round += 1) {
      const { event, expected: want } = eligibleEvent(FIRST_ID + round, random);
      tripleseat.upsertEvent(event);
      expected.push(want);
      const id = want.eventId;
      const hooks = Array.from({ length: WEBHOOKS }, (_, i) =>
        tripleseat.sendWebhook(
          `${replicas[i % 2].url}/webhooks/tripleseat`,
          // Distinct bodies: distinct deliveries, none deduplicated by its hash.
          webhookBody(id, TRIGGERS[i % TRIGGERS.length], i),
        ),
      );
      const manual = api(replicas[round % 2].url, `/api/sync/tripleseat?event_id=${id}`);
      const reconcile = api(
        replicas[(round + 1) % 2].url,
        '/api/sync/tripleseat?hours_back=48&wait=25',
      );
      const [answers, single, bulk] = await Promise.all([Promise.all(hooks), manual, reconcile]);

      for (const answer of answers) {
        expect(answer.status).toBe(200);
        const reason = (answer.body as { reason: string }).reason;
        if (reason === 'QUEUED') queued += 1;
        if (reason === 'DUPLICATE_DELIVERY') duplicates += 1;
      }
      expect(single.status).toBe(200);
      expect(bulk.status).toBe(200);
      const singleEvents = (single.body as { events: { eventId: string; status: string }[] })
        .events;
      syncStates.push(singleEvents[0]?.status ?? 'none');
      // The manual sync waits for whoever holds the event: it reports the final outcome.
      expect(singleEvents).toEqual([expect.objectContaining({ eventId: id, status: 'INJECTED' })]);
      const bulkEvents = (bulk.body as { events: { eventId: string; status: string }[] }).events;
      expect(bulkEvents.find((e) => e.eventId === id)).toEqual(
        expect.objectContaining({ status: 'INJECTED' }),
      );
    }

    await until(
      'the ledger to settle',
      async () => (unsettled(await ledgerRows(db)).length === 0 ? true : undefined),
      30_000,
    );
    // Late wake-ups and lease expiries get their chance to do harm before the audit: no row is
    // held under a live lease any more (a worker still writing would hold one), and the ledger is
    // still settled once every lease has been given up or has run out.
    await until(
      'every lease to be released or to run out',
      async () =>
        (await ledgerRows(db)).every(
          (r) => r.lease_owner === null || Number(r.lease_expires_at ?? 0) <= Date.now(),
        )
          ? true
          : undefined,
      30_000,
    );
    const rows = await ledgerRows(db);
    expect(unsettled(rows)).toEqual([]);
    const audit = auditExactlyOnce(revel, new Map(rows.map((r) => [r.event_id, r])), expected, []);

    printFigures('Races', [
      ['events', ROUNDS],
      ['webhooks per event (over 2 replicas)', WEBHOOKS],
      ['  answered QUEUED', queued],
      ['  answered DUPLICATE_DELIVERY', duplicates],
      ['manual syncs + reconciliations', `${ROUNDS} + ${ROUNDS}`],
      ['manual sync reported', syncStates.join(', ')],
      ['Revel order POSTs', revel.requestCount('POST /resources/Order/')],
      ['orders in Revel', revel.orders().length],
      ['DUPLICATES found', audit.duplicates],
      ['MISSING found', audit.missing],
      ['wall time (s)', ((Date.now() - started) / 1000).toFixed(1)],
    ]);

    expect(duplicates).toBe(0);
    expect(audit.problems).toEqual([]);
    expect(audit.duplicates).toBe(0);
    expect(audit.missing).toBe(0);
    expect(revel.requestCount('POST /resources/Order/')).toBe(ROUNDS);
    expect(revel.orders()).toHaveLength(ROUNDS);
  }, 120_000);
});

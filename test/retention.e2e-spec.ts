import { LedgerRepository } from '../src/database/ledger.repository';
import { DatabaseService } from '../src/database/database.service';
import { RetentionService } from '../src/database/retention.service';
import { SyncWorker } from '../src/sync/sync.worker';
import { Harness, SECRETS, startHarness } from './support/harness';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Retention (LEDGER_RETENTION_DAYS, default 30): webhook deliveries and finished runs older than
 * that are pruned by an hourly job that one replica runs per slot; event rows are kept. Two apps
 * on one SQLite file stand for two replicas.
 */
describe('Ledger retention (e2e)', () => {
  let first: Harness;
  let second: Harness;

  beforeAll(async () => {
    const now = new Date();
    first = await startHarness({ now });
    second = await startHarness({
      now,
      databaseUrl: first.databaseUrl,
      tripleseat: first.tripleseat,
      revel: first.revel,
    });
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const db = () => first.get(DatabaseService).db;
  const advance = (ms: number) => {
    first.clock.advance(ms);
    second.clock.set(first.clock.now());
  };

  it('should prune old deliveries and finished runs once per slot across replicas, and keep event rows', async () => {
    const event = first.seedEvent({ id: 65000001 });
    const oldBody = { webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id: event.id } };
    // A bare signature: no timestamp, so the same bytes stay authentic for ever.
    const queued = await first.webhook(oldBody, { format: 'bare' });
    expect(queued.body).toMatchObject({ reason: 'QUEUED' });
    await first.waitForState('65000001', ['INJECTED']);
    const ledger = first.get(LedgerRepository);
    const startRun = async (correlationId: string) =>
      (await ledger.startLeasedManualRun('api', 48, correlationId, 60_000)).id;
    const oldRun = await startRun('sync-old');
    await ledger.finishRun(oldRun, 'succeeded', { queried: 0 });
    // A run whose replica died: "running" for ever.
    await startRun('sync-abandoned');

    // A console session, signed in now: long expired after a month.
    const signIn = await fetch(`${first.url}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: SECRETS.apiToken }).toString(),
    });
    expect(signIn.status).toBe(303);

    advance(31 * DAY_MS);
    const fresh = await first.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 65000099 },
    });
    expect(fresh.body).toMatchObject({ reason: 'QUEUED' });
    const newRun = await startRun('sync-new');
    await ledger.finishRun(newRun, 'succeeded', { queried: 0 });

    const report = await first.get(RetentionService).tick();
    expect(report).toMatchObject({ deliveries: 1, runs: 2, sessions: 1 });
    expect(await second.get(RetentionService).tick()).toBe('slot-taken');
    expect(await first.get(RetentionService).tick()).toBe('slot-taken');

    const deliveries = await db().selectFrom('webhook_deliveries').select('event_ids').execute();
    expect(deliveries.map((d) => d.event_ids)).toEqual(['["65000099"]']);
    const runs = await db().selectFrom('reconciliation_runs').select('id').execute();
    expect(runs.map((r) => Number(r.id))).toEqual([newRun]);
    // The event row and its history stay: they are the record of what was ordered.
    expect((await ledger.get('65000001'))?.state).toBe('INJECTED');
    expect((await ledger.history('65000001')).length).toBeGreaterThan(0);

    // The next hour is a new slot.
    advance(60 * 60 * 1000);
    expect(await second.get(RetentionService).tick()).toMatchObject({
      deliveries: 0,
      runs: 0,
      sessions: 0,
    });
  });

  it('should treat a bare-signature re-send older than the retention as new, and still write no second order', async () => {
    const oldBody = { webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id: 65000001 } };
    const resent = await first.webhook(oldBody, { format: 'bare' });
    // Its record was pruned, so it is not recognised as a duplicate: the event is queued again…
    expect(resent.body).toMatchObject({ reason: 'QUEUED' });
    await first.get(SyncWorker).tick();
    // A later turn ended with nothing in flight: the re-queued event has been handled.
    await first.get(SyncWorker).idle();
    // …and, having its order, it is only checked: never written twice.
    expect(first.revel.ordersByLocalId('Triple Seat_65000001')).toHaveLength(1);
    const state = (await first.get(LedgerRepository).get('65000001'))?.state;
    expect(['INJECTED', 'DRIFTED']).toContain(state);
  });

  it('should keep everything when LEDGER_RETENTION_DAYS=0', async () => {
    const keeper = await startHarness({ env: { LEDGER_RETENTION_DAYS: '0' } });
    try {
      expect(await keeper.get(RetentionService).tick()).toBe('disabled');
    } finally {
      await keeper.close();
    }
  });
});

import request from 'supertest';
import { SyncWorker } from '../src/sync/sync.worker';
import { Harness, startHarness } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';

/**
 * The kill switch and dry run flipped at run time through the API: they apply to the next event
 * without a restart, and every replica on the database sees a flip within about 2 s.
 */

const webhookBody = (id: number | string) => ({
  webhook_trigger_type: 'STATUS_CHANGE_EVENT',
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
});

interface SwitchView {
  name: string;
  value: boolean;
  source: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

interface SwitchesBody {
  switches: SwitchView[];
  flips: { name: string; value: boolean; actor: string; at: string; correlationId: string }[];
}

const switchOf = (body: SwitchesBody, name: string) => body.switches.find((s) => s.name === name);

describe('switches through the API (e2e against the sandboxes)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should answer the environment’s values before any flip', async () => {
    const res = await h.api().get('/api/switches').expect(200);
    expect(res.body).toEqual({
      switches: [
        {
          name: 'enableConnector',
          value: true,
          source: 'environment',
          updatedAt: null,
          updatedBy: null,
        },
        { name: 'dryRun', value: false, source: 'environment', updatedAt: null, updatedBy: null },
      ],
      flips: [],
    });
  });

  it('should settle the next event DRY_RUN once dry run is flipped on, writing nothing to Revel', async () => {
    const put = await h
      .api()
      .put('/api/switches/dryRun')
      .set('X-Correlation-Id', 'req-flip-dry-run')
      .send({ value: true })
      .expect(200);
    const body = put.body as SwitchesBody;
    expect(switchOf(body, 'dryRun')).toEqual({
      name: 'dryRun',
      value: true,
      source: 'database',
      updatedAt: h.clock.now().toISOString(),
      updatedBy: 'api',
    });
    expect(body.flips).toEqual([
      {
        id: expect.any(Number) as number,
        name: 'dryRun',
        value: true,
        at: h.clock.now().toISOString(),
        actor: 'api',
        correlationId: 'req-flip-dry-run',
      },
    ]);

    const event = h.seedEvent({ id: 67000001 });
    expect((await h.webhook(webhookBody(event.id))).status).toBe(200);
    const row = await h.waitForState(String(event.id), [
      'DRY_RUN',
      'INJECTED',
      'FAILED',
      'SKIPPED',
    ]);
    expect(row).toMatchObject({ state: 'DRY_RUN', reason: 'DRY_RUN' });
    expect(h.revel.ordersByLocalId(`Triple Seat_${event.id}`)).toHaveLength(0);

    const listed = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(listed.flips[0]).toMatchObject({ name: 'dryRun', value: true, actor: 'api' });

    await h.api().put('/api/switches/dryRun').send({ value: false }).expect(200);
    const after = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(switchOf(after, 'dryRun')).toMatchObject({ value: false, source: 'database' });
    expect(after.flips.map((f) => f.value)).toEqual([false, true]);
  });

  it('should answer 404 naming an unknown switch', async () => {
    const res = await h.api().put('/api/switches/killSwitch').send({ value: true }).expect(404);
    expect(res.body.message).toContain('killSwitch');
  });

  it.each([
    ['no value', {}],
    ['a value that is not a boolean', { value: 'true' }],
    ['a numeric value', { value: 1 }],
  ])('should answer 400 naming the field for %s', async (_label, body) => {
    const res = await h.api().put('/api/switches/enableConnector').send(body).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('value');
  });

  it('should answer 400 naming an unknown field', async () => {
    const res = await h
      .api()
      .put('/api/switches/enableConnector')
      .send({ value: false, reason: 'x' })
      .expect(400);
    expect(JSON.stringify(res.body.message)).toContain('reason');
    const listed = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(switchOf(listed, 'enableConnector')).toMatchObject({ value: true });
  });

  it('should refuse both routes without the token', async () => {
    await request(h.url).get('/api/switches').expect(401);
    await request(h.url).put('/api/switches/dryRun').send({ value: true }).expect(401);
    const listed = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(switchOf(listed, 'dryRun')).toMatchObject({ value: false });
  });
});

describe('kill switch started off (e2e against the sandboxes)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { ENABLE_CONNECTOR: 'false' } });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should leave an event unwritten, and write it once the connector is flipped on, without a restart', async () => {
    const listed = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(switchOf(listed, 'enableConnector')).toMatchObject({
      value: false,
      source: 'environment',
    });

    const event = h.seedEvent({ id: 67000101 });
    expect((await h.webhook(webhookBody(event.id))).status).toBe(200);
    // A worker turn has looked at the ledger since the delivery, and left the event alone.
    await h.get(SyncWorker).idle();
    expect((await h.waitForState(String(event.id), ['PENDING'])).state).toBe('PENDING');
    expect(h.revel.ordersByLocalId(`Triple Seat_${event.id}`)).toHaveLength(0);

    await h.api().put('/api/switches/enableConnector').send({ value: true }).expect(200);
    const row = await h.waitForState(String(event.id), ['INJECTED', 'FAILED', 'SKIPPED'], 10_000);
    expect(row.state).toBe('INJECTED');
    expect(h.revel.ordersByLocalId(`Triple Seat_${event.id}`)).toHaveLength(1);

    // Off again: the next event is recorded, not written.
    await h.api().put('/api/switches/enableConnector').send({ value: false }).expect(200);
    const next = h.seedEvent({ id: 67000102 });
    expect((await h.webhook(webhookBody(next.id))).status).toBe(200);
    await h.get(SyncWorker).idle();
    expect((await h.waitForState(String(next.id), ['PENDING'])).state).toBe('PENDING');
    expect(h.revel.ordersByLocalId(`Triple Seat_${next.id}`)).toHaveLength(0);
  });
});

if (!TEST_DATABASE_URL) warnPostgresSkipped('switches e2e');
const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;

describePostgres('switches shared by two replicas on one PostgreSQL schema (e2e)', () => {
  let first: Harness;
  let second: Harness;
  let schema: PgSchema;

  beforeAll(async () => {
    schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'switches');
    first = await startHarness({ databaseUrl: schema.url });
    second = await startHarness({ databaseUrl: schema.url });
  });

  afterAll(async () => {
    // In reverse: each harness restores the environment it found.
    await second?.close();
    await first?.close();
    await schema?.drop();
  });

  /** How long until `h` answers the value; fails after 3 s. */
  async function seenAfter(h: Harness, name: string, value: boolean): Promise<number> {
    const since = Date.now();
    for (;;) {
      const body = (await h.api().get('/api/switches').expect(200)).body as SwitchesBody;
      if (switchOf(body, name)?.value === value) return Date.now() - since;
      if (Date.now() - since > 3_000) {
        throw new Error(`${name} is still not ${String(value)}: ${JSON.stringify(body.switches)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('should show a flip on one replica on the other within about 2 s', async () => {
    await first.api().put('/api/switches/enableConnector').send({ value: false }).expect(200);
    expect(await seenAfter(second, 'enableConnector', false)).toBeLessThanOrEqual(3_000);
    const seen = (await second.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(switchOf(seen, 'enableConnector')).toMatchObject({
      source: 'database',
      updatedBy: 'api',
    });
    expect(seen.flips[0]).toMatchObject({ name: 'enableConnector', value: false, actor: 'api' });

    await second.api().put('/api/switches/enableConnector').send({ value: true }).expect(200);
    await second.api().put('/api/switches/dryRun').send({ value: true }).expect(200);
    expect(await seenAfter(first, 'dryRun', true)).toBeLessThanOrEqual(3_000);
    expect(await seenAfter(first, 'enableConnector', true)).toBeLessThanOrEqual(3_000);
    const flips = (await first.api().get('/api/switches').expect(200)).body as SwitchesBody;
    expect(flips.flips.map((f) => [f.name, f.value])).toEqual([
      ['dryRun', true],
      ['enableConnector', true],
      ['enableConnector', false],
    ]);
  });
});

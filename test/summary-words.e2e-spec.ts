import { join } from 'node:path';
import request from 'supertest';
import { exampleEvent } from '../sandbox/main';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { AppProcess } from './support/app-process';
import { Harness, SECRETS, startHarness } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  describeEachDatabase,
} from './support/pg-schema';

/**
 * Honest words: a sync summary says `created` only for an order its own processing wrote, and
 * `alreadySynced` for an order that existed (written by a webhook, an earlier sync or another
 * replica); e-mails say the ledger's state; every error body has a message and a correlation id.
 *
 * Two replicas: the in-process app of the harness and the real service as a child process, on one
 * database (one SQLite file; one PostgreSQL schema when TEST_DATABASE_URL is set), one TripleSeat
 * and one Revel.
 */

interface Summary {
  queried: number;
  created: number;
  injected: number;
  alreadySynced: number;
  skipped: number;
  failed: number;
}

interface Report {
  success: boolean;
  mode: string;
  summary: Summary;
  events: { eventId: string; status: string; outcome: string; revelOrderId: string | null }[];
}

const databases: { name: string }[] = [{ name: 'sqlite' }, { name: 'postgres' }];

describeEachDatabase(databases, 'summary words (e2e, two replicas on $name)', ({ name }) => {
  let h: Harness;
  let replica: AppProcess;
  let schema: PgSchema | undefined;

  beforeAll(async () => {
    if (name === 'postgres' && TEST_DATABASE_URL)
      schema = await createPgSchema(TEST_DATABASE_URL, 'words');
    h = await startHarness({ databaseUrl: schema?.url });
    replica = await AppProcess.start(
      {
        databaseUrl: h.databaseUrl,
        tripleseatApiBaseUrl: h.tripleseat.apiBaseUrl,
        tripleseatTokenUrl: h.tripleseat.tokenUrl,
        revelUrl: h.revel.url,
        locationsFile: join(h.dir, 'locations.json'),
        // Either replica's worker may claim an event the other queued: both e-mail the capture.
        smtpUrl: h.smtp.url,
      },
      90_000,
    );
  }, 120_000);

  afterAll(async () => {
    replica?.kill('SIGTERM');
    await replica?.waitForExit(20_000).catch(() => AppProcess.killAll());
    await h?.close();
    await schema?.drop();
  });

  beforeEach(() => {
    // The harness's clock stands still; the child's runs. Keep them together, as NTP does.
    h.clock.set(new Date());
  });

  const syncOn = async (url: string, eventId: number): Promise<Report> => {
    const res = await request(url)
      .post(`/api/sync/tripleseat?event_id=${eventId}`)
      .set('Authorization', `Bearer ${SECRETS.apiToken}`)
      .expect(200);
    return res.body as Report;
  };
  const orders = (eventId: number) => h.revel.ordersByLocalId(`Triple Seat_${eventId}`);

  it('should report created on the replica that wrote the order and alreadySynced on the other', async () => {
    h.seedEvent({ id: 66000001 });

    const first = await syncOn(h.url, 66000001);
    const second = await syncOn(replica.url, 66000001);

    expect(first.summary).toEqual({
      queried: 1,
      created: 1,
      injected: 1,
      alreadySynced: 0,
      skipped: 0,
      failed: 0,
    });
    expect(first.events[0]).toMatchObject({ status: 'INJECTED', outcome: 'created' });
    expect(second.summary).toEqual({
      queried: 1,
      created: 0,
      injected: 0,
      alreadySynced: 1,
      skipped: 0,
      failed: 0,
    });
    expect(second.events[0]).toMatchObject({
      status: 'INJECTED',
      outcome: 'alreadySynced',
      revelOrderId: first.events[0].revelOrderId,
    });
    expect(orders(66000001)).toHaveLength(1);
  });

  it('should count one created and one alreadySynced when both replicas sync the event at once', async () => {
    h.seedEvent({ id: 66000002 });
    // Revel answers slowly, so that the two syncs overlap.
    h.revel.faults.add({ path: '/resources/Order', latencyMs: 100 });
    let reports: Report[];
    try {
      reports = await Promise.all([syncOn(h.url, 66000002), syncOn(replica.url, 66000002)]);
    } finally {
      h.revel.faults.clear();
    }
    const total = (key: keyof Summary) => reports.reduce((sum, r) => sum + r.summary[key], 0);
    expect(total('created')).toBe(1);
    expect(total('injected')).toBe(1);
    expect(total('alreadySynced')).toBe(1);
    expect(total('failed')).toBe(0);
    expect(orders(66000002)).toHaveLength(1);
  });

  it('should call an order a webhook wrote earlier alreadySynced, on either replica', async () => {
    h.seedEvent({ id: 66000003 });
    const hook = await h.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 66000003, status: 'CLOSED', updated_at: '12/28/2025 12:56 PM' },
    });
    expect(hook.status).toBe(200);
    await h.waitForState('66000003', ['INJECTED']);

    for (const url of [h.url, replica.url]) {
      const report = await syncOn(url, 66000003);
      expect(report.summary).toMatchObject({ created: 0, injected: 0, alreadySynced: 1 });
    }
    expect(orders(66000003)).toHaveLength(1);
  });

  it('should say the same of a second manual sync on one replica', async () => {
    h.seedEvent({ id: 66000004 });
    expect((await syncOn(h.url, 66000004)).summary.created).toBe(1);
    expect((await syncOn(h.url, 66000004)).summary).toMatchObject({
      created: 0,
      alreadySynced: 1,
    });
  });

  it('should e-mail a SKIPPED event as skipped with its reason, never as a failure', async () => {
    h.seedEvent({
      id: 66000005,
      documents: [invoiceDocument({ lines: [{ name: 'Kale Smoothie', quantity: 3 }] })],
    });
    const report = await syncOn(h.url, 66000005);
    expect(report.events[0]).toMatchObject({ status: 'SKIPPED', outcome: 'skipped' });

    const mail = await h.smtp.waitFor((m) => m.subject.includes('#66000005'), 10_000);
    expect(mail.subject).toBe(
      'TripleSeat event #66000005 skipped, no Revel order written (NO_ITEMS_MATCHED)',
    );
    expect(mail.text).toContain('State:          SKIPPED');
    expect(mail.text).not.toMatch(/failed|could not be synced/i);
  });

  it('should write the order of the event the sandbox banner seeds from the command line', async () => {
    // As `curl -d` sends it: JSON text with a form-encoded content type.
    const seeded = await fetch(`${h.tripleseat.url}/__sandbox/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify(exampleEvent(66000007, h.todayLA())),
    });
    expect(await seeded.json()).toEqual({ upserted: 1 });

    const report = await syncOn(replica.url, 66000007);
    expect(report.summary).toMatchObject({ created: 1, injected: 1 });
    const [order] = orders(66000007);
    expect(Number(order.final_total)).toBeCloseTo(28.8, 10);
  });

  it('should give every error body statusCode, error, message and correlationId', async () => {
    const unsigned = await h.webhook(
      { webhook_trigger_type: 'UPDATE_EVENT', event: { id: 66000006 } },
      { signature: null },
    );
    const forged = await h.webhook(
      { webhook_trigger_type: 'UPDATE_EVENT', event: { id: 66000006 } },
      { key: 'not-the-key' },
    );
    const noToken = await request(h.url).get('/api/sync/runs');
    const badQuery = await h.api().post('/api/sync/tripleseat?hours_back=0');
    const unknown = await h.api().get('/api/sync/events/66000999');

    for (const res of [unsigned, forged, noToken, badQuery, unknown]) {
      expect(res.body).toEqual(
        expect.objectContaining({
          statusCode: res.status,
          error: expect.any(String) as string,
          message: expect.anything() as unknown,
          correlationId: String(res.headers['x-correlation-id']),
        }),
      );
    }
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({
      error: 'Unauthorized',
      message: 'the X-Signature header is missing',
      reason: 'MISSING_SIGNATURE',
    });
    expect(forged.body).toMatchObject({ reason: 'SIGNATURE_MISMATCH' });
    expect(String((forged.body as { message: string }).message)).toContain('does not match');
  });
});

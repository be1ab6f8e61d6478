import { DateTime } from 'luxon';
import request from 'supertest';
import { ReconciliationScheduler } from '../src/sync/reconciliation.scheduler';
import { SyncWorker } from '../src/sync/sync.worker';
import { LedgerRepository } from '../src/database/ledger.repository';
import { Harness, SECRETS, startHarness } from './support/harness';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  describeEachDatabase,
} from './support/pg-schema';

const webhookBody = (
  id: number | string,
  trigger = 'STATUS_CHANGE_EVENT',
  extra: Record<string, unknown> = {},
) => ({
  webhook_trigger_type: trigger,
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM', ...extra },
});

const databases: { name: string }[] = [{ name: 'sqlite' }, { name: 'postgres' }];

describeEachDatabase(databases, 'Sync pipeline (e2e on $name, sandboxes over HTTP)', ({ name }) => {
  let h: Harness;
  let schema: PgSchema | undefined;

  beforeAll(async () => {
    if (name === 'postgres' && TEST_DATABASE_URL)
      schema = await createPgSchema(TEST_DATABASE_URL, 'pipeline');
    // The suite advances the clock by hours in all (reconciliation slots): it starts at 09:00 in
    // Los Angeles today, so that no run, whatever the real time of day, crosses a site's midnight.
    const now = DateTime.now()
      .setZone('America/Los_Angeles')
      .set({ hour: 9, minute: 0, second: 0, millisecond: 0 })
      .toJSDate();
    h = await startHarness({
      now,
      env: { RECONCILE_ENABLED: 'true' },
      databaseUrl: schema?.url,
    });
  });

  afterAll(async () => {
    await h.close();
    await schema?.drop();
  });

  it('should turn a signed webhook for today into one Revel order equal to the invoice to the cent, and e-mail it', async () => {
    const event = h.seedEvent({
      id: 61000001,
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
            { name: 'Fudgy Wudgie', quantity: '6', price: 3.25 },
            { name: 'Unicorn Sprinkles Deluxe', quantity: 2, price: '9.99' },
          ],
          grandTotal: '45.00',
        }),
      ],
    });
    const res = await h.webhook(webhookBody(event.id));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      processed: false,
      reason: 'QUEUED',
      trigger: 'STATUS_CHANGE_EVENT',
      eventId: '61000001',
    });

    const row = await h.waitForState('61000001', ['INJECTED', 'FAILED', 'SKIPPED']);
    expect(row.state).toBe('INJECTED');
    const orders = h.revel.orders().filter((o) => o.local_id === 'Triple Seat_61000001');
    expect(orders).toHaveLength(1);
    const order = orders[0];
    expect(String(row.revelOrderId)).toBe(String(order.id));
    const items = h.revel.orderItems(order.id);
    expect(items.map((i) => [i.product, Number(i.quantity), String(i.price)]).sort()).toEqual(
      [
        ['/resources/Product/579/', 8, '3.60'],
        ['/resources/Product/592/', 6, '3.25'],
      ].sort(),
    );
    // 8 × 3.60 + 6 × 3.25 = 48.30 in items; the invoice says 45.00 → 3.30 discount.
    expect(Number(order.subtotal)).toBeCloseTo(48.3, 10);
    expect(Number(order.discount_amount)).toBeCloseTo(3.3, 10);
    expect(Number(order.final_total)).toBeCloseTo(45.0, 10);
    expect(h.revel.payments(order.id).map((p) => String(p.amount))).toEqual(['45.00']);

    const mail = await h.smtp.waitFor((m) => m.subject.includes('61000001'), 10_000);
    expect(mail.subject).toContain(String(order.id));
    expect(mail.text).toContain('Unicorn Sprinkles Deluxe');
    expect(mail.text).toContain('45.00');
  });

  it('should write exactly one order under 20 concurrent webhooks, a manual sync and a reconciliation', async () => {
    const event = h.seedEvent({ id: 61000002 });
    const scheduler = h.get(ReconciliationScheduler);
    h.clock.advance(scheduler.intervalMs);
    const webhooks = Array.from({ length: 20 }, (_, i) =>
      h.webhook(webhookBody(event.id, i % 2 ? 'UPDATE_EVENT' : 'STATUS_CHANGE_EVENT', { n: i })),
    );
    const manual = h.api().post(`/api/sync/tripleseat?event_id=${event.id}`);
    const reconcile = scheduler.tick();
    const [hooks, manualRes, tick] = await Promise.all([Promise.all(webhooks), manual, reconcile]);
    expect(hooks.every((r) => r.status === 200)).toBe(true);
    expect(manualRes.status).toBe(200);
    expect(['ran', 'busy']).toContain(tick);
    await h.waitForState('61000002', ['INJECTED', 'ALREADY_EXISTS']);
    expect(h.revel.ordersByLocalId('Triple Seat_61000002')).toHaveLength(1);
    const order = h.revel.ordersByLocalId('Triple Seat_61000002')[0];
    expect(h.revel.orderItems(order.id)).toHaveLength(2);
    expect(h.revel.payments(order.id)).toHaveLength(1);
    expect(manualRes.body.mode).toBe('single');
    expect(manualRes.body.events[0].revelOrderId).toBe(String(order.id));
  });

  it('should hold tomorrow’s event and inject it once the clock reaches its day at the site', async () => {
    const event = h.seedEvent({ id: 61000003, event_date: h.dayLA(1) });
    await h.webhook(webhookBody(event.id));
    const held = await h.waitForState('61000003', ['HELD']);
    expect(held.reason).toBe('TOO_EARLY');
    expect(h.revel.ordersByLocalId('Triple Seat_61000003')).toHaveLength(0);

    h.clock.advance(24 * 3600 * 1000);
    const worker = h.get(SyncWorker);
    await worker.tick();
    const done = await h.waitForState('61000003', ['INJECTED']);
    expect(done.revelOrderId).toBeTruthy();
    expect(h.revel.ordersByLocalId('Triple Seat_61000003')).toHaveLength(1);
    h.clock.advance(-24 * 3600 * 1000);
  });

  it.each([
    ['yesterday', { event_date: 'YESTERDAY' }, 'EVENT_DAY_PASSED'],
    ['a TENTATIVE status', { status: 'tentative' }, 'STATUS_NOT_ELIGIBLE'],
    ['an unmapped location', { location_id: 99999, site_id: 99999 }, 'LOCATION_NOT_MAPPED'],
    [
      'no item that matches a product',
      { documents: [invoiceDocument({ lines: [{ name: 'Kale Smoothie', quantity: 3 }] })] },
      'NO_ITEMS_MATCHED',
    ],
  ])('should skip an event with %s and write nothing', async (_label, overrides, reason) => {
    const id = 61000100 + Math.floor(Math.random() * 100000);
    const patch = { ...overrides } as Record<string, unknown>;
    if (patch.event_date === 'YESTERDAY') patch.event_date = h.dayLA(-1);
    h.seedEvent({ id, ...patch });
    const res = await h.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
    expect(res.body.events[0]).toMatchObject({ eventId: String(id), status: 'SKIPPED', reason });
    expect(res.body.summary).toEqual({
      queried: 1,
      created: 0,
      injected: 0,
      alreadySynced: 0,
      skipped: 1,
      failed: 0,
    });
    expect(h.revel.ordersByLocalId(`Triple Seat_${id}`)).toHaveLength(0);
  });

  it('should complete a partial order when Revel fails on the third write step, without duplicating it', async () => {
    const event = h.seedEvent({ id: 61000004 });
    // Steps: lookup(s), order, item 1, item 2 … fail the second item POST until retries run out.
    h.revel.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 3, kind: 'status', status: 503, after: 1 },
    });
    const first = await h.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    expect(first.body.events[0].status).toBe('PENDING');
    expect(first.body.events[0].reason).toBe('UPSTREAM_RETRYABLE');
    const partial = h.revel.ordersByLocalId('Triple Seat_61000004');
    expect(partial).toHaveLength(1);
    expect(h.revel.orderItems(partial[0].id)).toHaveLength(1);

    h.revel.faults.clear();
    h.clock.advance(5_000);
    await h.get(SyncWorker).tick();
    const done = await h.waitForState('61000004', ['INJECTED']);
    const orders = h.revel.ordersByLocalId('Triple Seat_61000004');
    expect(orders).toHaveLength(1);
    expect(String(done.revelOrderId)).toBe(String(orders[0].id));
    expect(h.revel.orderItems(orders[0].id)).toHaveLength(2);
    expect(h.revel.payments(orders[0].id)).toHaveLength(1);
  });

  it('should complete a partial order after midnight at the site, and flag one whose event was cancelled', async () => {
    const fail = () =>
      h.revel.faults.add({
        method: 'POST',
        path: '/resources/OrderItem/',
        next: { count: 3, kind: 'status', status: 503, after: 1 },
      });
    const late = h.seedEvent({ id: 61000041 });
    const cancelled = h.seedEvent({ id: 61000042 });
    fail();
    await h.api().post(`/api/sync/tripleseat?event_id=${late.id}`).expect(200);
    fail();
    await h.api().post(`/api/sync/tripleseat?event_id=${cancelled.id}`).expect(200);
    h.revel.faults.clear();
    expect(h.revel.ordersByLocalId('Triple Seat_61000041')).toHaveLength(1);
    expect(h.revel.ordersByLocalId('Triple Seat_61000042')).toHaveLength(1);

    h.tripleseat.upsertEvent({ ...cancelled, status: 'LOST' });
    h.clock.advance(24 * 3600 * 1000);
    try {
      await h.get(SyncWorker).tick();
      const done = await h.waitForState('61000041', ['INJECTED', 'SKIPPED', 'FAILED']);
      expect(done.state).toBe('INJECTED');
      const [order] = h.revel.ordersByLocalId('Triple Seat_61000041');
      expect(h.revel.orderItems(order.id)).toHaveLength(2);
      expect(h.revel.payments(order.id)).toHaveLength(1);

      const flagged = await h.waitForState('61000042', ['INJECTED', 'SKIPPED', 'FAILED']);
      expect(flagged).toMatchObject({ state: 'FAILED', reason: 'STATUS_NOT_ELIGIBLE' });
      expect(String(flagged.detail)).toContain('partly written');
      expect(h.revel.ordersByLocalId('Triple Seat_61000042')).toHaveLength(1);
    } finally {
      h.clock.advance(-24 * 3600 * 1000);
    }
  });

  it('should leave an order written by the old connector alone (ALREADY_EXISTS)', async () => {
    const event = h.seedEvent({ id: 61000005 });
    h.revel.seedOrder({ establishmentId: 4, localId: 'Triple Seat 61000005' });
    const res = await h.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    expect(res.body.events[0]).toMatchObject({
      status: 'ALREADY_EXISTS',
      reason: 'ALREADY_EXISTS',
    });
    expect(res.body.summary.alreadySynced).toBe(1);
    expect(h.revel.orders().filter((o) => String(o.local_id).includes('61000005'))).toHaveLength(1);
  });

  it('should create the order for a lost webhook at the next reconciliation', async () => {
    h.seedEvent({ id: 61000006 });
    const scheduler = h.get(ReconciliationScheduler);
    h.clock.advance(scheduler.intervalMs);
    expect(await scheduler.tick()).toBe('ran');
    const row = await h.waitForState('61000006', ['INJECTED']);
    expect(row.revelOrderId).toBeTruthy();
    expect(h.revel.ordersByLocalId('Triple Seat_61000006')).toHaveLength(1);
    expect(await scheduler.tick()).toBe('slot-taken');
    const runs = await h.api().get('/api/sync/runs').expect(200);
    expect(runs.body.runs[0]).toMatchObject({ kind: 'scheduled', status: 'succeeded' });
    expect(runs.body.runs[0].summary.queried).toBeGreaterThanOrEqual(1);
  });

  it('should report a bulk sync over the look-back window', async () => {
    h.seedEvent({ id: 61000007 });
    const res = await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    expect(res.body.mode).toBe('bulk');
    expect(res.body.status).toBe('succeeded');
    expect(res.headers.location).toBe(`/api/sync/runs/${res.body.runId}`);
    const mine = res.body.events.find((e: { eventId: string }) => e.eventId === '61000007');
    expect(mine).toMatchObject({ status: 'INJECTED', outcome: 'created' });
    expect(res.body.summary.queried).toBe(res.body.events.length);
    expect(res.body.summary.created).toBeGreaterThanOrEqual(1);
    const s = res.body.summary as Record<string, number>;
    expect(s.injected + s.alreadySynced + s.skipped + s.failed).toBe(s.queried);
  });

  it('should report a partial order that a manual sync completes as injected, not created', async () => {
    const event = h.seedEvent({ id: 61000008 });
    h.revel.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 3, kind: 'status', status: 503, after: 1 },
    });
    const first = await h.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    h.revel.faults.clear();
    expect(first.body.events[0]).toMatchObject({ status: 'PENDING', outcome: 'failed' });
    expect(first.body.summary).toMatchObject({ created: 0, injected: 0, failed: 1 });
    expect(h.revel.ordersByLocalId('Triple Seat_61000008')).toHaveLength(1);

    const second = await h.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    expect(second.body.events[0]).toMatchObject({ status: 'INJECTED', outcome: 'completed' });
    expect(second.body.summary).toMatchObject({ created: 0, injected: 1, alreadySynced: 0 });
    expect(h.revel.ordersByLocalId('Triple Seat_61000008')).toHaveLength(1);
  });

  describe('bad input', () => {
    const ledgerSnapshot = async () => {
      const ledger = h.get(LedgerRepository);
      return { states: await ledger.countByState(), deliveries: await ledger.countDeliveries() };
    };

    it('should reject a forged signature, a stale timestamp, malformed JSON, an oversized body and a missing event id without touching the ledger', async () => {
      const before = await ledgerSnapshot();
      const forged = await h.webhook(webhookBody(62000001), { key: 'not-the-key' });
      expect(forged.status).toBe(401);
      const missing = await h.webhook(webhookBody(62000001), { signature: null });
      expect(missing.status).toBe(401);
      for (const refused of [forged, missing]) {
        expect(refused.body).toMatchObject({
          statusCode: 401,
          error: 'Unauthorized',
          message: expect.any(String) as string,
          correlationId: refused.headers['x-correlation-id'],
        });
      }
      const stale = await h.webhook(webhookBody(62000001), {
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      });
      expect(stale.status).toBe(401);
      const notJson = await h.webhook(null, {
        rawBody: '{"webhook_trigger_type": "UPDATE_EVENT", ',
      });
      expect(notJson.status).toBe(400);
      const noId = await h.webhook({
        webhook_trigger_type: 'UPDATE_EVENT',
        event: { status: 'CLOSED' },
      });
      expect(noId.status).toBe(400);
      expect(JSON.stringify(noId.body)).toContain('event.id');
      const big = await h.webhook(null, {
        rawBody: JSON.stringify({
          webhook_trigger_type: 'UPDATE_EVENT',
          pad: 'x'.repeat(1_100_000),
        }),
      });
      expect(big.status).toBe(413);
      expect(big.headers['x-correlation-id']).toBeTruthy();
      expect(await ledgerSnapshot()).toEqual(before);
    });

    it('should acknowledge a non-actionable trigger and a duplicate delivery without queueing twice', async () => {
      const ignored = await h.webhook({
        webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
        event: { id: 62000002 },
      });
      expect(ignored.body).toMatchObject({
        ok: true,
        reason: 'TRIGGER_NOT_ACTIONABLE',
        trigger: 'REASSIGN_EVENT_OWNERSHIP',
      });
      h.seedEvent({ id: 62000003 });
      const raw = JSON.stringify(webhookBody(62000003));
      const first = await h.webhook(null, { rawBody: raw });
      const again = await h.webhook(null, { rawBody: raw });
      expect(first.body).toMatchObject({ reason: 'QUEUED', eventId: '62000003' });
      expect(again.body).toMatchObject({ reason: 'DUPLICATE_DELIVERY', eventId: '62000003' });
    });

    it('should queue the events of a booking-only delivery', async () => {
      h.seedEvent({ id: 62000004 });
      const res = await h.webhook({
        webhook_trigger_type: 'CREATE_BOOKING',
        booking: { id: 52511006, event_id: 62000004, updated_at: '12/28/2025 12:56 PM' },
      });
      expect(res.body).toMatchObject({
        reason: 'QUEUED',
        eventId: '62000004',
        trigger: 'CREATE_BOOKING',
      });
      await h.waitForState('62000004', ['INJECTED']);
    });

    it('should answer 401 on /api/* without the bearer token and 400 naming a bad query field', async () => {
      await request(h.url).post('/api/sync/tripleseat?event_id=1').expect(401);
      await request(h.url).get('/api/sync/runs').set('Authorization', 'Bearer wrong').expect(401);
      const bad = await h.api().post('/api/sync/tripleseat?hours_back=9000').expect(400);
      expect(JSON.stringify(bad.body)).toContain('hours_back');
      await h.api().get('/api/sync/events/12345678').expect(404);
    });
  });

  describe('health and correlation', () => {
    it('should answer /health/live and echo or create correlation ids, passing them to the upstreams', async () => {
      const live = await request(h.url).get('/health/live').expect(200);
      expect(live.body.status).toBe('ok');
      expect(live.headers['x-correlation-id']).toMatch(/^req-/);

      h.seedEvent({ id: 62000005 });
      const res = await h
        .api()
        .post('/api/sync/tripleseat?event_id=62000005')
        .set('X-Correlation-Id', 'trace-abc-123')
        .expect(200);
      expect(res.headers['x-correlation-id']).toBe('trace-abc-123');
      const seen = h.tripleseat.requests().filter((r) => r.path === '/v1/events/62000005.json');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((r) => r.correlationId === 'trace-abc-123')).toBe(true);
      expect(h.revel.requests().some((r) => r.correlationId === 'trace-abc-123')).toBe(true);
      const mine = h.logs.filter((l) => l.includes('trace-abc-123'));
      expect(mine.length).toBeGreaterThan(2);

      const sync = await h.api().post('/api/sync/tripleseat?event_id=62000005').expect(200);
      expect(sync.headers['x-correlation-id']).toMatch(/^sync-/);
    });

    it('should stay ready when reconciliation is older than twice the interval, while /health answers 503 naming it', async () => {
      const scheduler = h.get(ReconciliationScheduler);
      h.clock.advance(scheduler.intervalMs);
      // The start-up run may still hold the scheduler: this slot runs once it is done.
      while ((await scheduler.tick()) === 'busy') await new Promise((r) => setTimeout(r, 20));
      const ready = await request(h.url).get('/health/ready').expect(200);
      expect(ready.body.info.database.status).toBe('up');
      await request(h.url).get('/health').expect(200);
      h.clock.advance(2 * scheduler.intervalMs + 60_000);
      await request(h.url).get('/health/ready').expect(200);
      const stale = await request(h.url).get('/health').expect(503);
      expect(stale.body.error.reconciliation.status).toBe('down');
      await scheduler.tick();
      await request(h.url).get('/health').expect(200);
    });

    it('should never write a secret to the logs', () => {
      const all = h.logs.join('\n');
      expect(all.length).toBeGreaterThan(1000);
      for (const secret of Object.values(SECRETS)) {
        expect(all).not.toContain(secret);
      }
      expect(all).not.toMatch(/access_token/);
    });
  });
});

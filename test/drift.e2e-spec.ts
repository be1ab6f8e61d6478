import { LedgerRepository } from '../src/database/ledger.repository';
import { SyncWorker } from '../src/sync/sync.worker';
import {
  type FixtureLine,
  invoiceDocument,
  type SandboxEvent,
} from '../sandbox/tripleseat.sandbox';
import { Harness, startHarness } from './support/harness';

interface DriftBody {
  detectedAt: string;
  changes: string[];
  current: { finalTotal: string } | null;
}

interface EventBody {
  state: string;
  reason: string | null;
  detail: string | null;
  revelOrderId: string | null;
  drift: DriftBody | null;
  driftCheckAt: string | null;
  order: { guestCount?: number; status?: string; finalTotal: string } | null;
  history: { state: string; reason: string | null; detail: string | null }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WRITES = /^(POST|PATCH|PUT|DELETE) /;
const EVENT_GET = 'GET /v1/events/:id.json';

let n = 0;
const hook = (id: number, trigger = 'UPDATE_EVENT') => ({
  webhook_trigger_type: trigger,
  // `n` makes every delivery new (a re-sent identical body is a DUPLICATE_DELIVERY).
  event: { id, status: 'CLOSED', updated_at: '12/28/2025 12:56 PM', n: (n += 1) },
});

/** The event's documents: one invoice with these lines and this grand total (real shapes). */
const invoice = (lines: FixtureLine[], grandTotal: string) => [
  invoiceDocument({ id: 296467, lines, grandTotal }),
];

describe('Drift detection, preview and resync (e2e, sandboxes over HTTP)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const row = async (id: number): Promise<EventBody> =>
    (await h.api().get(`/api/sync/events/${id}`).expect(200)).body as EventBody;

  /** Waits until no drift check is pending or running (twice in a row, to step over a claim). */
  const checksDone = async (id: number): Promise<EventBody> => {
    const worker = h.get(SyncWorker);
    const deadline = Date.now() + 15_000;
    let quiet = 0;
    while (Date.now() < deadline) {
      const body = await row(id);
      quiet = body.driftCheckAt === null && worker.checksInFlight === 0 ? quiet + 1 : 0;
      if (quiet >= 3) return body;
      await sleep(50);
    }
    throw new Error(`drift checks of ${id} did not finish`);
  };

  const driftMails = (id: number) =>
    h.smtp.messages.filter((m) => m.subject.includes(`#${id} changed after`));

  /** Seeds an event for today and writes its order through the normal pipeline. */
  const inject = async (id: number, overrides: Partial<SandboxEvent> = {}) => {
    const event = h.seedEvent({
      id,
      guest_count: 25,
      documents: invoice(
        [
          { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
          { name: 'FUDGY WUDGY', quantity: 6, price: '3.25' },
        ],
        '45.00',
      ),
      ...overrides,
    });
    const res = await h.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
    expect(res.body.events[0]).toMatchObject({ status: 'INJECTED' });
    const orders = h.revel.ordersByLocalId(`Triple Seat_${id}`);
    expect(orders).toHaveLength(1);
    return { event, order: orders[0] };
  };

  it('should mark a changed event DRIFTED with a readable diff, e-mail once and leave the Revel order alone', async () => {
    const { event, order } = await inject(64000001);
    const written = await row(64000001);
    expect(written.order).toMatchObject({ guestCount: 25, status: 'CLOSED', finalTotal: '45.00' });
    const itemsBefore = h.revel.orderItems(order.id);
    const revelLogBefore = h.revel.requests().length;

    // 10 × 3.60 + 6 × 3.25 = 55.50 in items; the new invoice says 52.20.
    h.tripleseat.upsertEvent({
      ...event,
      guest_count: 30,
      documents: invoice(
        [
          { name: 'TRIPLE OG', quantity: 10, price: '3.60' },
          { name: 'FUDGY WUDGY', quantity: 6, price: '3.25' },
        ],
        '52.20',
      ),
      updated_at: '12/28/2025 2:10 PM',
    });
    expect((await h.webhook(hook(64000001))).body).toMatchObject({ reason: 'QUEUED' });
    const drifted = (await h.waitForState('64000001', ['DRIFTED'])) as unknown as EventBody;
    expect(drifted.reason).toBe('DRIFTED');
    expect(drifted.drift?.changes).toEqual([
      'guest count 25 → 30',
      'TRIPLE OG: quantity 8 → 10',
      'subtotal 48.30 → 55.50',
      'final total 45.00 → 52.20',
    ]);
    expect(drifted.drift?.current?.finalTotal).toBe('52.20');
    expect(drifted.history.at(-1)).toMatchObject({ state: 'DRIFTED', reason: 'DRIFTED' });

    const mail = await h.smtp.waitFor((m) => m.subject.includes('#64000001 changed after'));
    expect(mail.subject).toContain(String(order.id));
    expect(mail.text).toContain('TRIPLE OG: quantity 8 → 10');
    expect(mail.text).toContain('guest count 25 → 30');
    expect(mail.text).toContain('NOT been changed');

    // Untouched: same items, one order, one payment of the old total, not one write to Revel.
    expect(h.revel.orderItems(order.id)).toEqual(itemsBefore);
    expect(h.revel.ordersByLocalId('Triple Seat_64000001')).toHaveLength(1);
    expect(h.revel.payments(order.id).map((p) => String(p.amount))).toEqual(['45.00']);
    const writes = h.revel
      .requests()
      .slice(revelLogBefore)
      .filter((r) => WRITES.test(r.route));
    expect(writes).toEqual([]);

    // The same change seen again (a webhook without news): no second e-mail, no new history.
    const historyLength = drifted.history.length;
    await h.webhook(hook(64000001));
    const again = await checksDone(64000001);
    expect(again.state).toBe('DRIFTED');
    expect(again.history).toHaveLength(historyLength);
    expect(driftMails(64000001)).toHaveLength(1);

    // Cancelled: status LOST.
    h.tripleseat.upsertEvent({
      ...event,
      status: 'LOST',
      updated_at: '12/28/2025 3:00 PM',
    });
    await h.webhook(hook(64000001, 'STATUS_CHANGE_EVENT'));
    const deadline = Date.now() + 10_000;
    let lost = await row(64000001);
    while (!lost.drift?.changes.includes('status CLOSED → LOST (cancelled)')) {
      if (Date.now() > deadline) throw new Error(`no cancellation: ${JSON.stringify(lost)}`);
      await sleep(50);
      lost = await row(64000001);
    }
    expect(lost.state).toBe('DRIFTED');
    expect(lost.drift?.current).toBeNull();
    await h.smtp.waitFor(
      (m) => m.subject.includes('#64000001 changed after') && m.text.includes('(cancelled)'),
    );
    expect(driftMails(64000001)).toHaveLength(2);
    expect(h.revel.orderItems(order.id)).toEqual(itemsBefore);
    expect(h.revel.ordersByLocalId('Triple Seat_64000001')).toHaveLength(1);
  });

  it('should report an event deleted in TripleSeat after a DELETE_EVENT webhook', async () => {
    const { order } = await inject(64000002);
    h.tripleseat.removeEvent(64000002);
    const res = await h.webhook(hook(64000002, 'DELETE_EVENT'));
    expect(res.body).toMatchObject({ reason: 'QUEUED', trigger: 'DELETE_EVENT' });
    const drifted = (await h.waitForState('64000002', ['DRIFTED'])) as unknown as EventBody;
    expect(drifted.drift?.changes).toEqual(['event deleted in TripleSeat']);
    expect(h.revel.ordersByLocalId('Triple Seat_64000002')).toHaveLength(1);
    expect(h.revel.orderItems(order.id)).toHaveLength(2);
  });

  it('should end SKIPPED EVENT_NOT_FOUND for a DELETE_EVENT about an event it never saw', async () => {
    await h.webhook(hook(64000003, 'DELETE_EVENT'));
    const done = await h.waitForState('64000003', ['SKIPPED']);
    expect(done.reason).toBe('EVENT_NOT_FOUND');
  });

  it('should go back to INJECTED when the event matches its order again', async () => {
    const { event } = await inject(64000004);
    h.tripleseat.upsertEvent({ ...event, guest_count: 40, updated_at: 'changed' });
    await h.webhook(hook(64000004));
    const drifted = (await h.waitForState('64000004', ['DRIFTED'])) as unknown as EventBody;
    expect(drifted.drift?.changes).toEqual(['guest count 25 → 40']);
    h.tripleseat.upsertEvent({ ...event, updated_at: 'changed back' });
    await h.webhook(hook(64000004));
    const back = (await h.waitForState('64000004', ['INJECTED'])) as unknown as EventBody;
    expect(back.drift).toBeNull();
    expect(back.history.at(-1)?.detail).toContain('drift resolved');
  });

  it('should make no Revel call and no per-event TripleSeat call in a reconciliation where nothing changed', async () => {
    const { event } = await inject(64000005);
    await checksDone(64000005);
    // The first reconciliation after the settle window (0 s here) reads each order back once.
    await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    await h.get(SyncWorker).idle();
    // The first run after a write reads the new order back once (its read-back); none after that.
    await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    await h.get(SyncWorker).idle();
    const revelBefore = h.revel.requestCount();
    const eventGetsBefore = h.tripleseat.count(EVENT_GET);
    const res = await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    const mine = res.body.events.find((e: { eventId: string }) => e.eventId === '64000005');
    expect(mine).toMatchObject({ status: 'INJECTED' });
    // The worker has had a turn since, with no order write and no drift check in flight.
    await h.get(SyncWorker).idle();
    expect(h.revel.requestCount()).toBe(revelBefore);
    expect(h.tripleseat.count(EVENT_GET)).toBe(eventGetsBefore);

    // A new updated_at (same content) is worth one check: one event GET, no Revel write.
    const revelWritesBefore = h.revel.requests().filter((r) => WRITES.test(r.route)).length;
    h.tripleseat.upsertEvent({ ...event, updated_at: '12/28/2025 4:44 PM' });
    await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
    const deadline = Date.now() + 10_000;
    while (h.tripleseat.count(EVENT_GET) === eventGetsBefore && Date.now() < deadline)
      await sleep(50);
    const checked = await checksDone(64000005);
    expect(checked.state).toBe('INJECTED');
    expect(h.tripleseat.count(EVENT_GET)).toBe(eventGetsBefore + 1);
    expect(h.revel.requests().filter((r) => WRITES.test(r.route))).toHaveLength(revelWritesBefore);
  });

  it('should preview the exact order without writing anything', async () => {
    h.seedEvent({
      id: 64000006,
      // 28.80 + 19.50 + 19.98 (no Revel product) + a 10% service charge 6.83 = 75.11.
      documents: [
        invoiceDocument({
          id: 296470,
          lines: [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
            { name: 'Fudgy Wudgie', quantity: '6', price: 3.25 },
            { name: 'Unicorn Sprinkles Deluxe', quantity: 2, price: '9.99' },
          ],
          billing: [{ description: 'Service Charge', value: '10.0%', amount: '6.83' }],
        }),
      ],
    });
    const ledger = h.get(LedgerRepository);
    const statesBefore = await ledger.countByState();
    const revelLogBefore = h.revel.requests().length;
    const res = await h.api().get('/api/sync/events/64000006/preview').expect(200);
    expect(res.body).toEqual({
      eventId: '64000006',
      eligibility: {
        outcome: 'proceed',
        location: {
          key: '31883',
          name: 'Pinkbox Tropicana',
          revelEstablishmentId: 4,
          timezone: 'America/Los_Angeles',
        },
        eventDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      },
      order: {
        establishmentId: 4,
        localId: 'Triple Seat_64000006',
        lines: [
          {
            name: 'TRIPLE OG',
            sourceName: 'TRIPLE OG',
            productId: 579,
            quantity: 8,
            unitPrice: '3.60',
            lineTotal: '28.80',
            match: 'map',
          },
          {
            name: 'FUDGY WUDGY',
            sourceName: 'Fudgy Wudgie',
            productId: 592,
            quantity: 6,
            unitPrice: '3.25',
            lineTotal: '19.50',
            match: 'fuzzy',
          },
        ],
        unmatched: [
          expect.objectContaining({
            name: 'Unicorn Sprinkles Deluxe',
            quantity: 2,
            amount: '19.98',
          }),
        ],
        subtotal: '48.30',
        discount: '0.00',
        surcharge: '26.81',
        finalTotal: '75.11',
        source: { kind: 'document', documentId: '296470', title: 'Invoice', rule: 'title' },
        grandTotalSource: 'document',
        ignored: [],
        adjustments: [
          { kind: 'billing', label: 'Service Charge (10.0%)', amount: '6.83' },
          {
            kind: 'unmatched',
            label: 'Unicorn Sprinkles Deluxe (no Revel product)',
            amount: '19.98',
          },
        ],
      },
      wouldWrite: true,
      existingOrder: null,
    });
    const writes = h.revel
      .requests()
      .slice(revelLogBefore)
      .filter((r) => WRITES.test(r.route));
    expect(writes).toEqual([]);
    expect(h.revel.ordersByLocalId('Triple Seat_64000006')).toHaveLength(0);
    expect(await ledger.countByState()).toEqual(statesBefore);
    await h.api().get('/api/sync/events/64000006').expect(404);

    // An event with its order: the same preview, but nothing would be written.
    const { order } = await inject(64000007);
    const done = await h.api().get('/api/sync/events/64000007/preview').expect(200);
    expect(done.body).toMatchObject({
      wouldWrite: false,
      reasonIfNot: 'INJECTED',
      existingOrder: String(order.id),
    });
    const held = h.seedEvent({ id: 64000008, event_date: h.dayLA(2) });
    const later = await h.api().get(`/api/sync/events/${held.id}/preview`).expect(200);
    expect(later.body).toMatchObject({
      eligibility: { outcome: 'hold', reason: 'TOO_EARLY' },
      wouldWrite: false,
      reasonIfNot: 'TOO_EARLY',
      order: { finalTotal: '54.40' },
    });
    await h.api().get('/api/sync/events/69999999/preview').expect(404);
  });

  it('should refuse to resync a closed order (409, nothing changed) and rewrite an open one to the cent', async () => {
    const { event, order } = await inject(64000009);
    // Orders written by the pipeline are paid and closed at once: the sandbox says so too.
    expect(h.revel.orders({ id: order.id })[0].closed).toBe(true);

    // Now: TRIPLE OG 8 → 10, FUDGY WUDGY removed, MAPLE BAR ×4 added; invoice 49.00.
    // Items: 10 × 3.60 + 4 × 2.50 = 46.00 → surcharge 3.00.
    h.tripleseat.upsertEvent({
      ...event,
      documents: invoice(
        [
          { name: 'TRIPLE OG', quantity: 10, price: '3.60' },
          { name: 'MAPLE BAR', quantity: 4, price: '2.50' },
        ],
        '49.00',
      ),
      updated_at: 'changed',
    });
    await h.webhook(hook(64000009));
    const drifted = (await h.waitForState('64000009', ['DRIFTED'])) as unknown as EventBody;
    expect(drifted.drift?.changes).toEqual(
      expect.arrayContaining([
        'TRIPLE OG: quantity 8 → 10',
        'FUDGY WUDGY: removed (was 6 × 3.25)',
        'MAPLE BAR: added (4 × 2.50)',
        'final total 45.00 → 49.00',
      ]),
    );
    const itemsBefore = h.revel.orderItems(order.id);
    const revelLogBefore = h.revel.requests().length;

    const refused = await h.api().post('/api/sync/events/64000009/resync').expect(409);
    expect(refused.body.message).toContain('closed in Revel; adjust it at the POS');
    expect(h.revel.orderItems(order.id)).toEqual(itemsBefore);
    expect(
      h.revel
        .requests()
        .slice(revelLogBefore)
        .filter((r) => WRITES.test(r.route)),
    ).toEqual([]);
    expect((await row(64000009)).state).toBe('DRIFTED');

    // A manager reopens the check at the POS: now the resync may rewrite it.
    expect(h.revel.reopenOrder(order.id)?.closed).toBe(false);
    const res = await h.api().post('/api/sync/events/64000009/resync').expect(200);
    expect(res.body).toMatchObject({
      eventId: '64000009',
      revelOrderId: String(order.id),
      state: 'INJECTED',
      reason: 'INJECTED',
      detail: 'resynced on request',
      rewrite: { updated: 1, removed: 1, added: 1, paymentUpdated: true },
      order: { subtotal: '46.00', surcharge: '3.00', discount: '0.00', finalTotal: '49.00' },
    });
    const orders = h.revel.ordersByLocalId('Triple Seat_64000009');
    expect(orders).toHaveLength(1);
    const rewritten = orders[0];
    expect(rewritten.id).toBe(order.id);
    expect(
      h.revel
        .orderItems(order.id)
        .map((i) => [i.product, Number(i.quantity), String(i.price)])
        .sort(),
    ).toEqual(
      [
        ['/resources/Product/579/', 10, '3.60'],
        ['/resources/Product/590/', 4, '2.50'],
      ].sort(),
    );
    expect(String(rewritten.subtotal)).toBe('46.00');
    expect(String(rewritten.surcharge)).toBe('3.00');
    expect(String(rewritten.final_total)).toBe('49.00');
    expect(Number(rewritten.discount_amount)).toBe(0);
    expect(rewritten.applied_discounts).toEqual([]);
    expect(Number(rewritten.remaining_due)).toBe(0);
    expect(h.revel.payments(order.id).map((p) => String(p.amount))).toEqual(['49.00']);

    const after = await row(64000009);
    expect(after).toMatchObject({ state: 'INJECTED', reason: 'INJECTED', drift: null });
    expect(after.history.at(-1)).toMatchObject({
      state: 'INJECTED',
      detail: 'resynced on request',
    });
    // The next check finds the order in line with the event.
    await h.webhook(hook(64000009));
    expect((await checksDone(64000009)).state).toBe('INJECTED');

    // Resync again: nothing left to change.
    const idle = await h.api().post('/api/sync/events/64000009/resync').expect(200);
    expect(idle.body.rewrite).toEqual({ updated: 0, removed: 0, added: 0, paymentUpdated: false });
    expect(h.revel.ordersByLocalId('Triple Seat_64000009')).toHaveLength(1);
  });

  it('should refuse a resync of an event whose order is not ours', async () => {
    h.seedEvent({ id: 64000010, status: 'TENTATIVE' });
    await h.api().post('/api/sync/tripleseat?event_id=64000010').expect(200);
    const res = await h.api().post('/api/sync/events/64000010/resync').expect(409);
    expect(res.body.message).toContain('SKIPPED');
    await h.api().post('/api/sync/events/69999998/resync').expect(404);
  });
});

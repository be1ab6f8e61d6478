import { DateTime } from 'luxon';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import type { CapturedMessage } from './support/smtp-capture';
import { Harness, startHarness } from './support/harness';

/**
 * An event whose invoice has food lines that match no Revel product (UNMATCHED_POLICY=hold, the
 * default) against the real app and sandboxes, with the injected clock at 09:00 in Los Angeles:
 * held on its day, told once, written with every line the moment the line is mapped, written
 * without them on request or at its deadline (15:00, three hours before its 18:00 start), and a
 * future event's unmatched line known days ahead. One order per event in every case.
 */

const LA = '31883';

const webhookBody = (id: number, trigger = 'STATUS_CHANGE_EVENT') => ({
  webhook_trigger_type: trigger,
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
});

type Line = Parameters<typeof invoiceDocument>[0]['lines'][number];

describe('unmatched lines hold an event (e2e, sandboxes over HTTP)', () => {
  let h: Harness;
  /** 09:00 today in Los Angeles, and the day's deadline for an 18:00 start. */
  let morning: DateTime;
  let deadline: DateTime;

  const seed = (id: number, lines: Line[], overrides: Record<string, unknown> = {}) =>
    h.seedEvent({
      id,
      name: `Hold ${id}`,
      location_id: Number(LA),
      site_id: 15691,
      documents: [invoiceDocument({ title: 'Invoice', lines })],
      ...overrides,
    });

  const row = async (id: number): Promise<Record<string, unknown>> => {
    const res = await h.api().get(`/api/sync/events/${id}`);
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown>;
  };

  /** Waits until the event's history has `count` entries in `state` (a pass has settled). */
  const waitForHistory = async (id: number, state: string, count: number) => {
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await row(id);
      const n = (r.history as { state: string }[]).filter((e) => e.state === state).length;
      if (n >= count && r.state === state) return r;
      if (Date.now() > until)
        throw new Error(
          `event ${id} has ${n} ${state} entries, wanted ${count}: ${JSON.stringify(r)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const ordersOf = (id: number) => h.revel.ordersByLocalId(`Triple Seat_${id}`);
  const itemsOf = (orderId: number) =>
    h.revel
      .orderItems(orderId)
      .map((i) => [i.product, Number(i.quantity), String(i.price)])
      .sort();
  const mailsAbout = (id: number, words: string): CapturedMessage[] =>
    h.smtp.messages.filter((m) => m.subject.includes(`#${id}`) && m.subject.includes(words));

  beforeAll(async () => {
    morning = DateTime.now()
      .setZone('America/Los_Angeles')
      .set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    deadline = morning.set({ hour: 15 });
    h = await startHarness({ now: morning.toJSDate(), env: { UNMATCHED_POLICY: 'hold' } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('should hold a partly matched event, tell once, and write both lines within seconds of a mapping through PUT /api/mappings', async () => {
    const id = 69100001;
    seed(id, [
      { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
      { name: 'Dozen Maple Glazed', quantity: 2, price: '15.00' },
    ]);
    expect((await h.webhook(webhookBody(id))).status).toBe(200);
    const held = await waitForHistory(id, 'HELD', 1);
    expect(held).toMatchObject({
      state: 'HELD',
      reason: 'UNMATCHED_ITEMS',
      nextAttemptAt: deadline.toUTC().toISO({ suppressMilliseconds: false }),
      unmatched: [{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }],
      allowUnmatched: false,
    });
    expect(String(held.detail)).toContain('2 × Dozen Maple Glazed (30.00)');
    expect(ordersOf(id)).toHaveLength(0);
    const preview = await h.api().get(`/api/sync/events/${id}/preview`);
    expect(preview.body).toMatchObject({ wouldWrite: false, reasonIfNot: 'UNMATCHED_ITEMS' });
    const told = await h.smtp.waitFor(
      (m) => m.subject.includes(`#${id}`) && m.subject.includes('no Revel product'),
      10_000,
    );
    expect(told.subject).toBe(`TripleSeat event #${id}: 1 line with no Revel product`);
    expect(told.text).toContain('2 x Dozen Maple Glazed  (30.00)');
    expect(told.text).toContain(`allow_unmatched=true`);

    // TripleSeat tells again: the same set of lines is not e-mailed twice.
    expect((await h.webhook(webhookBody(id, 'UPDATE_EVENT'))).status).toBe(200);
    await waitForHistory(id, 'HELD', 2);
    expect(mailsAbout(id, 'no Revel product')).toHaveLength(1);

    const mappedAt = Date.now();
    const put = await h
      .api()
      .put('/api/mappings')
      .send({ location: LA, displayName: 'Dozen Maple Glazed', productId: 702 });
    expect(put.status).toBe(200);
    const written = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED'], 30_000);
    const seconds = (Date.now() - mappedAt) / 1000;
    expect(written).toMatchObject({ state: 'INJECTED', unmatched: [] });
    expect(seconds).toBeLessThan(30);
    const orders = ordersOf(id);
    expect(orders).toHaveLength(1);
    expect(itemsOf(orders[0].id)).toEqual(
      [
        ['/resources/Product/579/', 8, '3.60'],
        ['/resources/Product/702/', 2, '15.00'],
      ].sort(),
    );
    expect(Number(orders[0].final_total)).toBeCloseTo(58.8, 10);
    expect(h.revel.payments(orders[0].id).map((p) => String(p.amount))).toEqual(['58.80']);
    const mail = await h.smtp.waitFor(
      (m) => m.subject.includes(`created for TripleSeat event #${id}`),
      10_000,
    );
    expect(mail.subject).not.toContain('WITHOUT');
  });

  it('should write a held event now without its unmatched lines on request, naming them in the notes, the ledger and the e-mail', async () => {
    const id = 69100002;
    seed(id, [
      { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
      { name: 'Kale Smoothie', quantity: 10, price: '6.50' },
    ]);
    await h.webhook(webhookBody(id));
    await waitForHistory(id, 'HELD', 1);

    const bad = await h.api().post(`/api/sync/tripleseat?event_id=${id}&allow_unmatched=maybe`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('allow_unmatched');
    const bulk = await h.api().post('/api/sync/tripleseat?allow_unmatched=true');
    expect(bulk.status).toBe(400);
    expect(bulk.body).toMatchObject({ field: 'allow_unmatched' });

    const res = await h.api().post(`/api/sync/tripleseat?event_id=${id}&allow_unmatched=true`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      summary: { created: 1 },
      events: [{ eventId: String(id), status: 'INJECTED' }],
    });
    const orders = ordersOf(id);
    expect(orders).toHaveLength(1);
    expect(itemsOf(orders[0].id)).toEqual([['/resources/Product/579/', 8, '3.60']]);
    // The invoice's 93.80 to the cent: the smoothies' 65.00 is named in the make-up.
    expect(Number(orders[0].final_total)).toBeCloseTo(93.8, 10);
    expect(h.revel.payments(orders[0].id).map((p) => String(p.amount))).toEqual(['93.80']);
    expect(String(orders[0].notes)).toContain(
      'NOT ON THIS ORDER, add by hand: 10 × Kale Smoothie (65.00)',
    );
    expect(await row(id)).toMatchObject({
      state: 'INJECTED',
      allowUnmatched: true,
      unmatched: [{ name: 'Kale Smoothie', quantity: 10, amount: '65.00' }],
    });
    const mail = await h.smtp.waitFor(
      (m) => m.subject.includes(`created for TripleSeat event #${id}`),
      10_000,
    );
    expect(mail.subject).toContain('WITHOUT 1 line: add by hand');
    expect(mail.text).toContain('10 x Kale Smoothie  (65.00)');
  });

  it("should carry a future event's unmatched line days ahead, HELD/TOO_EARLY, and tell once", async () => {
    const id = 69100003;
    seed(id, [{ name: 'Unicorn Sprinkles Deluxe', quantity: 3, price: '9.00' }], {
      event_date: h.dayLA(3),
    });
    await h.webhook(webhookBody(id));
    const held = await waitForHistory(id, 'HELD', 1);
    expect(held).toMatchObject({
      reason: 'TOO_EARLY',
      unmatched: [{ name: 'Unicorn Sprinkles Deluxe', quantity: 3, amount: '27.00' }],
    });
    const told = await h.smtp.waitFor((m) => m.subject.includes(`#${id}`), 10_000);
    expect(told.subject).toBe(`TripleSeat event #${id}: 1 line with no Revel product`);
    expect(told.text).toContain('Its day has not come yet');
    const list = await h.api().get('/api/sync/events?state=HELD');
    const listed = (
      list.body as { events: { eventId: string; unmatched: unknown[] }[] }
    ).events.find((e) => e.eventId === String(id));
    expect(listed?.unmatched).toEqual([
      { name: 'Unicorn Sprinkles Deluxe', quantity: 3, amount: '27.00' },
    ]);
    // A reconciliation (or any re-queue) looks again; nothing is written, nothing re-told.
    await h.api().post(`/api/sync/tripleseat?event_id=${id}`);
    await waitForHistory(id, 'HELD', 2);
    expect(mailsAbout(id, 'no Revel product')).toHaveLength(1);
    expect(ordersOf(id)).toHaveLength(0);
  });

  it('should write what matches at the deadline with an alert naming the lines to add by hand, and skip one where nothing matches', async () => {
    const partly = 69100004;
    const nothing = 69100005;
    seed(partly, [
      { name: 'TRIPLE OG', quantity: 4, price: '3.60' },
      { name: 'Mystery Cronut', quantity: 6, price: '4.00' },
    ]);
    seed(nothing, [{ name: 'Avocado Toast', quantity: 10, price: '8.00' }]);
    await Promise.all([h.webhook(webhookBody(partly)), h.webhook(webhookBody(nothing))]);
    await waitForHistory(partly, 'HELD', 1);
    const waiting = await waitForHistory(nothing, 'HELD', 1);
    expect(waiting).toMatchObject({ reason: 'UNMATCHED_ITEMS' });
    expect(String(waiting.detail)).toContain('no line matches');

    // A minute before the deadline nothing moves; at it, the worker writes (it polls every 100 ms).
    h.clock.set(deadline.minus({ minutes: 1 }).toJSDate());
    await h.api().post(`/api/sync/tripleseat?event_id=${partly}`);
    expect((await row(partly)).state).toBe('HELD');
    h.clock.set(deadline.plus({ seconds: 1 }).toJSDate());

    const written = await h.waitForState(String(partly), ['INJECTED', 'FAILED'], 30_000);
    expect(written).toMatchObject({
      state: 'INJECTED',
      unmatched: [{ name: 'Mystery Cronut', quantity: 6, amount: '24.00' }],
    });
    const orders = ordersOf(partly);
    expect(orders).toHaveLength(1);
    expect(itemsOf(orders[0].id)).toEqual([['/resources/Product/579/', 4, '3.60']]);
    expect(Number(orders[0].final_total)).toBeCloseTo(38.4, 10);
    expect(String(orders[0].notes)).toContain(
      'NOT ON THIS ORDER, add by hand: 6 × Mystery Cronut (24.00)',
    );
    const alert = await h.smtp.waitFor(
      (m) => m.subject.includes(`created for TripleSeat event #${partly}`),
      10_000,
    );
    expect(alert.subject).toContain('WITHOUT 1 line: add by hand');
    expect(alert.text).toContain('6 x Mystery Cronut  (24.00)');

    const skipped = await h.waitForState(
      String(nothing),
      ['SKIPPED', 'INJECTED', 'FAILED'],
      30_000,
    );
    expect(skipped).toMatchObject({ state: 'SKIPPED', reason: 'NO_ITEMS_MATCHED' });
    expect(ordersOf(nothing)).toHaveLength(0);
    const skipMail = await h.smtp.waitFor(
      (m) => m.subject.includes(`#${nothing}`) && m.subject.includes('skipped'),
      10_000,
    );
    expect(skipMail.text).toContain('Avocado Toast');
  });

  it('should write an event that arrives past its deadline at once with what matches', async () => {
    const id = 69100006;
    seed(id, [
      { name: 'TRIPLE OG', quantity: 2, price: '3.60' },
      { name: 'Bacon Maple Twist', quantity: 1, price: '5.00' },
    ]);
    await h.webhook(webhookBody(id));
    const r = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED'], 30_000);
    expect(r).toMatchObject({
      state: 'INJECTED',
      unmatched: [{ name: 'Bacon Maple Twist', quantity: 1, amount: '5.00' }],
    });
    expect((r.history as { state: string }[]).map((e) => e.state)).not.toContain('HELD');
    expect(ordersOf(id)).toHaveLength(1);
    // Every event of the suite has exactly one order (or none, for the one where nothing matched).
    for (const [event, n] of [
      [69100001, 1],
      [69100002, 1],
      [69100003, 0],
      [69100004, 1],
      [69100005, 0],
      [69100006, 1],
    ]) {
      expect({ event, orders: ordersOf(event).length }).toEqual({ event, orders: n });
    }
  });
});

/**
 * Reconciliation's read-back of written orders: a duplicate that a late commit left behind after
 * the writer had already finished (say it crashed before its own read-back) is deleted by the next
 * run, with the repair in the event's history and a metric; a second order someone already used
 * cannot be deleted, so the event becomes FAILED with REVEL_DUPLICATE, a sentence naming the Revel
 * records to remove, and an e-mail. An order that passed is not read again.
 */
import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

const webhookBody = (id: number | string) => ({
  webhook_trigger_type: 'STATUS_CHANGE_EVENT',
  event: { id, status: 'CLOSED', updated_at: '12/28/2025 12:56 PM' },
});

interface EventBody {
  state: string;
  reason: string;
  detail: string | null;
  history: { state: string; reason: string; detail: string | null }[];
}

describe('read-back of written orders by reconciliation (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  /** POSTs a record straight to Revel, as a create that Revel committed late would land. */
  async function revelPost(path: string, body: object): Promise<{ id: number }> {
    const res = await fetch(`${h.revel.url}${path}`, {
      method: 'POST',
      headers: {
        'API-AUTHENTICATION': `${SECRETS.revelKey}:${SECRETS.revelSecret}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: number };
  }

  /** A change made at the POS (a cashier, or Revel itself): the real API, as anyone would send it. */
  async function revelCall(method: 'PATCH' | 'DELETE', path: string, body?: object) {
    const res = await fetch(`${h.revel.url}${path}`, {
      method,
      headers: {
        'API-AUTHENTICATION': `${SECRETS.revelKey}:${SECRETS.revelSecret}`,
        'Content-Type': 'application/json',
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status).toBe(method === 'DELETE' ? 204 : 200);
  }

  async function written(id: number): Promise<{ orderId: number; uuid: string }> {
    expect((await h.webhook(webhookBody(id))).status).toBe(200);
    const row = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED'], 15_000);
    expect(row.state).toBe('INJECTED');
    const [order] = h.revel.ordersByLocalId(`Triple Seat_${id}`);
    return { orderId: order.id, uuid: String(order.uuid) };
  }

  async function reconcile(): Promise<void> {
    // Past every order's settle window (1 s in the harness).
    h.clock.advance(5_000);
    await h.api().post('/api/sync/tripleseat?hours_back=24&wait=25').expect(200);
  }

  const eventBody = async (id: number) =>
    (await h.api().get(`/api/sync/events/${id}`).expect(200)).body as EventBody;

  it('should delete a late second copy of the payment, say so in the history, and not read the order again', async () => {
    const id = 68_100_001;
    h.seedEvent({ id });
    const { orderId } = await written(id);
    const [payment] = h.revel.payments(orderId);
    const late = await revelPost('/resources/Payment/', {
      uuid: payment.uuid,
      order: `/resources/Order/${orderId}/`,
      amount: payment.amount,
    });
    expect(h.revel.payments(orderId)).toHaveLength(2);

    await reconcile();

    expect(h.revel.payments(orderId).map((p) => p.id)).toEqual([payment.id]);
    const body = await eventBody(id);
    expect(body.state).toBe('INJECTED');
    expect(body.history).toContainEqual(
      expect.objectContaining({
        state: 'INJECTED',
        reason: 'REVEL_REPAIRED',
        detail: expect.stringContaining(
          `deleted Payment ${late.id} (a second copy of ${payment.id}`,
        ),
      }),
    );
    const metrics = await request(h.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/revel_repairs_total\{resource="Payment",outcome="deleted"\} 1/);

    // Verified: the next run does not read it back again.
    const before = h.revel.requestCount(`GET /resources/Payment/`);
    await reconcile();
    expect(h.revel.requestCount(`GET /resources/Payment/`)).toBe(before);
  });

  it('should fail the event with REVEL_DUPLICATE, naming the records, when the second order was already used, until they are removed', async () => {
    const id = 68_100_002;
    h.seedEvent({ id });
    const { orderId, uuid } = await written(id);
    const second = h.revel.seedOrder({
      establishmentId: 4,
      localId: `Triple Seat_${id}`,
      uuid,
    });
    await revelPost('/resources/Payment/', {
      uuid: 'a-cashier-payment',
      order: `/resources/Order/${second.id}/`,
      amount: '5.00',
    });

    await reconcile();

    const body = await eventBody(id);
    expect(body).toMatchObject({ state: 'FAILED', reason: 'REVEL_DUPLICATE' });
    expect(body.detail).toContain(`remove Order ${second.id} at the POS`);
    expect(body.detail).toContain(`Revel order ${orderId} is written`);
    // Nothing of anyone's was deleted.
    expect(h.revel.ordersByLocalId(`Triple Seat_${id}`)).toHaveLength(2);
    const mail = await h.smtp.waitFor(
      (m) => m.subject.includes(`#${id}`) && m.text.includes('REVEL_DUPLICATE'),
      10_000,
    );
    expect(mail.subject).toMatch(/fail/i);
    expect(mail.text).toContain(`Order ${second.id}`);

    // Removed at the POS, a sync sets the event INJECTED again; the next run finds it clean.
    const removed = await fetch(`${h.revel.url}/resources/Order/${second.id}/`, {
      method: 'DELETE',
      headers: { 'API-AUTHENTICATION': `${SECRETS.revelKey}:${SECRETS.revelSecret}` },
    });
    expect(removed.status).toBe(204);
    await h.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
    expect((await eventBody(id)).state).toBe('INJECTED');
    await reconcile();
    expect(await eventBody(id)).toMatchObject({ state: 'INJECTED', reason: 'INJECTED' });
  });

  it('should post again, once, an item of ours someone deleted, and say so in the history', async () => {
    const id = 68_100_004;
    h.seedEvent({ id });
    const { orderId } = await written(id);
    const items = h.revel.orderItems(orderId);
    const gone = items[0];
    await revelCall('DELETE', `/resources/OrderItem/${gone.id}/`);
    expect(h.revel.orderItems(orderId)).toHaveLength(items.length - 1);

    await reconcile();

    const after = h.revel.orderItems(orderId);
    expect(after).toHaveLength(items.length);
    const again = after.filter((item) => item.uuid === gone.uuid);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({
      product: gone.product,
      quantity: gone.quantity,
      price: gone.price,
    });
    const body = await eventBody(id);
    expect(body.state).toBe('INJECTED');
    expect(body.history).toContainEqual(
      expect.objectContaining({
        reason: 'REVEL_REPAIRED',
        detail: expect.stringContaining(
          `posted OrderItem ${again[0].id} again (uuid ${String(gone.uuid)}`,
        ),
      }),
    );
    const metrics = await request(h.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /revel_repairs_total\{resource="OrderItem",outcome="reposted"\} 1/,
    );
    // Repaired and verified: the next run posts nothing more.
    const posts = h.revel.requestCount('POST /resources/OrderItem/');
    await reconcile();
    expect(h.revel.requestCount('POST /resources/OrderItem/')).toBe(posts);
  });

  it("should leave a cashier's item on our order alone, keep the event INJECTED and note it", async () => {
    const id = 68_100_005;
    h.seedEvent({ id });
    const { orderId } = await written(id);
    const [first] = h.revel.orderItems(orderId);
    const drink = await revelPost('/resources/OrderItem/', {
      uuid: 'a-cashier-drink',
      order: `/resources/Order/${orderId}/`,
      product: first.product,
      quantity: 1,
      price: '2.50',
    });

    await reconcile();

    const body = await eventBody(id);
    expect(body).toMatchObject({ state: 'INJECTED', reason: 'INJECTED' });
    expect(body.history).toContainEqual(
      expect.objectContaining({
        detail: expect.stringContaining(`not ours, left as they are: OrderItem ${drink.id}`),
      }),
    );
    expect(h.revel.orderItems(orderId).map((item) => item.id)).toContain(drink.id);
  });

  // Its own app: the failure e-mail of the REVEL_DUPLICATE case above opened the mailer's digest
  // window, and this failure must be the first of a window to be mailed at once.
  describe('a difference it does not repair', () => {
    let outer: Harness;

    beforeAll(async () => {
      outer = h;
      h = await startHarness();
    });

    afterAll(async () => {
      await h?.close();
      h = outer;
    });

    it('should fail the event with REVEL_MISMATCH naming a payment edited to another amount, with an e-mail', async () => {
      const id = 68_100_003;
      h.seedEvent({ id });
      const { orderId } = await written(id);
      const [payment] = h.revel.payments(orderId);
      const amount = String(payment.amount);
      expect(amount).not.toBe('10.00');
      await revelCall('PATCH', `/resources/Payment/${payment.id}/`, { amount: '10.00' });

      await reconcile();

      const body = await eventBody(id);
      expect(body).toMatchObject({ state: 'FAILED', reason: 'REVEL_MISMATCH' });
      expect(body.detail).toContain(`Revel order ${orderId} is written`);
      expect(body.detail).toContain(`payment ${payment.id} is 10.00, the invoice says ${amount}`);
      // Nothing was changed back: the amount is for an operator to decide.
      expect(h.revel.payments(orderId)).toEqual([expect.objectContaining({ amount: '10.00' })]);
      const mail = await h.smtp.waitFor(
        (m) => m.subject.includes(`#${id}`) && m.text.includes('REVEL_MISMATCH'),
        10_000,
      );
      expect(mail.text).toContain(`payment ${payment.id} is 10.00`);
      const metrics = await request(h.url).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/revel_repairs_total\{resource="Order",outcome="mismatch"\} 1/);
    });

    it('should fail the event with REVEL_MISMATCH right after the write when Revel adds a tax to its total', async () => {
      const tax = (applied: boolean) =>
        fetch(`${h.revel.url}/__sandbox/tax`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ applied }),
        });
      expect((await tax(true)).status).toBe(200);
      try {
        const id = 68_100_006;
        h.seedEvent({ id });
        expect((await h.webhook(webhookBody(id))).status).toBe(200);
        const row = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED'], 15_000);

        expect(row.state).toBe('FAILED');
        const body = await eventBody(id);
        expect(body.reason).toBe('REVEL_MISMATCH');
        const [order] = h.revel.ordersByLocalId(`Triple Seat_${id}`);
        const [payment] = h.revel.payments(order.id);
        // The totals were PATCHed once more, and Revel taxed them again: an operator decides.
        expect(body.detail).toContain(
          `final total is ${Number(order.final_total).toFixed(2)}, the invoice says ${String(payment.amount)}`,
        );
        expect(h.revel.requestCount('PATCH /resources/Order/:id/')).toBeGreaterThanOrEqual(2);
        expect(body.history).toContainEqual(
          expect.objectContaining({
            reason: 'REVEL_REPAIRED',
            detail: expect.stringContaining('PATCHed order'),
          }),
        );
      } finally {
        expect((await tax(false)).status).toBe(200);
      }
    });
  });
});

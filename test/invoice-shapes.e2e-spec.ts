import { DateTime } from 'luxon';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { toCents } from '../src/orders/money';
import type { RevelOrder } from '../src/revel/revel.types';
import { webhookBody } from './reliability/support';
import { Harness, SECRETS, startHarness } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';

/**
 * Invoice shapes restaurant groups send every day, end to end: TripleSeat sandbox → webhook or
 * manual sync → the real app → Revel sandbox. Every case ends in exactly one Revel order whose
 * total, discount and payment equal the invoice to the cent: credit lines, a comped event, accented
 * menu names, a line discount, a zero-quantity line, a product created in Revel for a line that
 * matched nothing, and an "Invoice" document without lines beside the BEO that has the food.
 */

interface LedgerOrder {
  subtotal: string;
  discount: string;
  surcharge: string;
  finalTotal: string;
  unmatched: { name: string }[];
  adjustments: { kind: string; label: string; amount: string }[];
  lines: { name: string; sourceName: string; match: string; quantity: number }[];
  source: Record<string, unknown>;
}

const localId = (id: number) => `Triple Seat_${id}`;
const cents = (value: unknown): number | undefined =>
  typeof value === 'number' || typeof value === 'string' ? toCents(value) : undefined;

const databases: { name: string }[] = [{ name: 'sqlite' }];
if (TEST_DATABASE_URL) databases.push({ name: 'postgres' });
else warnPostgresSkipped('invoice shapes e2e');

describe.each(databases)('invoice shapes (e2e on $name, against the sandboxes)', ({ name }) => {
  let h: Harness;
  let schema: PgSchema | undefined;
  let cookie: string;

  beforeAll(async () => {
    // 09:00 at the Los Angeles site today: the minutes this suite moves the clock never cross
    // the site's midnight, so "today's event" stays today's.
    const now = DateTime.now()
      .setZone('America/Los_Angeles')
      .set({ hour: 9, minute: 0, second: 0, millisecond: 0 })
      .toJSDate();
    if (name === 'postgres' && TEST_DATABASE_URL)
      schema = await createPgSchema(TEST_DATABASE_URL, 'shapes');
    h = await startHarness({ now, databaseUrl: schema?.url });
    const res = await fetch(`${h.url}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: SECRETS.apiToken, next: '/console' }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  });

  afterAll(async () => {
    await h.close();
    await schema?.drop();
  });

  /** The event's one Revel order, checked complete and equal to the given money to the cent. */
  function oneOrder(
    id: number,
    money: { subtotal: string; discount: string; surcharge?: string; final: string },
  ): RevelOrder {
    const orders = h.revel.ordersByLocalId(localId(id));
    expect(orders).toHaveLength(1);
    const order = orders[0];
    // Revel answers a field it was never sent as the number 0; every amount is compared in cents.
    expect({
      subtotal: cents(order.subtotal),
      discount: cents(order.discount_amount ?? 0),
      surcharge: cents(order.surcharge),
      final: cents(order.final_total),
      closed: order.closed,
      due: order.remaining_due,
    }).toEqual({
      subtotal: cents(money.subtotal),
      discount: cents(money.discount),
      surcharge: cents(money.surcharge ?? '0.00'),
      final: cents(money.final),
      closed: true,
      due: 0,
    });
    expect(String(order.final_total)).toBe(money.final);
    const payments = h.revel.payments(order.id).map((p) => String(p.amount));
    expect(payments).toEqual(money.final === '0.00' ? [] : [money.final]);
    expect(h.revel.histories(order.id)).toHaveLength(1);
    expect(h.revel.unknownFields()).toEqual([]);
    return order;
  }

  const items = (order: RevelOrder) =>
    h.revel
      .orderItems(order.id)
      .map((i) => [i.product, Number(i.quantity), String(i.price)])
      .sort();

  async function ledgerOrder(id: number): Promise<LedgerOrder> {
    const res = await h.api().get(`/api/sync/events/${id}`).expect(200);
    return (res.body as { order: LedgerOrder }).order;
  }

  async function writeByWebhook(id: number): Promise<void> {
    const res = await h.webhook(webhookBody(id));
    expect(res.status).toBe(200);
    const row = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED', 'HELD']);
    expect(row.state).toBe('INJECTED');
  }

  it('should name a deposit credit as a credit in the notes, the ledger and the e-mail, never as a line to add by hand', async () => {
    const id = 61900101;
    h.seedEvent({
      id,
      grand_total: '16.00',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 10, price: '3.60' },
            { name: 'Deposit Credit', quantity: 1, price: '-20.00' },
          ],
        }),
      ],
    });
    await writeByWebhook(id);

    // 10 × 3.60 = 36.00 of items; the 20.00 credit brings the invoice to 16.00.
    const order = oneOrder(id, { subtotal: '36.00', discount: '20.00', final: '16.00' });
    expect(items(order)).toEqual([['/resources/Product/579/', 10, '3.60']]);
    expect(order.notes).toContain('Invoice 16.00 = items 36.00 - Deposit Credit (credit) 20.00');

    const ledger = await ledgerOrder(id);
    expect(ledger.unmatched).toEqual([]);
    expect(ledger.adjustments).toEqual([
      { kind: 'credit', label: 'Deposit Credit (credit)', amount: '-20.00' },
    ]);

    const mail = await h.smtp.waitFor((m) => m.subject.includes(String(id)), 15_000);
    expect(mail.text).toContain('CREDITS (1)');
    expect(mail.text).toMatch(/-20\.00 {2}Deposit Credit \(credit\)/);
    expect(mail.text).not.toContain('UNMATCHED ITEMS');
    expect(mail.text).not.toMatch(/\d+ x Deposit Credit/);
  });

  it('should write a fully comped event at 0.00 with no payment and the items as its discount', async () => {
    const id = 61900102;
    h.seedEvent({
      id,
      grand_total: '0.00',
      actual_amount: '0.00',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 5, price: '3.60' },
            { name: 'MAPLE BAR', quantity: 3, price: '4.00' },
          ],
          grandTotal: '0.00',
          discountsTotal: '30.00',
        }),
      ],
    });
    await writeByWebhook(id);

    const order = oneOrder(id, { subtotal: '30.00', discount: '30.00', final: '0.00' });
    expect(items(order)).toEqual(
      [
        ['/resources/Product/579/', 5, '3.60'],
        ['/resources/Product/590/', 3, '4.00'],
      ].sort(),
    );
    expect(order).toMatchObject({ is_discounted: true, discount_reason: 'Triple Seat Discount' });
    expect(order.notes).toContain('Invoice 0.00 = items 30.00 - Invoice discounts 30.00');
    const ledger = await ledgerOrder(id);
    expect(ledger).toMatchObject({ finalTotal: '0.00', discount: '30.00', surcharge: '0.00' });
  });

  it('should match Pâté, Crème Brûlée and "Jalapeño  Poppers" exactly to PATE, CREME BRULEE and JALAPENO POPPERS', async () => {
    const id = 61900103;
    h.seedEvent({
      id,
      grand_total: '60.00',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'Pâté', quantity: 2, price: '9.00' },
            { name: 'Crème Brûlée', quantity: 4, price: '7.50' },
            { name: 'Jalapeño  Poppers', quantity: 2, price: '6.00' },
          ],
        }),
      ],
    });
    await writeByWebhook(id);

    const order = oneOrder(id, { subtotal: '60.00', discount: '0.00', final: '60.00' });
    expect(items(order)).toEqual(
      [
        ['/resources/Product/720/', 2, '9.00'],
        ['/resources/Product/721/', 4, '7.50'],
        ['/resources/Product/722/', 2, '6.00'],
      ].sort(),
    );
    const ledger = await ledgerOrder(id);
    expect(ledger.lines.map((l) => [l.sourceName, l.name, l.match])).toEqual([
      ['Pâté', 'PATE', 'exact'],
      ['Crème Brûlée', 'CREME BRULEE', 'exact'],
      ['Jalapeño Poppers', 'JALAPENO POPPERS', 'exact'],
    ]);
    expect(ledger.unmatched).toEqual([]);
  });

  it('should name a line discount by its line, and leave a zero-quantity line off the order', async () => {
    const id = 61900104;
    h.seedEvent({
      id,
      grand_total: '51.90',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60', discount: '2.50' },
            { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
            { name: 'HEY BLONDIE', quantity: '0', price: '2.75' },
          ],
        }),
      ],
    });
    await h.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
    await h.waitForState(String(id), ['INJECTED']);

    // 8 × 3.60 + 8 × 3.20 = 54.40 of items; 2.50 off the TRIPLE OG line: 51.90.
    const order = oneOrder(id, { subtotal: '54.40', discount: '2.50', final: '51.90' });
    expect(items(order)).toEqual(
      [
        ['/resources/Product/579/', 8, '3.60'],
        ['/resources/Product/590/', 8, '3.20'],
      ].sort(),
    );
    expect(order.notes).toContain('Invoice 51.90 = items 54.40 - TRIPLE OG line discount 2.50');
    const ledger = await ledgerOrder(id);
    expect(ledger.adjustments).toEqual([
      { kind: 'line-discount', label: 'TRIPLE OG line discount', amount: '-2.50' },
    ]);
    expect(ledger.unmatched).toEqual([]);
  });

  it('should take the food from the BEO when the "Invoice" document has no lines', async () => {
    const id = 61900105;
    h.seedEvent({
      id,
      grand_total: '54.40',
      documents: [
        invoiceDocument({
          id: 297001,
          title: 'Banquet Event Order',
          lines: [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
            { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
          ],
        }),
        // Higher id and a matching title, but nothing to cook, and a 0.00 total of its own.
        invoiceDocument({ id: 297002, title: 'Invoice', lines: [], grandTotal: '0.00' }),
      ],
    });
    await writeByWebhook(id);

    const order = oneOrder(id, { subtotal: '54.40', discount: '0.00', final: '54.40' });
    expect(h.revel.orderItems(order.id)).toHaveLength(2);
    expect((await ledgerOrder(id)).source).toEqual({
      kind: 'document',
      documentId: '297001',
      title: 'Banquet Event Order',
      rule: 'line-items',
    });
  });

  it('should find a product created in Revel for an unmatched line: a console search, then the next sync, writes it', async () => {
    const id = 61900106;
    h.seedEvent({
      id,
      grand_total: '30.00',
      documents: [
        invoiceDocument({ lines: [{ name: 'Dozen Maple Glazed', quantity: 2, price: '15.00' }] }),
      ],
    });
    await h.webhook(webhookBody(id));
    const first = await h.waitForState(String(id), ['SKIPPED', 'HELD', 'INJECTED', 'FAILED']);
    expect(['SKIPPED', 'HELD']).toContain(first.state);
    expect(h.revel.ordersByLocalId(localId(id))).toHaveLength(0);

    // Someone adds the product at the POS; a minute later they look it up in the console.
    h.revel.seedProducts(4, [{ id: 730, name: 'DOZEN MAPLE GLAZED', price: 15.0 }]);
    h.clock.advance(60_000);
    const loads = h.revel.requestCount('GET /resources/Product/');
    const search = await fetch(
      `${h.url}/console/products?event=${id}&line=0&q=${encodeURIComponent('maple glazed')}`,
      { headers: { cookie, 'hx-request': 'true' } },
    );
    expect(search.status).toBe(200);
    expect(await search.text()).toContain('Map to DOZEN MAPLE GLAZED');
    expect(h.revel.requestCount('GET /resources/Product/')).toBeGreaterThan(loads);

    await h.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
    await h.waitForState(String(id), ['INJECTED']);
    const order = oneOrder(id, { subtotal: '30.00', discount: '0.00', final: '30.00' });
    expect(items(order)).toEqual([['/resources/Product/730/', 2, '15.00']]);
  });

  it('should read the catalogue afresh when a line misses, at most once a minute', async () => {
    // A product created after the catalogue was last read, for an event that arrives a minute on.
    h.revel.seedProducts(4, [{ id: 731, name: 'BOSTON CREME', price: 3.5 }]);
    h.clock.advance(60_000);
    const id = 61900107;
    h.seedEvent({
      id,
      grand_total: '21.40',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 1, price: '3.60' },
            { name: 'Boston Crème', quantity: 4, price: '3.50' },
            { name: 'MAPLE BAR', quantity: 1, price: '3.80' },
          ],
        }),
      ],
    });
    await writeByWebhook(id);
    const order = oneOrder(id, { subtotal: '21.40', discount: '0.00', final: '21.40' });
    expect(items(order)).toContainEqual(['/resources/Product/731/', 4, '3.50']);

    // Within the minute a miss reads nothing more: the line stays unmatched, named with its amount.
    h.revel.seedProducts(4, [{ id: 732, name: 'CRULLER', price: 2.0 }]);
    const loads = h.revel.requestCount('GET /resources/Product/');
    const next = 61900108;
    h.seedEvent({
      id: next,
      grand_total: '7.60',
      documents: [
        invoiceDocument({
          lines: [
            { name: 'TRIPLE OG', quantity: 1, price: '3.60' },
            { name: 'Cruller', quantity: 2, price: '2.00' },
          ],
        }),
      ],
    });
    await h.webhook(webhookBody(next));
    await h.waitForState(String(next), ['INJECTED', 'HELD']);
    expect(h.revel.requestCount('GET /resources/Product/')).toBe(loads);
    expect((await ledgerOrder(next)).unmatched.map((u) => u.name)).toEqual(['Cruller']);
  });

  it('should read the catalogue afresh after a mapping is saved, so a product just created resolves', async () => {
    h.revel.seedProducts(4, [{ id: 733, name: 'GLAZED DOZEN BOX', price: 16.0 }]);
    const loads = h.revel.requestCount('GET /resources/Product/');
    await h
      .api()
      .put('/api/mappings')
      .send({ location: '31883', displayName: 'Glazed Dozen (boxed)', productId: 733 })
      .expect(200);
    const id = 61900109;
    h.seedEvent({
      id,
      grand_total: '32.00',
      documents: [
        invoiceDocument({ lines: [{ name: 'Glazed Dozen (Boxed)', quantity: 2, price: '16.00' }] }),
      ],
    });
    await writeByWebhook(id);
    const order = oneOrder(id, { subtotal: '32.00', discount: '0.00', final: '32.00' });
    expect(items(order)).toEqual([['/resources/Product/733/', 2, '16.00']]);
    expect((await ledgerOrder(id)).lines[0]).toMatchObject({ match: 'map' });
    // Within a minute of the last miss's reload: it is the mapping that had the catalogue read.
    expect(h.revel.requestCount('GET /resources/Product/')).toBeGreaterThan(loads);
  });
});

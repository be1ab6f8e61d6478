/**
 * Contract fixtures through the whole pipeline. Each TripleSeat payload in test/fixtures/ is written
 * from the public sources of upstream-facts §0 (the typed client models, the captured webhook),
 * with synthetic values. The sandbox serves the fixture exactly as recorded (only the date is moved
 * to today and the id made unique); the real captured webhook envelope announces it; the test then
 * reads what the service wrote to the Revel sandbox: items, prices, quantities, surcharge or
 * discount, the one payment, the notes, and that no write carried a field a real Revel object
 * lacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedCents } from '../src/orders/invoice';
import type { SandboxBooking, SandboxEvent } from '../sandbox/tripleseat.sandbox';
import { withoutFinancials } from '../sandbox/tripleseat.sandbox';
import { fixtureProducts } from '../sandbox/revel.sandbox';
import { Harness, startHarness } from './support/harness';

const FIXTURES = join(__dirname, 'fixtures', 'tripleseat');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

interface ExpectedWrite {
  fixture: string;
  booking?: string;
  /** [product URI, quantity, unit price] in creation order. */
  items: [string, number, string][];
  subtotal: string;
  discount: string;
  surcharge: string;
  finalTotal: string;
  /** Fragments the order's notes must contain. */
  notes: string[];
  unmatched: string[];
  source: Record<string, unknown>;
}

const CASES: ExpectedWrite[] = [
  {
    // A deleted proposal, an invoice with food, a room rental, an unknown item, a service charge
    // and a tax: 24 × 3.60 + 12 × 3.20 = 124.80 in items, invoice 341.30.
    fixture: 'event-invoice.json',
    items: [
      ['/resources/Product/579/', 24, '3.60'],
      ['/resources/Product/590/', 12, '3.20'],
    ],
    subtotal: '124.80',
    discount: '0.00',
    surcharge: '216.50',
    finalTotal: '341.30',
    notes: [
      'Phone: (702) 555-0100',
      'Invoice 341.30 = items 124.80 + Service Charge (20.0%) 37.60 + Sales Tax (8.375%) 18.90 + Private Room (Room Rental, not ordered) 150.00 + Unicorn Sprinkles Deluxe (no Revel product) 10.00',
    ],
    unmatched: ['Unicorn Sprinkles Deluxe'],
    source: { kind: 'document', documentId: '296466', title: 'Invoice', rule: 'title' },
  },
  {
    // No title says "invoice": the highest-id document with lines (the BEO) wins; its courtesy
    // credit puts the invoice below the items, so the difference is the Triple Seat discount.
    fixture: 'event-beo-discount.json',
    items: [
      ['/resources/Product/579/', 8, '3.60'],
      ['/resources/Product/590/', 8, '3.20'],
    ],
    subtotal: '54.40',
    discount: '4.40',
    surcharge: '0.00',
    finalTotal: '50.00',
    notes: ['Invoice 50.00 = items 54.40 - Courtesy credit ($4.40) 4.40'],
    unmatched: [],
    source: {
      kind: 'document',
      documentId: '296471',
      title: 'Banquet Event Order',
      rule: 'line-items',
    },
  },
  {
    // No document has line items: the booking's packing field is the last resort (one item at the
    // Revel price), and the event's grand_total is the total.
    fixture: 'event-packing-field.json',
    booking: 'booking-packing-field.json',
    items: [['/resources/Product/579/', 1, '2.00']],
    subtotal: '2.00',
    discount: '0.00',
    surcharge: '0.25',
    finalTotal: '2.25',
    notes: ['Invoice 2.25 = items 2.00 + Other'],
    unmatched: [],
    source: { kind: 'booking-field', bookingId: '52519003', field: 'Boxing/Packing Slip' },
  },
];

const cents = (value: unknown): number | undefined =>
  typeof value === 'number' || typeof value === 'string' ? signedCents(value) : undefined;

describe('Contract fixtures → exact Revel writes (e2e, sandboxes over HTTP)', () => {
  let h: Harness;
  const envelope = load<{ webhook_trigger_type: string; event: Record<string, unknown> }>(
    'webhook-status-change.json',
  );

  beforeAll(async () => {
    h = await startHarness();
    // An inactive product with the very name of an unknown line: it must never be ordered.
    h.revel.seedProducts(4, [
      ...fixtureProducts(),
      { id: 599, name: 'Unicorn Sprinkles Deluxe', price: 5, cost: 1, active: false },
    ]);
  });

  afterAll(async () => {
    await h.close();
  });

  it.each(CASES)('should write $fixture to Revel exactly', async (c) => {
    const { event: recorded } = load<{ event: SandboxEvent }>(c.fixture);
    const id = Number(recorded.id) + Math.floor(Math.random() * 1000) * 10;
    const today = h.todayLA();
    const [mm, dd, yyyy] = today.split('/');
    const event: SandboxEvent = {
      ...recorded,
      id,
      event_date: today,
      event_date_iso8601: `${yyyy}-${mm}-${dd}`,
    };
    h.tripleseat.upsertEvent(event);
    if (c.booking) {
      const { booking } = load<{ booking: SandboxBooking }>(c.booking);
      h.tripleseat.upsertBooking({ ...booking, event_ids: [id] });
    }

    // The real captured envelope, slim and with a stale status: only a hint to re-fetch.
    const res = await h.webhook({ ...envelope, event: { ...envelope.event, id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reason: 'QUEUED', eventId: String(id) });
    const row = await h.waitForState(String(id), ['INJECTED', 'FAILED', 'SKIPPED']);
    expect(row.state).toBe('INJECTED');

    // The event was fetched with show_financial=true; nothing was written from the webhook body.
    const fetches = h.tripleseat
      .requests()
      .filter((r) => r.route === 'GET /v1/events/:id.json' && r.path.includes(String(id)));
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.every((r) => r.query.show_financial === 'true')).toBe(true);

    const orders = h.revel.ordersByLocalId(`Triple Seat_${id}`);
    expect(orders).toHaveLength(1);
    const order = orders[0];
    const items = h.revel.orderItems(order.id);
    expect(items.map((i) => [i.product, Number(i.quantity), String(i.price)])).toEqual(c.items);
    expect(items.some((i) => i.product === '/resources/Product/599/')).toBe(false);
    expect(cents(order.subtotal)).toBe(cents(c.subtotal));
    expect(cents(order.surcharge)).toBe(cents(c.surcharge));
    expect(cents(order.discount_amount ?? 0)).toBe(cents(c.discount));
    expect(cents(order.final_total)).toBe(cents(c.finalTotal));
    const payments = h.revel.payments(order.id);
    expect(payments).toHaveLength(1);
    expect(cents(payments[0].amount)).toBe(cents(c.finalTotal));
    expect(order.notes).toContain(`Triple Seat Event #${id}`);
    for (const fragment of c.notes) expect(order.notes).toContain(fragment);
    expect(h.revel.unknownFields()).toEqual([]);

    // The ledger, through the API, keeps the same make-up and names every unmatched line.
    const ledger = await h.api().get(`/api/sync/events/${id}`).expect(200);
    const summary = ledger.body.order as {
      finalTotal: string;
      unmatched: { name: string }[];
      adjustments: { amount: string }[];
      source: Record<string, unknown>;
    };
    expect(summary.finalTotal).toBe(c.finalTotal);
    expect(summary.source).toEqual(c.source);
    expect(summary.unmatched.map((u) => u.name)).toEqual(c.unmatched);
    const madeUp = summary.adjustments.reduce((sum, a) => sum + (cents(a.amount) ?? 0), 0);
    expect(madeUp).toBe((cents(c.finalTotal) ?? 0) - (cents(c.subtotal) ?? 0));
  });

  it('should e-mail the unmatched item by name while ordering the known ones', async () => {
    const mail = await h.smtp.waitFor(
      (m) => m.text.includes('Unicorn Sprinkles Deluxe') && m.subject.includes('created'),
      5000,
    );
    expect(mail.text).toMatch(/UNMATCHED ITEMS \(1\)/);
    expect(mail.text).toContain('24 x TRIPLE OG @ 3.60');
    expect(mail.text).toContain('Service Charge (20.0%)');
  });

  it('should match the recorded shapes: the search page carries no financial detail', () => {
    const page = load<{ total_pages: number; results: SandboxEvent[] }>('search-page.json');
    for (const result of page.results) {
      for (const doc of result.documents ?? []) {
        expect(doc).not.toHaveProperty('line_items');
        expect(doc).not.toHaveProperty('financials');
      }
      // The sandbox strips exactly what TripleSeat leaves out without show_financial=true.
      const { event } = load<{ event: SandboxEvent }>('event-invoice.json');
      if (result.id === event.id) expect(withoutFinancials(event)).toEqual(result);
    }
  });
});

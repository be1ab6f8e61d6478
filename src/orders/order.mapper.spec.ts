import fc from 'fast-check';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import type { Location } from '../config/locations';
import {
  type FixtureLine,
  invoiceDocument,
  type InvoiceDocumentOptions,
} from '../../sandbox/tripleseat.fixtures';
import type { TripleSeatBooking, TripleSeatEvent } from '../tripleseat/tripleseat.types';
import type { CatalogProduct } from './product-matcher';
import { LEGACY_LEDGER_ID } from '../database/database.types';
import {
  type BuildOrderDraftInput,
  buildOrderDraft,
  contentHash,
  historyUuid,
  itemUuid,
  ledgerNamespace,
  makeUpText,
  ORDER_UUID_NAMESPACE,
  orderUuid,
  paymentUuid,
  resyncItemUuid,
} from './order.mapper';

const tropicana: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: {},
  menuItems: {},
};

const catalogue: CatalogProduct[] = [
  { id: 101, name: 'O G', price: '1.50', cost: '0.40' },
  { id: 579, name: 'TRIPLE OG', price: 2.0, cost: 0.6 },
  { id: 102, name: 'MAPLE BARS', price: '1.75' },
  { id: 103, name: 'CHOCOLATE RAINBOW RING', price: 2.25 },
  { id: 104, name: "OL' FASHIONED", price: 0, cost: '0.90' },
  { id: 105, name: 'HEY BLONDIE', price: null, cost: null },
];

const IGNORED = ['Rental', 'Room Rental', 'Room Fee', 'Labor', 'Staffing', 'Audio Visual', 'Fees'];

/** GET /v1/events/55521609.json without documents (as the legacy fixture: no lines at all). */
const fixtureEvent = (): TripleSeatEvent => ({
  id: 55521609,
  name: 'Jon Ponder',
  status: 'CLOSED',
  event_date: '12/28/2025',
  event_date_iso8601: '2025-12-28',
  site_id: 15691,
  location_id: 31883,
  booking_id: 52511006,
  guest_count: 25,
  grand_total: '108.80',
  documents: [],
});

const fixtureBooking = (): TripleSeatBooking => ({
  id: 52511006,
  site_id: 15691,
  location_id: 31883,
  event_ids: [55521609],
  status: 'CLOSED',
  custom_fields: [{ custom_field_name: 'Boxing/Packing Slip', value: 'TRIPLE OG' }],
});

const now = new Date('2025-12-29T01:35:10Z');

/** What version 0.1.0 (one fixed namespace for every ledger) wrote for event 55521609. */
const LEGACY_ORDER_UUID_55521609 = 'ae3f98a3-280a-59f5-8257-73863177abbc';
const LEGACY_PAYMENT_UUID_55521609 = 'bbac4372-9087-50d4-bdaa-96912e16f3e9';
const LEGACY_HISTORY_UUID_55521609 = 'b509d303-0cf0-5d4a-85bf-795c3e39e459';
const LEGACY_ITEM0_UUID_55521609 = 'f338558a-cd20-57b1-a472-df07dbbd89ed';

/** A ledger created after identities existed (a random id, fixed here). */
const LEDGER = '3b1f0a6e-8c2d-4e5f-9a7b-1c2d3e4f5a6b';

const build = (overrides: Partial<BuildOrderDraftInput> = {}) =>
  buildOrderDraft({
    ledgerId: LEDGER,
    event: fixtureEvent(),
    booking: fixtureBooking(),
    location: tropicana,
    products: catalogue,
    invoicePattern: /invoice/i,
    ignoredCategories: IGNORED,
    threshold: 0.75,
    localIdTemplate: 'Triple Seat_{eventId}',
    now,
    ...overrides,
  });

/** An event whose invoice has these lines and (when given) this grand total; no other document. */
const withItems = (
  items: FixtureLine[],
  grandTotal?: string | number | null,
  extra: Partial<TripleSeatEvent> & { doc?: Partial<InvoiceDocumentOptions> } = {},
): TripleSeatEvent => {
  const { doc, ...rest } = extra;
  return {
    ...fixtureEvent(),
    grand_total: null,
    documents: [invoiceDocument({ lines: items, grandTotal: grandTotal ?? null, ...doc })],
    ...rest,
  };
};

describe(buildOrderDraft.name, () => {
  it('should build the legacy fixture event 55521609 from the booking packing field', () => {
    const draft = build();
    expect(draft).toMatchObject({
      eventId: '55521609',
      establishmentId: 4,
      localId: 'Triple Seat_55521609',
      legacyLocalIds: ['Triple Seat 55521609', 'tripleseat_event_55521609'],
      callName: 'Jon Ponder',
      notes:
        'Triple Seat Event #55521609 | Invoice 108.80 = items 2.00 + Other (discounts, rounding or prices that differ from the invoice) 106.80',
      unmatched: [],
      source: { kind: 'booking-field', bookingId: '52511006', field: 'Boxing/Packing Slip' },
      grandTotalSource: 'event',
      subtotalCents: 200,
      discountCents: 0,
      surchargeCents: 10680,
      finalTotalCents: 10880,
      localTimestamp: '2025-12-28T17:35:10',
    });
    expect(draft.lines).toEqual([
      {
        index: 0,
        uuid: expect.any(String),
        productId: 579,
        productName: 'TRIPLE OG',
        sourceName: 'TRIPLE OG',
        quantity: 1,
        unitPriceCents: 200,
        lineTotalCents: 200,
        match: 'exact',
        score: 1,
      },
    ]);
  });

  it('should put a lower invoice total on the order as a discount', () => {
    const draft = build({
      event: withItems([{ name: 'MAPLE BARS', quantity: 10, price: 1 }], 7.5),
    });
    expect(draft).toMatchObject({
      subtotalCents: 1000,
      discountCents: 250,
      surchargeCents: 0,
      finalTotalCents: 750,
    });
  });

  it('should put a higher invoice total (tax, fees, gratuity) on the order as a surcharge', () => {
    const draft = build({
      event: withItems([{ name: 'MAPLE BARS', quantity: 10, price: '1.00' }], '10.84'),
    });
    expect(draft).toMatchObject({
      subtotalCents: 1000,
      discountCents: 0,
      surchargeCents: 84,
      finalTotalCents: 1084,
    });
  });

  it('should fall back to the subtotal when there is no invoice total', () => {
    const items = [{ name: 'MAPLE BARS', quantity: 4, price: '1.25' }];
    expect(build({ event: withItems(items) })).toMatchObject({
      subtotalCents: 500,
      discountCents: 0,
      surchargeCents: 0,
      finalTotalCents: 500,
      grandTotalSource: 'items',
    });
  });

  it("should use the event's grand_total when the document has none", () => {
    const event = withItems([{ name: 'MAPLE BARS', quantity: 4, price: '1.25' }], null, {
      grand_total: '4.00',
    });
    expect(build({ event })).toMatchObject({
      discountCents: 100,
      finalTotalCents: 400,
      grandTotalSource: 'event',
    });
  });

  it('should compute exactly with money and quantities as strings', () => {
    const event = withItems(
      [
        { name: 'MAPLE BARS', quantity: '3', price: '0.10' },
        { name: 'TRIPLE OG', quantity: '3', price: '$0.20' },
        { name: 'O G', quantity: '1.5', price: '1.99' },
      ],
      '$1,000.00',
    );
    const draft = build({ event });
    expect(draft.lines.map((l) => l.lineTotalCents)).toEqual([30, 60, 299]);
    expect(draft).toMatchObject({
      subtotalCents: 389,
      surchargeCents: 99611,
      finalTotalCents: 100000,
    });
  });

  it('should list unmatched items with their closest name instead of dropping them', () => {
    const event = withItems(
      [
        { name: 'PINK RAINBOW RING', quantity: 8 },
        { name: 'CHOCOLATE RAINBOW RING', quantity: 8 },
        { name: 'SUGA DADDY', quantity: '8' },
      ],
      '18.00',
    );
    const draft = build({ event });
    expect(draft.lines.map((l) => l.sourceName)).toEqual(['CHOCOLATE RAINBOW RING']);
    expect(draft.unmatched).toEqual([
      {
        name: 'PINK RAINBOW RING',
        quantity: 8,
        closest: { name: 'CHOCOLATE RAINBOW RING', score: 26 / 39 },
        amount: '0.00',
      },
      { name: 'SUGA DADDY', quantity: 8, closest: expect.any(Object), amount: '0.00' },
    ]);
  });

  it('should report an item whose map entry names a product missing from the catalogue', () => {
    const location = { ...tropicana, products: { 'TRIPLE OG': 9999 } };
    const draft = build({ location });
    expect(draft.lines).toEqual([]);
    expect(draft.unmatched).toEqual([
      expect.objectContaining({ name: 'TRIPLE OG', detail: expect.stringContaining('9999') }),
    ]);
  });

  it('should let the explicit product map win over exact and fuzzy names', () => {
    const location = { ...tropicana, products: { og: 579, 'maple bar': 103 } };
    const event = withItems([{ name: 'OG' }, { name: 'Maple Bar' }]);
    const draft = build({ event, location });
    expect(draft.lines.map((l) => [l.productId, l.match])).toEqual([
      [579, 'map'],
      [103, 'map'],
    ]);
    const unmapped = build({ event });
    expect(unmapped.lines.map((l) => [l.productId, l.match])).toEqual([
      [101, 'fuzzy'],
      [102, 'fuzzy'],
    ]);
  });

  it('should price from TripleSeat when positive, else the Revel price, else zero', () => {
    const event = withItems([
      { name: 'TRIPLE OG', quantity: 2, price: '3.10' },
      { name: 'TRIPLE OG', quantity: 2, price: 0 },
      { name: 'TRIPLE OG', quantity: 2 },
      { name: "OL' FASHIONED", quantity: 2 },
      { name: 'HEY BLONDIE', quantity: 2 },
    ]);
    expect(build({ event }).lines.map((l) => [l.unitPriceCents, l.lineTotalCents])).toEqual([
      [310, 620],
      [200, 400],
      [200, 400],
      [0, 0],
      [0, 0],
    ]);
  });

  it('should give deterministic v5 UUIDs, stable across calls and distinct per line and event', () => {
    const event = withItems([{ name: 'OG' }, { name: 'TRIPLE OG' }, { name: 'MAPLE BARS' }]);
    const first = build({ event });
    const again = build({ event, now: new Date('2026-01-01T00:00:00Z') });
    const ids = [
      first.orderUuid,
      first.paymentUuid,
      first.historyUuid,
      ...first.lines.map((l) => l.uuid),
    ];
    expect(ids.every((id) => isUuid(id) && uuidVersion(id) === 5)).toBe(true);
    expect(new Set(ids).size).toBe(6);
    expect([
      again.orderUuid,
      again.paymentUuid,
      again.historyUuid,
      ...again.lines.map((l) => l.uuid),
    ]).toEqual(ids);
    const other = build({ event: { ...event, id: '55521610' } });
    expect(other.orderUuid).not.toBe(first.orderUuid);
    expect(other.lines[0].uuid).not.toBe(first.lines[0].uuid);
  });

  it("should give each ledger its own UUIDs for the same event, so no ledger adopts another one's order", () => {
    const event = withItems([{ name: 'OG' }, { name: 'TRIPLE OG' }]);
    const mine = build({ event });
    const theirs = build({ event, ledgerId: 'a9e8d7c6-b5a4-4392-8170-6f5e4d3c2b1a' });
    const ids = (d: typeof mine) => [
      d.orderUuid,
      d.paymentUuid,
      d.historyUuid,
      ...d.lines.map((l) => l.uuid),
    ];
    const shared = ids(mine).filter((id) => ids(theirs).includes(id));
    expect(shared).toEqual([]);
    // Everything else about the order is the same: only the records' identities differ.
    expect(contentHash(theirs)).toBe(contentHash(mine));
    expect(theirs.localId).toBe(mine.localId);
  });

  it("should derive a ledger's namespace from its id under the fixed root, case-insensitively", () => {
    expect(ledgerNamespace(LEDGER)).toBe(ledgerNamespace(LEDGER.toUpperCase()));
    expect(ledgerNamespace(LEDGER)).not.toBe(ORDER_UUID_NAMESPACE);
    expect(orderUuid(LEDGER, '55521609')).toBe(build().orderUuid);
    expect(() => ledgerNamespace('not-a-uuid')).toThrow(RangeError);
  });

  it('should keep exactly the pre-identity UUIDs for a ledger migrated from before identities', () => {
    // The values the fixed namespace gave before ledger identities existed: a partial order
    // written by the old version must still be recognised as this ledger's own and completed.
    const draft = build({ ledgerId: LEGACY_LEDGER_ID });
    expect(draft.orderUuid).toBe(LEGACY_ORDER_UUID_55521609);
    expect(ledgerNamespace(LEGACY_LEDGER_ID)).toBe(ORDER_UUID_NAMESPACE);
    expect(orderUuid(LEGACY_LEDGER_ID, '55521609')).toBe(LEGACY_ORDER_UUID_55521609);
    expect(paymentUuid(LEGACY_LEDGER_ID, '55521609')).toBe(LEGACY_PAYMENT_UUID_55521609);
    expect(historyUuid(LEGACY_LEDGER_ID, '55521609')).toBe(LEGACY_HISTORY_UUID_55521609);
    expect(itemUuid(LEGACY_LEDGER_ID, '55521609', 0)).toBe(LEGACY_ITEM0_UUID_55521609);
    expect(resyncItemUuid('55521609', 0, 'h')).toBe(
      resyncItemUuid('55521609', 0, 'h', LEGACY_LEDGER_ID),
    );
    expect(resyncItemUuid('55521609', 0, 'h', LEDGER)).not.toBe(resyncItemUuid('55521609', 0, 'h'));
  });

  it('should tie a line UUID to its TripleSeat position, not to its position among matched lines', () => {
    const withUnmatched = build({ event: withItems([{ name: 'ZZZZ' }, { name: 'TRIPLE OG' }]) });
    const alone = build({ event: withItems([{ name: 'TRIPLE OG' }]) });
    expect(withUnmatched.lines[0].index).toBe(1);
    expect(withUnmatched.lines[0].uuid).not.toBe(alone.lines[0].uuid);
  });

  it('should put the contact name and phone in call_name and the phone in notes', () => {
    const event: TripleSeatEvent = {
      ...fixtureEvent(),
      contact: {
        first_name: 'Jane',
        last_name: 'Doe',
        phone_numbers: [{ number: '702-555-0100' }],
      },
    };
    const draft = build({ event });
    expect(draft.callName).toBe('Jane Doe | 702-555-0100');
    expect(draft.notes).toMatch(/^Triple Seat Event #55521609 \| Phone: 702-555-0100 \| Invoice /);
  });

  it("should fall back to the event's name, and omit call_name when there is neither", () => {
    expect(build().callName).toBe('Jon Ponder');
    const nobody = build({ event: { ...fixtureEvent(), name: null } });
    expect(nobody.callName).toBeUndefined();
    expect(nobody.notes).toMatch(/^Triple Seat Event #55521609 \| Invoice 108\.80 = /);
  });

  it('should leave the primary form out of the legacy local ids', () => {
    expect(build({ localIdTemplate: 'Triple Seat {eventId}' })).toMatchObject({
      localId: 'Triple Seat 55521609',
      legacyLocalIds: ['tripleseat_event_55521609'],
    });
  });

  it('should refuse a local id template without {eventId}', () => {
    expect(() => build({ localIdTemplate: 'Triple Seat' })).toThrow(/eventId/);
  });

  it('should write the local timestamp in the site zone', () => {
    const denver = { ...tropicana, timezone: 'America/Denver' };
    expect(build({ location: denver }).localTimestamp).toBe('2025-12-28T18:35:10');
  });

  it('should always satisfy subtotal − discount + surcharge = final total', () => {
    const item = fc.record({
      name: fc.constantFrom('OG', 'TRIPLE OG', 'MAPLE BAR', 'UNKNOWN THING'),
      quantity: fc.oneof(fc.nat({ max: 50 }), fc.constantFrom('1.5', '2', '0.25')),
      price: fc.option(
        fc.nat({ max: 100_000 }).map((c) => (c / 100).toFixed(2)),
        {
          nil: undefined,
        },
      ),
      category: fc.constantFrom('Food', 'Food', 'Room Rental', 'Beverage'),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.option(fc.nat({ max: 1_000_000 }).map((c) => (c / 100).toFixed(2))),
        (items, grandTotal) => {
          const draft = build({ event: withItems(items, grandTotal), booking: undefined });
          const { subtotalCents, discountCents, surchargeCents, finalTotalCents } = draft;
          expect(subtotalCents - discountCents + surchargeCents).toBe(finalTotalCents);
          const madeUp = draft.adjustments.reduce((sum, a) => sum + a.amountCents, 0);
          expect(madeUp).toBe(finalTotalCents - subtotalCents);
          const notOrdered = items.filter(
            (i) => i.category !== 'Room Rental' && i.quantity === 0,
          ).length;
          expect(
            draft.lines.length + draft.unmatched.length + draft.ignored.length + notOrdered,
          ).toBe(items.length);
          expect(subtotalCents).toBe(draft.lines.reduce((s, l) => s + l.lineTotalCents, 0));
          expect(Math.min(discountCents, surchargeCents)).toBe(0);
          if (items.length > 0 && grandTotal !== null) {
            expect(finalTotalCents).toBe(Math.round(Number(grandTotal) * 100));
          }
        },
      ),
    );
  });
});

describe(contentHash.name, () => {
  it('should not change with the build time', () => {
    expect(contentHash(build())).toBe(
      contentHash(build({ now: new Date('2026-06-01T12:00:00Z') })),
    );
    expect(contentHash(build())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should change when a line, a total or the establishment changes', () => {
    const base = contentHash(build());
    const pricier = [{ ...catalogue[1], price: '2.01' }, ...catalogue];
    expect(contentHash(build({ products: pricier }))).not.toBe(base);
    const invoice = { ...fixtureEvent(), grand_total: '99.00' };
    expect(contentHash(build({ event: invoice }))).not.toBe(base);
    expect(contentHash(build({ location: { ...tropicana, revelEstablishmentId: 8 } }))).not.toBe(
      base,
    );
  });
});

describe('buildOrderDraft on a real-shaped invoice', () => {
  /**
   * The shape `GET /v1/events/{id}.json?show_financial=true` returns (upstream-facts §1.4): a
   * deleted proposal, an invoice with food, a room rental and a venue fee, and a service charge and
   * a tax in billing_totals; money and quantities as strings.
   */
  const realEvent = (): TripleSeatEvent => ({
    ...fixtureEvent(),
    grand_total: '999.99',
    documents: [
      invoiceDocument({
        id: 9001,
        title: 'Proposal',
        lines: [{ name: 'TRIPLE OG', quantity: '100', price: '9.99' }],
        deletedAt: '12/01/2025 10:00 AM',
      }),
      invoiceDocument({
        id: 9002,
        title: 'Invoice - Holiday Party',
        lines: [
          { name: 'TRIPLE OG', quantity: '24', price: '3.60', menuItemId: 5001 },
          { name: 'Maple Bar', quantity: '12', price: '3.20' },
          { name: 'Private Room', quantity: '1', price: '150.00', category: 'room rental' },
          { name: 'Unicorn Sprinkles Deluxe', quantity: '2', price: '5.00' },
        ],
        billing: [
          { description: 'Service Charge', value: '20.0%', amount: '37.60' },
          { description: 'Sales Tax', value: '8.375%', amount: '18.90' },
        ],
        grandTotal: '341.30',
      }),
    ],
  });

  it('should order the food lines at the invoice prices and total the invoice to the cent', () => {
    const location = { ...tropicana, menuItems: { '5001': 579 } };
    const draft = build({ event: realEvent(), location });
    expect(draft.source).toEqual({
      kind: 'document',
      documentId: '9002',
      title: 'Invoice - Holiday Party',
      rule: 'title',
    });
    expect(
      draft.lines.map((l) => [l.sourceName, l.productId, l.quantity, l.unitPriceCents, l.match]),
    ).toEqual([
      ['TRIPLE OG', 579, 24, 360, 'menu-item'],
      ['Maple Bar', 102, 12, 320, 'fuzzy'],
    ]);
    expect(draft.unmatched).toEqual([
      expect.objectContaining({ name: 'Unicorn Sprinkles Deluxe', quantity: 2, amount: '10.00' }),
    ]);
    expect(draft.ignored).toEqual([
      { name: 'Private Room', category: 'room rental', quantity: 1, amountCents: 15000 },
    ]);
    // 24 × 3.60 + 12 × 3.20 = 86.40 + 38.40 = 124.80; invoice 341.30.
    expect(draft).toMatchObject({
      subtotalCents: 12480,
      surchargeCents: 21650,
      discountCents: 0,
      finalTotalCents: 34130,
      grandTotalSource: 'document',
    });
    expect(draft.adjustments).toEqual([
      { kind: 'billing', label: 'Service Charge (20.0%)', amountCents: 3760 },
      { kind: 'billing', label: 'Sales Tax (8.375%)', amountCents: 1890 },
      { kind: 'venue', label: 'Private Room (room rental, not ordered)', amountCents: 15000 },
      {
        kind: 'unmatched',
        label: 'Unicorn Sprinkles Deluxe (no Revel product)',
        amountCents: 1000,
      },
    ]);
    expect(draft.notes).toBe(
      'Triple Seat Event #55521609 | Invoice 341.30 = items 124.80 + Service Charge (20.0%) 37.60 + Sales Tax (8.375%) 18.90 + Private Room (room rental, not ordered) 150.00 + Unicorn Sprinkles Deluxe (no Revel product) 10.00',
    );
    expect(makeUpText(draft)).toBe(draft.notes.split(' | ')[1]);
  });

  it('should put what the parts do not explain in one "other" part, so they always add up', () => {
    const event = realEvent();
    const invoice = event.documents?.[1];
    if (!invoice?.financials) throw new Error('fixture has no invoice');
    invoice.financials = { ...invoice.financials, grand_total: '331.30', discounts_total: '10.00' };
    const draft = build({ event });
    expect(draft.finalTotalCents).toBe(33130);
    expect(draft.adjustments.at(-1)).toEqual({
      kind: 'other',
      label: 'Invoice discounts',
      amountCents: -1000,
    });
  });

  it('should give the Triple Seat discount when the invoice is below the items', () => {
    const event = withItems([{ name: 'TRIPLE OG', quantity: '10', price: '3.00' }], '27.00', {
      doc: { billing: [{ description: 'Discount', value: '10%', amount: '-3.00' }] },
    });
    const draft = build({ event });
    expect(draft).toMatchObject({ subtotalCents: 3000, discountCents: 300, finalTotalCents: 2700 });
    expect(draft.adjustments).toEqual([
      { kind: 'billing', label: 'Discount (10%)', amountCents: -300 },
    ]);
    expect(draft.notes).toContain('Invoice 27.00 = items 30.00 - Discount (10%) 3.00');
  });

  it('should compare ignored categories case-insensitively and honour a custom list', () => {
    const event = withItems([
      { name: 'TRIPLE OG', quantity: 2, price: '3.00' },
      { name: 'Bartender', quantity: 1, price: '50.00', category: 'STAFFING' },
    ]);
    expect(build({ event }).ignored.map((l) => l.name)).toEqual(['Bartender']);
    const custom = build({ event, ignoredCategories: [] });
    expect(custom.ignored).toEqual([]);
    expect(custom.unmatched.map((u) => u.name)).toEqual(['Bartender']);
  });

  it('should report a menu_item_id mapped to a product missing from the active catalogue', () => {
    const location = { ...tropicana, menuItems: { '5001': 9999 } };
    const event = withItems([{ name: 'TRIPLE OG', quantity: 1, price: '3.60', menuItemId: 5001 }]);
    const draft = build({ event, location });
    expect(draft.lines).toEqual([]);
    expect(draft.unmatched).toEqual([
      expect.objectContaining({
        name: 'TRIPLE OG',
        menuItemId: '5001',
        detail: expect.stringContaining('9999'),
      }),
    ]);
  });

  it('should not fetch lines from the booking when a document has them', () => {
    const draft = build({ event: realEvent() });
    expect(draft.source.kind).toBe('document');
    expect(draft.lines.some((l) => l.sourceName === 'TRIPLE OG' && l.quantity === 1)).toBe(false);
  });

  it('should list an unusable quantity as unmatched rather than drop it', () => {
    const event = withItems([{ name: 'TRIPLE OG', quantity: 2, price: '3.00' }]);
    event.documents![0].line_items![0].quantity = 'two trays';
    expect(build({ event }).unmatched).toEqual([
      expect.objectContaining({
        name: 'TRIPLE OG',
        quantity: 0,
        detail: 'quantity is not a positive number',
      }),
    ]);
  });
});

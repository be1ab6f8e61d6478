import fc from 'fast-check';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import type { Location } from '../config/locations';
import type { CatalogProduct } from '../revel/product-matcher';
import type { TripleSeatBooking, TripleSeatEvent } from '../tripleseat/tripleseat.types';
import {
  type BuildOrderDraftInput,
  buildOrderDraft,
  contentHash,
  extractLineItems,
  invoiceTotals,
} from './order.mapper';

const tropicana: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: {},
};

const catalogue: CatalogProduct[] = [
  { id: 101, name: 'O G', price: '1.50', cost: '0.40' },
  { id: 579, name: 'TRIPLE OG', price: 2.0, cost: 0.6 },
  { id: 102, name: 'MAPLE BARS', price: '1.75' },
  { id: 103, name: 'CHOCOLATE RAINBOW RING', price: 2.25 },
  { id: 104, name: "OL' FASHIONED", price: 0, cost: '0.90' },
  { id: 105, name: 'HEY BLONDIE', price: null, cost: null },
];

/** GET /v1/events/55521609 as in the legacy fixture (items empty, invoice of $108.80). */
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
  items: [],
  menu_items: [],
  documents: [
    { type: 'billing_invoice', subtotal: 108.8, grand_total: 108.8, total: 108.8, amount_due: 0 },
  ],
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

const build = (overrides: Partial<BuildOrderDraftInput> = {}) =>
  buildOrderDraft({
    event: fixtureEvent(),
    booking: fixtureBooking(),
    location: tropicana,
    products: catalogue,
    threshold: 0.75,
    localIdTemplate: 'Triple Seat_{eventId}',
    now,
    ...overrides,
  });

const withItems = (
  items: TripleSeatEvent['items'],
  grandTotal?: string | number,
  extra: Partial<TripleSeatEvent> = {},
): TripleSeatEvent => ({
  ...fixtureEvent(),
  items,
  documents: grandTotal === undefined ? [] : [{ type: 'billing_invoice', grand_total: grandTotal }],
  ...extra,
});

describe(extractLineItems.name, () => {
  it('should fall back from empty items and menu_items to the booking packing field', () => {
    expect(extractLineItems(fixtureEvent(), fixtureBooking())).toEqual([
      { name: 'TRIPLE OG', quantity: 1, index: 0 },
    ]);
  });

  it('should prefer items over menu_items, and menu_items over the booking', () => {
    const event = { ...fixtureEvent(), menu_items: [{ name: 'MAPLE BAR', quantity: 2 }] };
    expect(extractLineItems(event, fixtureBooking())).toEqual([
      { name: 'MAPLE BAR', quantity: 2, index: 0 },
    ]);
    expect(extractLineItems({ ...event, items: [{ name: 'OG' }] }, fixtureBooking())).toEqual([
      { name: 'OG', quantity: 1, index: 0 },
    ]);
  });

  it('should skip unnamed and non-positive or non-numeric quantities, keeping original indexes', () => {
    const event = withItems([
      { name: '  ', quantity: 1 },
      { name: 'OG', quantity: '8', price: '$2.50' },
      { name: null, quantity: 3 },
      { name: 'MAPLE BAR', quantity: 0 },
      { name: 'TRIPLE OG', quantity: -2 },
      { name: 'FUDGY WUDGY', quantity: 'lots' },
      { name: ' HEY BLONDIE ', quantity: null, price: 0 },
      { name: 'HALF TRAY', quantity: 1.5, price: 'n/a' },
    ]);
    expect(extractLineItems(event)).toEqual([
      { name: 'OG', quantity: 8, priceCents: 250, index: 1 },
      { name: 'HEY BLONDIE', quantity: 1, index: 6 },
      { name: 'HALF TRAY', quantity: 1.5, index: 7 },
    ]);
  });

  it('should use a non-empty items list even when none of its entries is usable', () => {
    const event = { ...withItems([{ name: '', quantity: 1 }]), menu_items: [{ name: 'OG' }] };
    expect(extractLineItems(event)).toEqual([]);
  });

  it('should ignore empty packing values and fields about other things', () => {
    const booking: TripleSeatBooking = {
      id: 1,
      custom_fields: [
        { custom_field_name: 'Allergies', value: 'nuts' },
        { custom_field_name: 'Packing notes', value: '   ' },
        { custom_field_name: 'BOXING', value: 'MAPLE BAR' },
      ],
    };
    expect(extractLineItems(fixtureEvent(), booking)).toEqual([
      { name: 'MAPLE BAR', quantity: 1, index: 0 },
    ]);
    expect(extractLineItems(fixtureEvent(), { id: 1, custom_fields: [] })).toEqual([]);
    expect(extractLineItems(fixtureEvent())).toEqual([]);
  });
});

describe(invoiceTotals.name, () => {
  it('should read the first billing invoice, amounts as numbers or strings', () => {
    const event = withItems([], undefined, {
      documents: [
        { type: 'proposal', grand_total: 1 },
        { type: 'billing_invoice', subtotal: '100.00', grand_total: '$108.80' },
        { type: 'billing_invoice', grand_total: 5 },
      ],
    });
    expect(invoiceTotals(event)).toEqual({ grandTotalCents: 10880, subtotalCents: 10000 });
  });

  it('should use total when grand_total is zero or missing', () => {
    const event = withItems([], undefined, {
      documents: [{ type: 'billing_invoice', grand_total: '0.00', total: '99.95' }],
    });
    expect(invoiceTotals(event)).toEqual({ grandTotalCents: 9995 });
  });

  it('should be undefined without a billing invoice', () => {
    expect(invoiceTotals(withItems([], undefined, { documents: null }))).toBeUndefined();
    expect(invoiceTotals(withItems([], undefined, { documents: [{ type: 'proposal' }] }))).toBe(
      undefined,
    );
  });
});

describe(buildOrderDraft.name, () => {
  it('should build the legacy fixture event 55521609 from the booking packing field', () => {
    const draft = build();
    expect(draft).toMatchObject({
      eventId: '55521609',
      establishmentId: 4,
      localId: 'Triple Seat_55521609',
      legacyLocalIds: ['Triple Seat 55521609', 'tripleseat_event_55521609'],
      callName: 'Jon Ponder',
      notes: 'Triple Seat Event #55521609',
      unmatched: [],
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

  it('should fall back to the subtotal when the invoice total is zero or there is no invoice', () => {
    const items = [{ name: 'MAPLE BARS', quantity: 4, price: '1.25' }];
    const zero = withItems(items, undefined, {
      documents: [{ type: 'billing_invoice', grand_total: 0, total: '0.00' }],
    });
    for (const event of [zero, withItems(items)]) {
      expect(build({ event })).toMatchObject({
        subtotalCents: 500,
        discountCents: 0,
        surchargeCents: 0,
        finalTotalCents: 500,
      });
    }
  });

  it('should use the invoice total when grand_total is zero but total is not', () => {
    const event = withItems([{ name: 'MAPLE BARS', quantity: 4, price: '1.25' }], undefined, {
      documents: [{ type: 'billing_invoice', grand_total: '0', total: '4.00' }],
    });
    expect(build({ event })).toMatchObject({ discountCents: 100, finalTotalCents: 400 });
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
      },
      { name: 'SUGA DADDY', quantity: 8, closest: expect.any(Object) },
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

  it('should price from TripleSeat when positive, else the Revel price, else the Revel cost', () => {
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
      [90, 180],
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
      guest_name: 'Someone Else',
    };
    expect(build({ event })).toMatchObject({
      callName: 'Jane Doe | 702-555-0100',
      notes: 'Triple Seat Event #55521609 | Phone: 702-555-0100',
    });
  });

  it('should fall through name and phone candidates, and omit call_name when there are none', () => {
    const guest = { ...fixtureEvent(), name: null, client_name: 'Acme Corp', guest_phone: '555' };
    expect(build({ event: guest })).toMatchObject({
      callName: 'Acme Corp | 555',
      notes: 'Triple Seat Event #55521609 | Phone: 555',
    });
    const phoneOnly = { ...fixtureEvent(), name: ' ', phone: '702-555-0199' };
    expect(build({ event: phoneOnly }).callName).toBe('702-555-0199');
    const nobody = build({ event: { ...fixtureEvent(), name: null } });
    expect(nobody.callName).toBeUndefined();
    expect(nobody.notes).toBe('Triple Seat Event #55521609');
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
      price: fc.option(fc.nat({ max: 100_000 }).map((c) => (c / 100).toFixed(2))),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 8 }),
        fc.option(fc.nat({ max: 1_000_000 }).map((c) => (c / 100).toFixed(2))),
        (items, grandTotal) => {
          const draft = build({ event: withItems(items, grandTotal ?? undefined) });
          const { subtotalCents, discountCents, surchargeCents, finalTotalCents } = draft;
          expect(subtotalCents - discountCents + surchargeCents).toBe(finalTotalCents);
          expect(subtotalCents).toBe(draft.lines.reduce((s, l) => s + l.lineTotalCents, 0));
          expect(Math.min(discountCents, surchargeCents)).toBe(0);
          if (grandTotal !== null && Number(grandTotal) > 0) {
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
    const invoice = {
      ...fixtureEvent(),
      documents: [{ type: 'billing_invoice', grand_total: 99 }],
    };
    expect(contentHash(build({ event: invoice }))).not.toBe(base);
    expect(contentHash(build({ location: { ...tropicana, revelEstablishmentId: 8 } }))).not.toBe(
      base,
    );
  });
});

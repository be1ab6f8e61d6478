import { type FixtureLine, invoiceDocument } from '../../sandbox/tripleseat.fixtures';
import type { Location } from '../config/locations';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { buildOrderDraft, makeUpText } from './order.mapper';
import type { CatalogProduct } from './product-matcher';

const location: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: {},
  menuItems: {},
};

const catalogue: CatalogProduct[] = [
  { id: 579, name: 'TRIPLE OG', price: '3.60' },
  { id: 590, name: 'MAPLE BAR', price: '3.20' },
  { id: 701, name: 'PATE', price: '9.00' },
  { id: 702, name: 'CREME BRULEE', price: '7.50' },
];

const event = (
  lines: FixtureLine[],
  doc: { grandTotal?: string | null; discountsTotal?: string } = {},
  grandTotal: string | null = null,
): TripleSeatEvent => ({
  id: 61900001,
  name: 'Shapes',
  grand_total: grandTotal,
  documents: [invoiceDocument({ title: 'Invoice', lines, ...doc })],
});

const build = (e: TripleSeatEvent) =>
  buildOrderDraft({
    ledgerId: '3b1f0a6e-8c2d-4e5f-9a7b-1c2d3e4f5a6b',
    event: e,
    invoicePattern: /invoice/i,
    ignoredCategories: ['Room Rental'],
    location,
    products: catalogue,
    threshold: 0.75,
    localIdTemplate: 'Triple Seat_{eventId}',
    now: new Date('2026-03-01T18:00:00Z'),
  });

/** The make-up always adds up to the difference between the invoice and the items. */
function expectBalanced(draft: ReturnType<typeof build>): void {
  const parts = draft.adjustments.reduce((sum, a) => sum + a.amountCents, 0);
  expect(parts).toBe(draft.finalTotalCents - draft.subtotalCents);
  expect(draft.subtotalCents - draft.discountCents + draft.surchargeCents).toBe(
    draft.finalTotalCents,
  );
}

describe('buildOrderDraft: credit lines', () => {
  it('should name a negative line as a credit in the make-up, never as unmatched or an item', () => {
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 10, price: '3.60' },
        { name: 'Deposit Credit', quantity: 1, price: '-20.00' },
      ]),
    );
    expect(draft.lines.map((l) => l.sourceName)).toEqual(['TRIPLE OG']);
    expect(draft.unmatched).toEqual([]);
    expect(draft.adjustments).toEqual([
      { kind: 'credit', label: 'Deposit Credit (credit)', amountCents: -2000 },
    ]);
  });

  it('should write 0.00 when the credits exceed the food, and name what is left over', () => {
    // 5 × 3.60 = 18.00 of food against a 20.00 deposit credit: TripleSeat's total is −2.00.
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 5, price: '3.60' },
        { name: 'Deposit Credit', quantity: 1, price: '-20.00' },
      ]),
    );
    expect(draft).toMatchObject({
      subtotalCents: 1800,
      discountCents: 1800,
      finalTotalCents: 0,
      grandTotalSource: 'document',
    });
    expect(draft.adjustments).toEqual([
      { kind: 'credit', label: 'Deposit Credit (credit)', amountCents: -2000 },
      {
        kind: 'other',
        label: 'Credits beyond the invoice total (owed to the guest, not on this order)',
        amountCents: 200,
      },
    ]);
    expectBalanced(draft);
  });

  it('should put a credit below the items on the order as part of its discount', () => {
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 10, price: '3.60' },
        { name: 'Deposit Credit', quantity: 1, price: '-20.00' },
      ]),
    );
    expect(draft).toMatchObject({
      subtotalCents: 3600,
      discountCents: 2000,
      surchargeCents: 0,
      finalTotalCents: 1600,
      grandTotalSource: 'document',
    });
    expect(makeUpText(draft)).toBe('Invoice 16.00 = items 36.00 - Deposit Credit (credit) 20.00');
    expect(draft.notes).toContain('Deposit Credit (credit) 20.00');
    expectBalanced(draft);
  });

  it('should read a credit sent as a negative total_price with a positive price', () => {
    const e = event([{ name: 'TRIPLE OG', quantity: 10, price: '3.60' }, { name: 'Refund' }]);
    const line = e.documents![0].line_items![1];
    line.price = '15.00';
    line.total_price = '-15.00';
    e.documents![0].financials!.grand_total = '21.00';
    const draft = build(e);
    expect(draft.unmatched).toEqual([]);
    expect(draft.adjustments).toEqual([
      { kind: 'credit', label: 'Refund (credit)', amountCents: -1500 },
    ]);
    expectBalanced(draft);
  });
});

describe('buildOrderDraft: a fully comped event', () => {
  it('should write a grand total of 0.00 as 0.00, with the whole subtotal as the discount', () => {
    const draft = build(
      event(
        [
          { name: 'TRIPLE OG', quantity: 5, price: '3.60' },
          { name: 'MAPLE BAR', quantity: 3, price: '4.00' },
        ],
        { grandTotal: '0.00', discountsTotal: '30.00' },
      ),
    );
    expect(draft).toMatchObject({
      subtotalCents: 3000,
      discountCents: 3000,
      surchargeCents: 0,
      finalTotalCents: 0,
      grandTotalSource: 'document',
    });
    expect(draft.adjustments).toEqual([
      { kind: 'other', label: 'Invoice discounts', amountCents: -3000 },
    ]);
    expectBalanced(draft);
  });

  it('should say "comped" when TripleSeat names no discount', () => {
    const draft = build(
      event([{ name: 'TRIPLE OG', quantity: 5, price: '3.60' }], { grandTotal: '0' }),
    );
    expect(draft.finalTotalCents).toBe(0);
    expect(draft.adjustments).toEqual([
      { kind: 'other', label: 'Comped (invoice total 0.00)', amountCents: -1800 },
    ]);
  });

  it('should not take a document at 0.00 for a comp while the event says money is due', () => {
    const draft = build(
      event([{ name: 'TRIPLE OG', quantity: 5, price: '3.60' }], { grandTotal: '0.00' }, '18.00'),
    );
    expect(draft).toMatchObject({
      finalTotalCents: 1800,
      discountCents: 0,
      grandTotalSource: 'event',
    });
  });

  it("should take the event's 0.00 when the chosen document has no grand total", () => {
    const draft = build(
      event([{ name: 'TRIPLE OG', quantity: 5, price: '3.60' }], { grandTotal: null }, '0.00'),
    );
    expect(draft).toMatchObject({
      finalTotalCents: 0,
      discountCents: 1800,
      grandTotalSource: 'event',
    });
  });

  it("should not read the event's 0.00 as a comp when no document gave the lines", () => {
    const draft = buildOrderDraft({
      ledgerId: '3b1f0a6e-8c2d-4e5f-9a7b-1c2d3e4f5a6b',
      event: { id: 61900002, grand_total: '0.00', documents: [] },
      booking: { id: 1, custom_fields: [{ custom_field_name: 'Packing', value: 'TRIPLE OG' }] },
      invoicePattern: /invoice/i,
      ignoredCategories: [],
      location,
      products: catalogue,
      threshold: 0.75,
      localIdTemplate: 'Triple Seat_{eventId}',
      now: new Date('2026-03-01T18:00:00Z'),
    });
    expect(draft).toMatchObject({
      finalTotalCents: 360,
      discountCents: 0,
      grandTotalSource: 'items',
    });
  });
});

describe('buildOrderDraft: line discounts', () => {
  it('should name a line discount by its line', () => {
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 8, price: '3.60', discount: '2.50' },
        { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
      ]),
    );
    expect(draft).toMatchObject({ subtotalCents: 5440, discountCents: 250, finalTotalCents: 5190 });
    expect(draft.adjustments).toEqual([
      { kind: 'line-discount', label: 'TRIPLE OG line discount', amountCents: -250 },
    ]);
    expect(makeUpText(draft)).toBe('Invoice 51.90 = items 54.40 - TRIPLE OG line discount 2.50');
    expectBalanced(draft);
  });

  it('should leave only an invoice discount beyond the named line discounts as "Invoice discounts"', () => {
    const e = event([{ name: 'TRIPLE OG', quantity: 8, price: '3.60', discount: '2.50' }], {
      discountsTotal: '7.50',
    });
    e.documents![0].financials!.grand_total = '21.30';
    const draft = build(e);
    expect(draft.adjustments).toEqual([
      { kind: 'line-discount', label: 'TRIPLE OG line discount', amountCents: -250 },
      { kind: 'other', label: 'Invoice discounts', amountCents: -500 },
    ]);
    expectBalanced(draft);
  });

  it('should give an unmatched line its amount after its own discount', () => {
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 1, price: '3.60' },
        { name: 'Dozen Maple Glazed', quantity: 2, price: '15.00', discount: '3.00' },
      ]),
    );
    expect(draft.unmatched).toEqual([
      expect.objectContaining({ name: 'Dozen Maple Glazed', quantity: 2, amount: '27.00' }),
    ]);
    expect(draft.adjustments).toEqual([
      { kind: 'unmatched', label: 'Dozen Maple Glazed (no Revel product)', amountCents: 2700 },
    ]);
    expectBalanced(draft);
  });
});

describe('buildOrderDraft: zero-quantity lines', () => {
  it('should not order a line of quantity 0, nor list it as unmatched', () => {
    const draft = build(
      event([
        { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
        { name: 'MAPLE BAR', quantity: '0', price: '3.20' },
        { name: 'Something Else', quantity: 0, price: '9.99' },
      ]),
    );
    expect(draft.lines.map((l) => l.sourceName)).toEqual(['TRIPLE OG']);
    expect(draft.unmatched).toEqual([]);
    expect(draft.adjustments).toEqual([]);
    expect(draft.finalTotalCents).toBe(2880);
  });
});

describe('buildOrderDraft: accented names', () => {
  it('should order Pâté and Crème Brûlée as exact matches of PATE and CREME BRULEE', () => {
    const draft = build(
      event([
        { name: 'Pâté', quantity: 2, price: '9.00' },
        { name: 'Crème  Brûlée', quantity: 4, price: '7.50' },
      ]),
    );
    expect(draft.lines.map((l) => [l.sourceName, l.productName, l.match, l.score])).toEqual([
      ['Pâté', 'PATE', 'exact', 1],
      ['Crème Brûlée', 'CREME BRULEE', 'exact', 1],
    ]);
    expect(draft.finalTotalCents).toBe(4800);
  });
});

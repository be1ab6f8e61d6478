import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Location } from '../src/config/locations';
import { buildOrderDraft } from '../src/orders/order.mapper';
import { fixtureProducts } from './revel.sandbox';
import { invoiceDocument, type SandboxEvent } from './tripleseat.fixtures';

/**
 * The invoice shapes of test/fixtures/tripleseat (credit line, line discount, zero quantity,
 * accented names, an "Invoice" without lines beside the BEO, a comped event): the sandbox's
 * builder makes the same shapes, and the mapper reads the recorded ones to the cent.
 */
const recorded = (name: string): SandboxEvent =>
  (
    JSON.parse(
      readFileSync(join(__dirname, '..', 'test', 'fixtures', 'tripleseat', name), 'utf8'),
    ) as { event: SandboxEvent }
  ).event;

const AMOUNTS = ['quantity', 'price', 'total_price', 'discount', 'grand_total'] as const;

const location: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: {},
  menuItems: { '5001': 579 },
};

const draftOf = (event: SandboxEvent) =>
  buildOrderDraft({
    ledgerId: '3b1f0a6e-8c2d-4e5f-9a7b-1c2d3e4f5a6b',
    event,
    invoicePattern: /invoice/i,
    ignoredCategories: ['Room Rental'],
    location,
    products: fixtureProducts(),
    threshold: 0.75,
    localIdTemplate: 'Triple Seat_{eventId}',
    now: new Date('2025-12-28T20:00:00Z'),
  });

describe('recorded invoice shapes', () => {
  const shapes = recorded('event-invoice-shapes.json');
  const beo = shapes.documents?.[0];

  it('should be built by the sandbox with the same fields and amounts', () => {
    const built = invoiceDocument({
      title: 'Banquet Event Order',
      lines: [
        { name: 'TRIPLE OG', quantity: 8, price: '3.60', discount: '2.50', menuItemId: 5001 },
        { name: 'Pâté', quantity: 2, price: '9.00' },
        { name: 'Crème Brûlée', quantity: 4, price: '7.50' },
        { name: 'HEY BLONDIE', quantity: '0', price: '2.75' },
        { name: 'Deposit Credit', quantity: 1, price: '-20.00' },
      ],
    });
    const amounts = (lines: typeof built.line_items) =>
      (lines ?? []).map((line) => AMOUNTS.map((key) => line[key]));
    expect(amounts(built.line_items)).toEqual(amounts(beo?.line_items));
    expect(Object.keys(built.line_items?.[4] ?? {}).sort()).toEqual(
      Object.keys(beo?.line_items?.[4] ?? {}).sort(),
    );
    // amount_due is what is left to pay, which the builder leaves at 0.00.
    expect({ ...built.financials, amount_due: undefined }).toEqual({
      ...beo?.financials,
      amount_due: undefined,
    });
  });

  it('should become an order of the BEO food to the cent, with the credit and the line discount named', () => {
    const draft = draftOf(shapes);
    expect(draft.source).toMatchObject({ documentId: '296480', rule: 'line-items' });
    expect(draft.lines.map((l) => [l.sourceName, l.productName, l.match])).toEqual([
      ['TRIPLE OG', 'TRIPLE OG', 'menu-item'],
      ['Pâté', 'PATE', 'exact'],
      ['Crème Brûlée', 'CREME BRULEE', 'exact'],
    ]);
    expect(draft.unmatched).toEqual([]);
    // 8 × 3.60 + 2 × 9.00 + 4 × 7.50 = 76.80; − 2.50 line discount − 20.00 credit = 54.30.
    expect(draft).toMatchObject({
      subtotalCents: 7680,
      discountCents: 2250,
      surchargeCents: 0,
      finalTotalCents: 5430,
    });
    expect(draft.adjustments).toEqual([
      { kind: 'credit', label: 'Deposit Credit (credit)', amountCents: -2000 },
      { kind: 'line-discount', label: 'TRIPLE OG line discount', amountCents: -250 },
    ]);
  });

  it('should write the recorded comped event at 0.00 with its items as the discount', () => {
    const draft = draftOf(recorded('event-comped.json'));
    expect(draft).toMatchObject({
      subtotalCents: 5440,
      discountCents: 5440,
      finalTotalCents: 0,
      grandTotalSource: 'document',
    });
    expect(draft.adjustments).toEqual([
      { kind: 'other', label: 'Invoice discounts', amountCents: -5440 },
    ]);
  });
});

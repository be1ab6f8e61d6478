import { invoiceDocument } from '../../sandbox/tripleseat.fixtures';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { billingLines, chooseDocument, invoiceLines, signedCents } from './invoice';

const food = [{ name: 'TRIPLE OG', quantity: '8', price: '3.60' }];
const event = (documents: TripleSeatEvent['documents']): TripleSeatEvent => ({ id: 1, documents });
const idOf = (e: TripleSeatEvent, pattern = /invoice/i) => chooseDocument(e, pattern)?.document.id;

describe(chooseDocument.name, () => {
  it('should take the highest-id document whose title matches the pattern, any case', () => {
    const e = event([
      invoiceDocument({ id: 3, title: 'Proposal', lines: food }),
      invoiceDocument({ id: 1, title: 'INVOICE', lines: food }),
      invoiceDocument({ id: 2, title: 'Final invoice', lines: food }),
    ]);
    expect(idOf(e)).toBe(2);
    expect(chooseDocument(e, /invoice/i)?.rule).toBe('title');
  });

  it('should ignore deleted documents, even a matching one with a higher id', () => {
    const e = event([
      invoiceDocument({ id: 5, title: 'Invoice', lines: food, deletedAt: '12/01/2025 10:00 AM' }),
      invoiceDocument({ id: 4, title: 'Invoice', lines: food }),
    ]);
    expect(idOf(e)).toBe(4);
  });

  it('should fall back to the highest-id document with line items when no title matches', () => {
    const e = event([
      invoiceDocument({ id: 7, title: 'Contract', lines: food }),
      invoiceDocument({ id: 8, title: 'BEO', lines: [] }),
      invoiceDocument({ id: '10', title: 'Proposal', lines: food } as never),
    ]);
    expect(String(idOf(e))).toBe('10');
    expect(chooseDocument(e, /invoice/i)?.rule).toBe('line-items');
  });

  it('should compare numeric ids as numbers, not text', () => {
    const e = event([
      invoiceDocument({ id: 9, title: 'Invoice', lines: food }),
      invoiceDocument({ id: 10, title: 'Invoice', lines: food }),
    ]);
    expect(idOf(e)).toBe(10);
  });

  it('should pass over a matching document without line items (fetched without show_financial)', () => {
    const slim = invoiceDocument({ id: 12, title: 'Invoice', lines: food });
    delete slim.line_items;
    expect(idOf(event([slim]))).toBeUndefined();
    expect(idOf(event([slim, invoiceDocument({ id: 3, title: 'Proposal', lines: food })]))).toBe(3);
  });

  it('should honour a configured pattern and be undefined without documents', () => {
    const e = event([
      invoiceDocument({ id: 1, title: 'Invoice', lines: food }),
      invoiceDocument({ id: 2, title: 'Banquet Event Order', lines: food }),
    ]);
    expect(idOf(e, /^banquet/i)).toBe(2);
    expect(idOf(event(undefined))).toBeUndefined();
    expect(idOf(event(null))).toBeUndefined();
  });

  it('should not be fooled by a global regex carrying lastIndex between calls', () => {
    const pattern = /invoice/gi;
    const e = event([invoiceDocument({ id: 1, title: 'Invoice', lines: food })]);
    expect(idOf(e, pattern)).toBe(1);
    expect(idOf(e, pattern)).toBe(1);
  });
});

describe(invoiceLines.name, () => {
  const pattern = /invoice/i;
  const ignoredCategories = ['Room Rental', 'Fees'];

  it('should split food from venue lines and parse strings', () => {
    const e = event([
      invoiceDocument({
        id: 1,
        lines: [
          { name: 'TRIPLE OG', quantity: '8', price: '3.60', menuItemId: 5001 },
          { name: 'Room', quantity: '1', price: '150.00', category: 'ROOM RENTAL' },
        ],
      }),
    ]);
    const found = invoiceLines(e, { pattern, ignoredCategories });
    expect(found.food).toEqual([
      {
        index: 0,
        name: 'TRIPLE OG',
        quantity: 8,
        priceCents: 360,
        totalCents: 2880,
        menuItemId: '5001',
        category: 'Food',
      },
    ]);
    expect(found.venue.map((l) => [l.name, l.totalCents])).toEqual([['Room', 15000]]);
  });

  it('should fall back to the booking packing field only when no document has lines', () => {
    const booking = {
      id: 52511006,
      custom_fields: [
        { custom_field_name: 'Dietary notes', value: 'none' },
        { custom_field_name: 'Boxing/Packing Slip', value: ' TRIPLE OG ' },
      ],
    };
    const none = invoiceLines(event([]), { pattern, ignoredCategories, booking });
    expect(none.source).toEqual({
      kind: 'booking-field',
      bookingId: '52511006',
      field: 'Boxing/Packing Slip',
    });
    expect(none.food).toEqual([{ index: 0, name: 'TRIPLE OG', quantity: 1 }]);
    const withDoc = invoiceLines(event([invoiceDocument({ id: 1, lines: food })]), {
      pattern,
      ignoredCategories,
      booking,
    });
    expect(withDoc.source.kind).toBe('document');
    expect(invoiceLines(event([]), { pattern, ignoredCategories }).source).toEqual({
      kind: 'none',
    });
  });

  it('should name a line without display_name by its description, then by its id', () => {
    const doc = invoiceDocument({ id: 1, lines: [{ name: 'x' }, { name: 'y' }] });
    const [first, second] = doc.line_items ?? [];
    first.display_name = '  ';
    first.description = 'Glazed  dozen';
    second.display_name = null;
    second.description = null;
    second.id = 42;
    const names = invoiceLines(event([doc]), { pattern, ignoredCategories }).food.map(
      (l) => l.name,
    );
    expect(names).toEqual(['Glazed dozen', '(unnamed line 42)']);
  });
});

describe(billingLines.name, () => {
  it('should keep description, value and a signed amount, and drop zero rows', () => {
    const doc = invoiceDocument({
      lines: food,
      billing: [
        { description: 'Service Charge', value: '20.0%', amount: '37.60' },
        { description: 'Gratuity', value: '0%', amount: '0.00' },
      ],
    });
    doc.billing_totals?.push({ description: 'Credit', value: null, total_price: '-5.25' });
    expect(billingLines(doc)).toEqual([
      { description: 'Service Charge', value: '20.0%', amountCents: 3760 },
      { description: 'Credit', amountCents: -525 },
    ]);
  });

  it('should read signed amounts from numbers and strings', () => {
    expect(signedCents('-1.005')).toBe(-101);
    expect(signedCents(-2.5)).toBe(-250);
    expect(signedCents('$3.10')).toBe(310);
    expect(signedCents('abc')).toBeUndefined();
  });
});

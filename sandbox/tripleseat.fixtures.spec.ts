import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fixtureBooking,
  fixtureEvent,
  invoiceDocument,
  type SandboxEvent,
  withoutFinancials,
} from './tripleseat.fixtures';

/**
 * The builders feed every sandbox test, the demo and the benchmarks; the recorded contract
 * fixtures (test/fixtures/tripleseat, from the public sources of upstream-facts §0) are the truth.
 * These tests keep the two from drifting apart.
 */
const recorded = (name: string): { event: SandboxEvent } =>
  JSON.parse(
    readFileSync(join(__dirname, '..', 'test', 'fixtures', 'tripleseat', name), 'utf8'),
  ) as { event: SandboxEvent };

const keys = (value: unknown): string[] =>
  typeof value === 'object' && value !== null ? Object.keys(value).sort() : [];

describe('tripleseat fixtures', () => {
  const real = recorded('event-invoice.json').event;
  const realDoc = real.documents?.[1];
  const built = invoiceDocument({
    lines: [{ name: 'TRIPLE OG', quantity: 1, price: '3.60' }],
    billing: [{ description: 'Service Charge', value: '20.0%', amount: '0.72' }],
  });

  it('should build documents, line items and billing totals with the recorded field sets', () => {
    expect(keys(built)).toEqual(keys(realDoc));
    expect(keys(built.line_items?.[0])).toEqual(keys(realDoc?.line_items?.[0]));
    expect(keys(built.billing_totals?.[0])).toEqual(keys(realDoc?.billing_totals?.[0]));
    expect(keys(built.financials)).toEqual(keys(realDoc?.financials));
    expect(keys(built.line_items?.[0]?.category)).toEqual(keys(realDoc?.line_items?.[0]?.category));
  });

  it('should send money and quantities as strings, and no type, items or menu_items', () => {
    const line = built.line_items?.[0];
    expect(typeof line?.quantity).toBe('string');
    expect(typeof line?.price).toBe('string');
    expect(typeof built.financials?.grand_total).toBe('string');
    expect(built).not.toHaveProperty('type');
    const event = fixtureEvent();
    expect(event).not.toHaveProperty('items');
    expect(event).not.toHaveProperty('menu_items');
    expect(typeof event.grand_total).toBe('string');
  });

  it('should compute the grand total from lines and billing totals exactly', () => {
    const doc = invoiceDocument({
      lines: [
        { name: 'A', quantity: '3', price: '0.10' },
        { name: 'B', quantity: 1.5, price: 1.99 },
      ],
      billing: [{ description: 'Tax', value: '8.375%', amount: '0.27' }],
    });
    expect(doc.financials?.grand_total).toBe('3.56');
  });

  it('should strip exactly the financial parts, as TripleSeat does without show_financial=true', () => {
    const slim = withoutFinancials(real);
    for (const doc of slim.documents ?? []) {
      expect(keys(doc)).toEqual(['deleted_at', 'id', 'template_document_id', 'title', 'views']);
    }
    expect(slim.grand_total).toBe(real.grand_total);
    expect(real.documents?.[1]).toHaveProperty('line_items');
  });

  it('should give the default event a deleted proposal and an invoice', () => {
    const event = fixtureEvent();
    expect(event.documents?.map((d) => [d.title, d.deleted_at !== null])).toEqual([
      ['Proposal', true],
      ['Invoice', false],
    ]);
    expect(
      fixtureBooking().custom_fields?.[1] ?? fixtureBooking().custom_fields?.[0],
    ).toMatchObject({ custom_field_name: 'Boxing/Packing Slip' });
  });
});

import { invoiceDocument } from '../../sandbox/tripleseat.fixtures';
import { chooseDocument, invoiceLines, isCredit, netCents, parseQuantity } from './invoice';

const linesOf = (lines: Parameters<typeof invoiceDocument>[0]['lines']) =>
  invoiceLines(
    { id: 1, documents: [invoiceDocument({ id: 1, lines })] },
    { pattern: /invoice/i, ignoredCategories: [] },
  ).food;

describe('invoice line amounts', () => {
  it('should keep a negative line as a signed credit', () => {
    const [credit] = linesOf([{ name: 'Deposit Credit', quantity: 1, price: '-20.00' }]);
    expect(credit).toMatchObject({ name: 'Deposit Credit', quantity: 1, totalCents: -2000 });
    expect(credit).not.toHaveProperty('priceCents');
    expect(isCredit(credit)).toBe(true);
    expect(netCents(credit)).toBe(-2000);
  });

  it('should read a line discount and take it off what the line adds', () => {
    const [line] = linesOf([{ name: 'TRIPLE OG', quantity: 8, price: '3.60', discount: '2.50' }]);
    expect(line).toMatchObject({ priceCents: 360, totalCents: 2880, discountCents: 250 });
    expect(isCredit(line)).toBe(false);
    expect(netCents(line)).toBe(2630);
  });

  it('should keep a quantity of 0, and refuse a negative or unreadable one', () => {
    expect(parseQuantity('0')).toBe(0);
    expect(parseQuantity(0)).toBe(0);
    expect(parseQuantity('-0')).toBe(0);
    expect(parseQuantity('-1')).toBeUndefined();
    expect(parseQuantity('two')).toBeUndefined();
    expect(parseQuantity(undefined)).toBe(1);
    expect(parseQuantity('1.5')).toBe(1.5);
  });

  it('should count a title-matching document only when it has lines', () => {
    const beo = invoiceDocument({ id: 1, title: 'BEO', lines: [{ name: 'TRIPLE OG' }] });
    const invoice = invoiceDocument({ id: 2, title: 'Invoice', lines: [], grandTotal: '0.00' });
    expect(chooseDocument({ id: 1, documents: [beo, invoice] }, /invoice/i)).toEqual({
      document: beo,
      rule: 'line-items',
    });
  });
});

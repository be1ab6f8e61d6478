import fc from 'fast-check';
import { centsToDecimalString, multiplyCents, toCents } from './money';

describe(toCents.name, () => {
  it.each([
    [12, 1200],
    [12.5, 1250],
    ['12.50', 1250],
    ['$1,234.56', 123456],
    [' 7 ', 700],
    ['$ 7.1', 710],
    ['.5', 50],
    ['108.80', 10880],
    [108.8, 10880],
    [0, 0],
    ['0.00', 0],
    ['1234567.89', 123456789],
  ])('should convert %p to %p cents', (value, cents) => {
    expect(toCents(value)).toBe(cents);
  });

  it('should convert the float sum 0.1 + 0.2 to exactly 30 cents', () => {
    expect(toCents(0.1 + 0.2)).toBe(30);
  });

  it('should round half-up at the cent on the decimal value, not the binary float', () => {
    // 1.005 is 1.00499999999999989... as a double: Math.round(1.005 * 100) gives 100.
    expect(Math.round(1.005 * 100)).toBe(100);
    expect(toCents(1.005)).toBe(101);
    expect(toCents('2.675')).toBe(268);
    expect(toCents('0.004')).toBe(0);
    expect(toCents('0.125')).toBe(13);
  });

  it.each([
    [null],
    [undefined],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [-1],
    ['-1.00'],
    ['$-5'],
    ['(5.00)'],
    [''],
    ['  '],
    ['abc'],
    ['12abc'],
    ['1e3'],
    ['1,23.45'],
    ['1.2.3'],
    ['$'],
    ['.'],
  ])('should reject %p', (value) => {
    expect(toCents(value)).toBeUndefined();
  });

  it('should never return negative zero', () => {
    expect(Object.is(toCents(-0), 0)).toBe(true);
  });
});

describe(centsToDecimalString.name, () => {
  it.each([
    [10880, '108.80'],
    [0, '0.00'],
    [5, '0.05'],
    [123456789, '1234567.89'],
    [-250, '-2.50'],
  ])('should format %p cents as %p', (cents, text) => {
    expect(centsToDecimalString(cents)).toBe(text);
  });

  it('should refuse a fractional number of cents', () => {
    expect(() => centsToDecimalString(1.5)).toThrow(RangeError);
  });

  it('should round-trip with toCents for every non-negative amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (cents) => {
        expect(toCents(centsToDecimalString(cents))).toBe(cents);
      }),
    );
  });

  it('should round-trip decimal strings with two places', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 99 }), (units, fraction) => {
        const text = `${units}.${String(fraction).padStart(2, '0')}`;
        expect(centsToDecimalString(toCents(text)!)).toBe(text);
      }),
    );
  });
});

describe(multiplyCents.name, () => {
  it.each([
    [250, 8, 2000],
    [200, 1.5, 300],
    [199, 1.5, 299], // 298.5 → 299
    [333, 0.5, 167], // 166.5 → 167
    [10, 0.1, 1],
    [1, 0.3, 0], // 0.3 → 0
    [0, 12, 0],
    [125, 0, 0],
  ])('should multiply %p cents by %p to %p cents', (unit, quantity, total) => {
    expect(multiplyCents(unit, quantity)).toBe(total);
  });

  it('should not drift like a float product (0.07 × 3 ≈ 0.21000000000000002)', () => {
    expect(multiplyCents(7, 3)).toBe(21);
    expect(multiplyCents(1, 0.7 * 3)).toBe(2);
  });

  it('should refuse negative or non-finite quantities and fractional cents', () => {
    expect(() => multiplyCents(100, -1)).toThrow(RangeError);
    expect(() => multiplyCents(100, Number.NaN)).toThrow(RangeError);
    expect(() => multiplyCents(10.5, 2)).toThrow(RangeError);
  });

  it('should equal unit × quantity exactly for whole quantities', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.nat({ max: 10_000 }), (unit, quantity) => {
        expect(multiplyCents(unit, quantity)).toBe(unit * quantity);
      }),
    );
  });
});

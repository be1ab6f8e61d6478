import Big from 'big.js';
import type { Numeric } from '../tripleseat/tripleseat.types';

/**
 * Exact money. Amounts are integer cents everywhere in the service; conversions go through big.js
 * decimals so that `0.1 + 0.2` or `1.005` never pick up a binary-float error on the way.
 */

/** Plain decimal, or thousands grouped by commas (`1,234.56`); no sign, no exponent. */
const PLAIN_DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const GROUPED_DECIMAL = /^\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

function toBig(value: Numeric): Big | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    // String(value) is the shortest round-tripping form (0.30000000000000004, 1.005), which is
    // exactly the decimal the sender meant to put on the wire.
    return new Big(String(value));
  }
  let text = value.trim();
  if (text.startsWith('$')) text = text.slice(1).trim();
  if (PLAIN_DECIMAL.test(text)) return new Big(text);
  if (GROUPED_DECIMAL.test(text)) return new Big(text.replace(/,/g, ''));
  return undefined;
}

/**
 * Converts a TripleSeat / Revel money value to integer cents, rounding half-up at the cent.
 * Accepts numbers and strings such as `12`, `12.5`, `"12.50"`, `"$1,234.56"`, `" 7 "`.
 * Returns undefined for absent, negative, non-finite or non-numeric values.
 */
export function toCents(value: Numeric | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const amount = toBig(value);
  if (!amount) return undefined;
  const cents = amount.times(100).round(0, Big.roundHalfUp).toNumber();
  if (!Number.isSafeInteger(cents)) return undefined;
  return cents + 0; // normalises -0
}

function assertCents(cents: number, what: string): void {
  if (!Number.isSafeInteger(cents)) {
    throw new RangeError(`${what} must be an integer number of cents, got ${cents}`);
  }
}

/** `10880` → `"108.80"`; negative amounts keep their sign (`-250` → `"-2.50"`). */
export function centsToDecimalString(cents: number): string {
  assertCents(cents, 'cents');
  return new Big(cents).div(100).toFixed(2);
}

/**
 * Line total of `quantity` units at `unitCents`, rounded half-up to the cent. The quantity may be
 * fractional (1.5 trays) but must be finite and not negative.
 */
export function multiplyCents(unitCents: number, quantity: number): number {
  assertCents(unitCents, 'unitCents');
  if (!Number.isFinite(quantity) || quantity < 0) {
    throw new RangeError(`quantity must be a finite, non-negative number, got ${quantity}`);
  }
  const total = new Big(unitCents).times(new Big(String(quantity))).round(0, Big.roundHalfUp);
  const cents = total.toNumber();
  assertCents(cents, 'line total');
  return cents + 0;
}

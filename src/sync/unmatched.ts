import type { MappingSource } from '../mappings/mappings.repository';
import type { OrderDraft } from '../orders/order-draft';
import { normalizeName } from '../orders/product-matcher';

/** A food line of the invoice that matches no Revel product, as the ledger row keeps it. */
export interface UnmatchedLine {
  name: string;
  quantity: number;
  /** What the line adds to the invoice (decimal string), when TripleSeat says. */
  amount?: string;
  /** TripleSeat's `menu_item_id`, when the line has one. */
  menuItemId?: string;
}

/** The draft's unmatched lines in the row's shape (empty when every food line matches). */
export function unmatchedLinesOf(draft: OrderDraft): UnmatchedLine[] {
  return draft.unmatched.map((u) => ({
    name: u.name,
    quantity: u.quantity,
    ...(u.amount !== undefined ? { amount: u.amount } : {}),
    ...(u.menuItemId !== undefined ? { menuItemId: u.menuItemId } : {}),
  }));
}

/** Reads the row's `unmatched` column; anything unreadable is no lines. */
export function parseUnmatched(text: string | null | undefined): UnmatchedLine[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (v): v is UnmatchedLine =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as UnmatchedLine).name === 'string' &&
        typeof (v as UnmatchedLine).quantity === 'number',
    );
  } catch {
    return [];
  }
}

/**
 * The identity of a set of unmatched lines (names, quantities and amounts, in any order): the
 * same set is e-mailed about once however often the event is looked at.
 */
export function unmatchedKey(lines: readonly UnmatchedLine[]): string {
  return JSON.stringify(
    lines.map((l) => [normalizeName(l.name), l.quantity, l.amount ?? null]).sort(),
  );
}

/**
 * Whether `lines` hold a line that the set last e-mailed about (`notifiedKey`) did not: a set
 * that only shrank (a line was mapped) is not told again.
 */
export function isNewUnmatchedSet(
  lines: readonly UnmatchedLine[],
  notifiedKey: string | null,
): boolean {
  if (lines.length === 0) return false;
  let told: unknown = [];
  try {
    told = notifiedKey ? JSON.parse(notifiedKey) : [];
  } catch {
    told = [];
  }
  const known = new Set(Array.isArray(told) ? told.map((t) => JSON.stringify(t)) : []);
  const current = JSON.parse(unmatchedKey(lines)) as unknown[];
  return current.some((line) => !known.has(JSON.stringify(line)));
}

/** The (normalised) names of the lines in the set last e-mailed about. */
export function toldNames(notifiedKey: string | null): Set<string> {
  try {
    const told: unknown = notifiedKey ? JSON.parse(notifiedKey) : [];
    return new Set(
      Array.isArray(told) ? told.filter(Array.isArray).map((t) => String((t as unknown[])[0])) : [],
    );
  } catch {
    return new Set();
  }
}

/** Whether a mapping of `source` makes `line` match (its menu_item_id or its name). */
export function mappingResolves(source: MappingSource, line: UnmatchedLine): boolean {
  return source.kind === 'menuItem'
    ? line.menuItemId !== undefined && line.menuItemId === source.menuItemId
    : normalizeName(source.displayName) === normalizeName(line.name);
}

/** "2 × Dozen Maple Glazed (30.00)". */
export function describeLine(line: UnmatchedLine): string {
  return `${line.quantity} × ${line.name}${line.amount !== undefined ? ` (${line.amount})` : ''}`;
}

/** What the order's notes say about the lines written without: the kitchen adds them by hand. */
export function leftOutNote(lines: readonly UnmatchedLine[]): string {
  return `NOT ON THIS ORDER, add by hand: ${lines.map(describeLine).join('; ')}`;
}

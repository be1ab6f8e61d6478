import type { AdjustmentKind, LineSource, UnmatchedItem } from '../orders/order-draft';
import type { MatchKind } from '../orders/product-matcher';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { toCents } from '../orders/money';
import { ReasonCode } from './reason-codes';

/**
 * Drift: what changed in a TripleSeat event after its Revel order was written. Pure functions,
 * so the wording operators read in the ledger, the API and the e-mail is tested in one place.
 */

export interface OrderSummaryLine {
  /** The Revel product name. */
  name: string;
  /** The item name as TripleSeat has it. */
  sourceName: string;
  productId: number;
  quantity: number;
  unitPrice: string;
  lineTotal: string;
  match: MatchKind;
}

/** One part of the surcharge or discount, as the ledger keeps it (signed decimal string). */
export interface OrderSummaryAdjustment {
  kind: AdjustmentKind;
  label: string;
  amount: string;
}

/** An order as the ledger keeps it (money as decimal strings). */
export interface OrderSummary {
  establishmentId: number;
  localId: string;
  lines: OrderSummaryLine[];
  unmatched: UnmatchedItem[];
  subtotal: string;
  discount: string;
  surcharge: string;
  finalTotal: string;
  /** Which document the lines came from (absent in rows written before the invoice rules). */
  source?: LineSource;
  /** Where the final total came from: the document's grand total, the event's, or the items. */
  grandTotalSource?: 'document' | 'event' | 'items';
  /** Venue lines left off the order. */
  ignored?: { name: string; category: string; quantity?: number; amount: string }[];
  /** What the surcharge or discount is made of; sums to finalTotal − subtotal. */
  adjustments?: OrderSummaryAdjustment[];
  /** The event's guest count when the order was computed; absent in rows written before drift detection. */
  guestCount?: number | null;
  /** The event's status (upper case) when the order was computed; absent in older rows. */
  status?: string | null;
}

/** One side of a comparison: the event as the order was written, or as TripleSeat has it now. */
export interface DriftSnapshot {
  status?: string | null;
  guestCount?: number | null;
  /** YYYY-MM-DD. */
  eventDate?: string | null;
  /** The order, when one can be built; null when the event is no longer eligible. */
  order: OrderSummary | null;
  /** Why no order can be built any more (a reason code and its detail). */
  ineligible?: { reason: string; detail?: string };
}

/** What the ledger keeps in `drift` and the API shows. */
export interface DriftRecord {
  detectedAt: string;
  /** Readable, e.g. "TRIPLE OG: quantity 8 → 10", "final total 45.00 → 52.00". */
  changes: string[];
  /** The order the event would give now; null when it is deleted or no longer eligible. */
  current: OrderSummary | null;
}

export function guestCountOf(event: TripleSeatEvent): number | null {
  const raw = event.guest_count;
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string' && raw.trim() === '') return null;
  const value = typeof raw === 'number' ? raw : Number(raw.trim());
  return Number.isFinite(value) && value >= 0 ? value : null;
}

export function statusOf(event: TripleSeatEvent): string | null {
  const status = (event.status ?? '').trim().toUpperCase();
  return status === '' ? null : status;
}

const shown = (value: string | number | null | undefined): string =>
  value === null || value === undefined || value === '' ? '(none)' : String(value);

const sameMoney = (a: string, b: string): boolean => {
  const left = toCents(a);
  const right = toCents(b);
  return left !== undefined && right !== undefined ? left === right : a === b;
};

function groupByProduct(lines: readonly OrderSummaryLine[]): Map<number, OrderSummaryLine[]> {
  const groups = new Map<number, OrderSummaryLine[]>();
  for (const line of lines) {
    const group = groups.get(line.productId);
    if (group) group.push(line);
    else groups.set(line.productId, [line]);
  }
  return groups;
}

/** Lines compared by Revel product (the k-th line of a product before with the k-th after). */
function describeItems(before: OrderSummary, after: OrderSummary): string[] {
  const changes: string[] = [];
  const was = groupByProduct(before.lines);
  const now = groupByProduct(after.lines);
  const products = [...new Set([...was.keys(), ...now.keys()])];
  for (const productId of products) {
    const old = was.get(productId) ?? [];
    const current = now.get(productId) ?? [];
    for (let k = 0; k < Math.max(old.length, current.length); k += 1) {
      const a = old[k];
      const b = current[k];
      if (a && b) {
        if (a.quantity !== b.quantity)
          changes.push(`${b.name}: quantity ${a.quantity} → ${b.quantity}`);
        if (!sameMoney(a.unitPrice, b.unitPrice))
          changes.push(`${b.name}: unit price ${a.unitPrice} → ${b.unitPrice}`);
      } else if (a) {
        changes.push(`${a.name}: removed (was ${a.quantity} × ${a.unitPrice})`);
      } else if (b) {
        changes.push(`${b.name}: added (${b.quantity} × ${b.unitPrice})`);
      }
    }
  }
  return changes;
}

function unmatchedText(items: readonly UnmatchedItem[]): string {
  return items
    .map((u) => `${u.quantity} × ${u.name}`)
    .sort()
    .join(', ');
}

function describeTotals(before: OrderSummary, after: OrderSummary): string[] {
  const fields: [
    string,
    keyof OrderSummary & ('subtotal' | 'discount' | 'surcharge' | 'finalTotal'),
  ][] = [
    ['subtotal', 'subtotal'],
    ['discount', 'discount'],
    ['surcharge', 'surcharge'],
    ['final total', 'finalTotal'],
  ];
  return fields
    .filter(([, key]) => !sameMoney(before[key], after[key]))
    .map(([label, key]) => `${label} ${before[key]} → ${after[key]}`);
}

/**
 * The readable differences between the event as its order was written (`before`) and as it is now
 * (`after`; null when it was deleted in TripleSeat). Empty when nothing worth reporting changed.
 * A field the older side does not know (rows written before drift detection) is not compared.
 */
export function describeDrift(before: DriftSnapshot, after: DriftSnapshot | null): string[] {
  if (after === null) return ['event deleted in TripleSeat'];
  const changes: string[] = [];

  if (after.ineligible?.reason === ReasonCode.STATUS_NOT_ELIGIBLE) {
    const why = after.status === 'LOST' ? 'cancelled' : 'no longer eligible';
    changes.push(`status ${shown(before.status)} → ${shown(after.status)} (${why})`);
  } else if (before.status !== undefined && (before.status ?? null) !== (after.status ?? null)) {
    changes.push(`status ${shown(before.status)} → ${shown(after.status)}`);
  }
  if (after.ineligible && after.ineligible.reason !== ReasonCode.STATUS_NOT_ELIGIBLE) {
    const { reason, detail } = after.ineligible;
    changes.push(`no longer eligible: ${reason}${detail ? ` (${detail})` : ''}`);
  }
  if (
    before.eventDate !== undefined &&
    after.eventDate !== undefined &&
    (before.eventDate ?? null) !== (after.eventDate ?? null)
  ) {
    changes.push(`event date ${shown(before.eventDate)} → ${shown(after.eventDate)}`);
  }
  if (
    before.guestCount !== undefined &&
    after.guestCount !== undefined &&
    (before.guestCount ?? null) !== (after.guestCount ?? null)
  ) {
    changes.push(`guest count ${shown(before.guestCount)} → ${shown(after.guestCount)}`);
  }

  const old = before.order;
  const current = after.order;
  if (old && current) {
    if (old.establishmentId !== current.establishmentId) {
      changes.push(`Revel establishment ${old.establishmentId} → ${current.establishmentId}`);
    }
    changes.push(...describeItems(old, current));
    const wasUnmatched = unmatchedText(old.unmatched);
    const nowUnmatched = unmatchedText(current.unmatched);
    if (wasUnmatched !== nowUnmatched) {
      changes.push(`unmatched items ${shown(wasUnmatched)} → ${shown(nowUnmatched)}`);
    }
    changes.push(...describeTotals(old, current));
  }
  return changes;
}

/** Whether two lists of changes say the same thing (order aside): no second e-mail then. */
export function sameChanges(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((change, i) => change === right[i]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSummary(value: unknown): value is OrderSummary {
  return (
    isRecord(value) &&
    typeof value.establishmentId === 'number' &&
    Array.isArray(value.lines) &&
    Array.isArray(value.unmatched) &&
    typeof value.subtotal === 'string' &&
    typeof value.finalTotal === 'string'
  );
}

function parse(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function parseOrderSummary(text: string | null): OrderSummary | null {
  const value = parse(text);
  return isSummary(value) ? value : null;
}

export function parseDriftRecord(text: string | null): DriftRecord | null {
  const value = parse(text);
  if (!isRecord(value) || !Array.isArray(value.changes)) return null;
  const changes = value.changes.filter((c): c is string => typeof c === 'string');
  return {
    detectedAt: typeof value.detectedAt === 'string' ? value.detectedAt : '',
    changes,
    current: isSummary(value.current) ? value.current : null,
  };
}

import type {
  Numeric,
  TripleSeatBooking,
  TripleSeatDocument,
  TripleSeatEvent,
  TripleSeatLineItem,
} from '../tripleseat/tripleseat.types';
import { multiplyCents, toCents } from './money';

/**
 * Where an event's food comes from (docs/architecture.md, 'Which document'). TripleSeat puts line
 * items only in `documents[]`, and only when the event is fetched with `show_financial=true`;
 * documents have a `title` (no `type`), and a deleted one keeps its place with `deleted_at` set.
 */

export type LineSource =
  /** A document's line items; `rule` says whether its title matched or it was the fallback. */
  | { kind: 'document'; documentId: string; title: string; rule: 'title' | 'line-items' }
  /** The booking's packing/boxing custom field: one item, quantity 1 (the last resort). */
  | { kind: 'booking-field'; bookingId: string; field: string }
  | { kind: 'none' };

/** One TripleSeat line, normalised. */
export interface SourceLine {
  /** Position in the list it came from; stable while that list is, and part of the line UUID. */
  index: number;
  /** `display_name`, else `description`. */
  name: string;
  /**
   * Undefined when TripleSeat's quantity is not a usable number (text, negative); 0 when it is
   * zero: such a line is on the invoice but not ordered.
   */
  quantity?: number;
  /** The line's unit price, only when it is a positive amount. */
  priceCents?: number;
  /**
   * `total_price`, else quantity × price; what the line adds to the invoice before its own
   * discount. Signed: a credit line (a deposit credit, a refund) is negative.
   */
  totalCents?: number;
  /**
   * The line's own `discount`, when it is a positive amount: taken off `totalCents`
   * (upstream-facts "TripleSeat invoice amounts").
   */
  discountCents?: number;
  menuItemId?: string;
  category?: string;
}

/** A line that takes money off the invoice (its amount is negative): a credit, never an item. */
export const isCredit = (line: SourceLine): boolean =>
  line.totalCents !== undefined && line.totalCents < 0;

/** What the line adds to the invoice after its own discount; undefined when TripleSeat says nothing. */
export const netCents = (line: SourceLine): number | undefined =>
  line.totalCents === undefined ? undefined : line.totalCents - (line.discountCents ?? 0);

export interface InvoiceLines {
  source: LineSource;
  document?: TripleSeatDocument;
  /** Lines to resolve to Revel products. */
  food: SourceLine[];
  /** Lines whose category is a venue charge (IGNORED_LINE_CATEGORIES): not ordered, but listed. */
  venue: SourceLine[];
}

const PACKING_FIELD = /packing|boxing/i;

function text(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? undefined : trimmed;
}

function idText(value: Numeric | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const out = String(value).trim();
  return out === '' ? undefined : out;
}

/**
 * Absent → 1; otherwise a finite number that is not negative (numbers or numeric strings), else
 * undefined. Zero is kept: the caller leaves such a line off the order.
 */
export function parseQuantity(value: Numeric | null | undefined): number | undefined {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string' && value.trim() === '') return 1;
  const quantity = typeof value === 'number' ? value : Number(value.trim());
  return Number.isFinite(quantity) && quantity >= 0 ? quantity + 0 : undefined;
}

const isDeleted = (doc: TripleSeatDocument): boolean =>
  doc.deleted_at !== null && doc.deleted_at !== undefined && String(doc.deleted_at).trim() !== '';

const hasLines = (doc: TripleSeatDocument): boolean =>
  Array.isArray(doc.line_items) && doc.line_items.length > 0;

/** Numeric ids compare as numbers (TripleSeat sends them as numbers or numeric strings). */
function byIdDescending(a: TripleSeatDocument, b: TripleSeatDocument): number {
  const x = idText(a.id) ?? '';
  const y = idText(b.id) ?? '';
  return y.localeCompare(x, 'en', { numeric: true });
}

/**
 * The document whose lines become the order: among documents that are not deleted and have line
 * items, the highest-id one whose title matches `pattern` (INVOICE_DOCUMENT_PATTERN), else the
 * highest-id one. A title-matching document without line items is passed over: it cannot say
 * what to cook, and a later document that has lines can.
 */
export function chooseDocument(
  event: TripleSeatEvent,
  pattern: RegExp,
): { document: TripleSeatDocument; rule: 'title' | 'line-items' } | undefined {
  const usable = (event.documents ?? [])
    .filter((doc): doc is TripleSeatDocument => typeof doc === 'object' && doc !== null)
    .filter((doc) => !isDeleted(doc) && hasLines(doc))
    .sort(byIdDescending);
  // A fresh, non-global copy: a caller's /g or /y regex must not carry lastIndex between titles.
  const matcher = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const titled = usable.find((doc) => matcher.test(doc.title ?? ''));
  if (titled) return { document: titled, rule: 'title' };
  return usable[0] ? { document: usable[0], rule: 'line-items' } : undefined;
}

function toSourceLine(raw: TripleSeatLineItem, index: number): SourceLine {
  const name =
    text(raw.display_name) ?? text(raw.description) ?? `(unnamed line ${idText(raw.id) ?? index})`;
  const quantity = parseQuantity(raw.quantity);
  const price = signedCents(raw.price);
  const given = signedCents(raw.total_price);
  const totalCents =
    given ??
    (quantity !== undefined && price !== undefined
      ? Math.sign(price) * multiplyCents(Math.abs(price), quantity)
      : undefined);
  const discount = signedCents(raw.discount);
  const menuItemId = idText(raw.menu_item_id);
  const category = text(raw.category?.name);
  return {
    index,
    name,
    ...(quantity !== undefined ? { quantity } : {}),
    ...(price !== undefined && price > 0 ? { priceCents: price } : {}),
    ...(totalCents !== undefined ? { totalCents: totalCents + 0 } : {}),
    ...(discount !== undefined && discount > 0 ? { discountCents: discount } : {}),
    ...(menuItemId !== undefined ? { menuItemId } : {}),
    ...(category !== undefined ? { category } : {}),
  };
}

/**
 * The lines the order is built from: the chosen document's line items split into food and venue
 * charges (categories in `ignoredCategories`, compared case-insensitively); with no usable
 * document, the booking's first non-empty packing/boxing custom field as one item.
 */
export function invoiceLines(
  event: TripleSeatEvent,
  options: { pattern: RegExp; ignoredCategories: readonly string[]; booking?: TripleSeatBooking },
): InvoiceLines {
  const chosen = chooseDocument(event, options.pattern);
  if (chosen) {
    const ignored = new Set(options.ignoredCategories.map((c) => c.trim().toLowerCase()));
    const lines = (chosen.document.line_items ?? [])
      .filter((raw): raw is TripleSeatLineItem => typeof raw === 'object' && raw !== null)
      .map(toSourceLine);
    const isVenue = (line: SourceLine) =>
      line.category !== undefined && ignored.has(line.category.toLowerCase());
    return {
      source: {
        kind: 'document',
        documentId: idText(chosen.document.id) ?? '',
        title: text(chosen.document.title) ?? '',
        rule: chosen.rule,
      },
      document: chosen.document,
      food: lines.filter((line) => !isVenue(line)),
      venue: lines.filter(isVenue),
    };
  }
  const booking = options.booking;
  for (const field of booking?.custom_fields ?? []) {
    const value = text(field?.value);
    const fieldName = field?.custom_field_name ?? '';
    if (value !== undefined && PACKING_FIELD.test(fieldName)) {
      return {
        source: { kind: 'booking-field', bookingId: String(booking?.id ?? ''), field: fieldName },
        food: [{ index: 0, name: value, quantity: 1 }],
        venue: [],
      };
    }
  }
  return { source: { kind: 'none' }, food: [], venue: [] };
}

/** Whether the event's documents can give lines at all (else the booking is worth fetching). */
export function hasInvoiceLines(event: TripleSeatEvent, pattern: RegExp): boolean {
  return chooseDocument(event, pattern) !== undefined;
}

/** A document billing total (service charge, tax, gratuity) as the make-up of the total shows it. */
export interface BillingLine {
  description: string;
  /** e.g. "20.0%"; absent when TripleSeat sent none. */
  value?: string;
  amountCents: number;
}

export function billingLines(document: TripleSeatDocument | undefined): BillingLine[] {
  const out: BillingLine[] = [];
  for (const raw of document?.billing_totals ?? []) {
    if (typeof raw !== 'object' || raw === null) continue;
    const amountCents = signedCents(raw.total_price);
    if (amountCents === undefined || amountCents === 0) continue;
    const value = idText(raw.value);
    out.push({
      description: text(raw.description) ?? 'Billing total',
      ...(value !== undefined ? { value } : {}),
      amountCents,
    });
  }
  return out;
}

/** Like toCents, but keeps a leading minus (a billing total may be a credit). */
export function signedCents(value: Numeric | null | undefined): number | undefined {
  if (typeof value === 'number' && value < 0) {
    const cents = toCents(-value);
    return cents === undefined ? undefined : -cents;
  }
  if (typeof value === 'string' && value.trim().startsWith('-')) {
    const cents = toCents(value.trim().slice(1));
    return cents === undefined ? undefined : -cents;
  }
  return toCents(value);
}

/**
 * Builders for TripleSeat payloads in the shapes the real API sends (upstream-facts §1.4
 * "Documents and invoice amounts", §1.2 and §1.5 on events; the captured webhook in §1.7). They
 * feed the sandbox, the demo, the e2e tests and the benchmarks, so that a wrong guess about the
 * real shapes fails a test:
 * - line items, billing totals and financials exist only inside `documents[]`, and only when the
 *   event is fetched with `show_financial=true` ({@link withoutFinancials} strips them otherwise);
 * - a document has a `title` and no `type`; deleted documents keep their place with `deleted_at`;
 * - money and quantities are strings ("3.60", "8"), as the typed clients' string converters expect;
 * - there is no `items[]` or `menu_items[]` on an event.
 */
import Big from 'big.js';
import type {
  Numeric,
  TripleSeatBooking,
  TripleSeatDocument,
  TripleSeatEvent,
  TripleSeatLineItem,
} from '../src/tripleseat/tripleseat.types';

/** Events as the API sends them carry more fields than the service reads. */
export type SandboxEvent = TripleSeatEvent & Record<string, unknown>;
export type SandboxBooking = TripleSeatBooking & Record<string, unknown>;
export type SandboxDocument = TripleSeatDocument & Record<string, unknown>;

const US_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** YYYY-MM-DD → MM/DD/YYYY. */
export function toUsDate(iso: string): string {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${iso}`);
  return `${m[2]}/${m[3]}/${m[1]}`;
}

/** MM/DD/YYYY → YYYY-MM-DD, or undefined when it is not a real calendar date. */
export function fromUsDate(us: string): string | undefined {
  const m = US_DATE.exec(us.trim());
  if (!m) return undefined;
  const iso = `${m[3]}-${m[1]}-${m[2]}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso
    ? iso
    : undefined;
}

/** One line of a fixture document, in the words a test thinks in. */
export interface FixtureLine {
  /** `display_name`. */
  name: string;
  /** Sent as a string, as the API does; default 1. */
  quantity?: Numeric;
  /**
   * Unit price, sent as a string with 2 decimals when given as a number; default "0.00". A negative
   * price makes a credit line (a deposit credit): its `total_price` is negative too.
   */
  price?: Numeric;
  /**
   * The line's own `discount` (an amount off the line, e.g. "2.50"); `total_price` stays
   * quantity × price and the line's `grand_total` is `total_price` − discount (upstream-facts
   * "TripleSeat invoice amounts").
   */
  discount?: Numeric;
  /** `category.name`, e.g. "Food", "Room Rental"; default "Food". */
  category?: string;
  menuItemId?: number;
}

export interface FixtureBillingTotal {
  description: string;
  /** e.g. "20.0%". */
  value: string;
  /** The amount, e.g. "37.60". */
  amount: Numeric;
}

export interface InvoiceDocumentOptions {
  id?: number;
  title?: string;
  lines: FixtureLine[];
  billing?: FixtureBillingTotal[];
  /**
   * `financials.grand_total`; computed (line grand totals + billing totals) when absent, null when
   * null. "0.00" for a fully comped event.
   */
  grandTotal?: Numeric | null;
  /** `financials.discounts_total`; the sum of the line discounts when absent. */
  discountsTotal?: Numeric;
  deletedAt?: string | null;
}

let documentSeq = 0;
let lineSeq = 0;

const money = (value: Numeric): string => new Big(String(value).replace(/[$,]/g, '')).toFixed(2);

function lineItem(line: FixtureLine, position: number): TripleSeatLineItem {
  lineSeq += 1;
  const quantity = line.quantity ?? 1;
  const price = line.price ?? '0.00';
  const numericPrice = typeof price === 'number' || /^-?\d+(\.\d+)?$/.test(String(price));
  const total = numericPrice ? new Big(String(price)).times(String(quantity)).toFixed(2) : '0.00';
  const discount = money(line.discount ?? 0);
  const category = line.category ?? 'Food';
  return {
    id: 880000 + lineSeq,
    quantity: typeof quantity === 'number' ? String(quantity) : quantity,
    price: typeof price === 'number' ? money(price) : price,
    total_price: total,
    discount,
    position,
    billing_ids: [],
    grand_total: new Big(total).minus(discount).toFixed(2),
    display_name: line.name,
    description: '',
    long_description: null,
    category: { id: 4400 + category.length, name: category, internal_name: category },
    section: category === 'Food' ? 'Menu' : 'Venue',
    section_position: position,
    menu_item_id: line.menuItemId ?? null,
  };
}

/** A document as `GET /v1/events/{id}.json?show_financial=true` returns it. */
export function invoiceDocument(options: InvoiceDocumentOptions): SandboxDocument {
  documentSeq += 1;
  const id = options.id ?? 296000 + documentSeq;
  const lines = options.lines.map((line, i) => lineItem(line, i + 1));
  const billing = (options.billing ?? []).map((b, i) => ({
    billing_id: 7700 + i,
    description: b.description,
    value: b.value,
    total_price: money(b.amount),
  }));
  const computed = [
    ...lines.map((l) => String(l.grand_total)),
    ...billing.map((b) => b.total_price),
  ]
    .reduce((sum, amount) => sum.plus(amount), new Big(0))
    .toFixed(2);
  const grand = options.grandTotal === undefined ? computed : options.grandTotal;
  const doc: SandboxDocument = {
    id,
    title: options.title ?? 'Invoice',
    template_document_id: 5100,
    deleted_at: options.deletedAt ?? null,
    views: [
      {
        name: options.title ?? 'Invoice',
        url: `https://portal.tripleseat.com/doc/0123456789abcdef0123456789abcdef01234567/${id}`,
      },
    ],
    line_items: lines,
    billing_totals: billing,
    category_totals: [],
    financials: {
      amount_due: '0.00',
      grand_total: grand === null ? null : money(grand),
      discounts_total: money(
        options.discountsTotal ??
          lines.reduce((sum, l) => sum.plus(String(l.discount)), new Big(0)).toFixed(2),
      ),
    },
    payment_set: {
      amount_due: '0.00',
      running_balance: '0.00',
      remaining_payment_amount: '0.00',
      document_name: options.title ?? 'Invoice',
      payments: [],
    },
  };
  return doc;
}

/**
 * Keys that only `show_financial=true` adds (upstream-facts §1.2: "payments, billing item totals,
 * line items, and category totals").
 */
const FINANCIAL_DOCUMENT_KEYS = [
  'line_items',
  'billing_totals',
  'category_totals',
  'financials',
  'payment_set',
] as const;
const FINANCIAL_EVENT_KEYS = ['billing_totals', 'category_totals', 'payments'] as const;

/** The event as TripleSeat sends it without `show_financial=true`, and in search results. */
export function withoutFinancials(event: SandboxEvent): SandboxEvent {
  const copy: SandboxEvent = structuredClone(event);
  for (const key of FINANCIAL_EVENT_KEYS) delete copy[key];
  if (Array.isArray(copy.documents)) {
    copy.documents = copy.documents.map((doc) => {
      const slim: Record<string, unknown> = { ...doc };
      for (const key of FINANCIAL_DOCUMENT_KEYS) delete slim[key];
      return slim;
    });
  }
  return copy;
}

/** The food of the default fixture: what the legacy log showed for event 55521609. */
export const DEFAULT_FOOD: readonly FixtureLine[] = [
  { name: 'TRIPLE OG', quantity: 8, price: '3.60', menuItemId: 5001 },
  { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
];

let fixtureSeq = 0;

/**
 * A rich event shaped like `GET /v1/events/55521609.json?show_financial=true`. Give
 * `event_date_iso8601` or `event_date` alone and the other date fields follow it. Its documents are
 * a deleted proposal and an invoice with the two default food lines (54.40) and nothing else, so
 * the grand total is 54.40; pass `documents` (see {@link invoiceDocument}) for anything richer.
 */
export function fixtureEvent(overrides: Partial<SandboxEvent> = {}): SandboxEvent {
  fixtureSeq += 1;
  const given = typeof overrides.event_date === 'string' ? overrides.event_date : undefined;
  // TripleSeat sometimes sends event_date in ISO form; both are read here.
  const givenIso = given && ISO_DATE.test(given) ? given : given ? fromUsDate(given) : undefined;
  const iso = overrides.event_date_iso8601 ?? givenIso ?? '2025-12-28';
  // An explicit date that does not parse must not be rescued by a default ISO date.
  const garbled = 'event_date' in overrides && !givenIso && !overrides.event_date_iso8601;
  const us = toUsDate(iso);
  const base: SandboxEvent = {
    id: 55521609 + fixtureSeq - 1,
    name: 'Jon Ponder',
    status: 'CLOSED',
    event_date: us,
    event_date_iso8601: garbled ? null : iso,
    event_start: `${us} 6:00 PM`,
    event_end: `${us} 6:15 PM`,
    event_start_iso8601: `${iso}T18:00:00-08:00`,
    site_id: 15691,
    location_id: 31883,
    booking_id: 52511006,
    guest_count: 25,
    updated_at: `${us} 12:56 PM`,
    grand_total: '54.40',
    actual_amount: '54.40',
    contact: {
      first_name: 'Jon',
      last_name: 'Ponder',
      phone_numbers: [{ id: 1, number: '(702) 555-0142', phone_number_type: 'Mobile' }],
    },
    documents: [
      invoiceDocument({
        title: 'Proposal',
        lines: [...DEFAULT_FOOD],
        deletedAt: `${us} 11:02 AM`,
      }),
      invoiceDocument({ title: 'Invoice', lines: [...DEFAULT_FOOD] }),
    ],
  };
  // Overrides win, so a test can still send a missing or garbled date on purpose.
  return { ...base, ...overrides };
}

/** A booking whose packing-slip custom field names one item (legacy reference §13.2). */
export function fixtureBooking(overrides: Partial<SandboxBooking> = {}): SandboxBooking {
  return {
    id: 52511006,
    site_id: 15691,
    location_id: 31883,
    event_ids: [55521609],
    status: 'CLOSED',
    custom_fields: [
      {
        id: 1,
        custom_field_id: 77,
        custom_field_name: 'Boxing/Packing Slip',
        custom_field_slug: 'boxing_packing_slip',
        value: 'TRIPLE OG',
      },
    ],
    ...overrides,
  };
}

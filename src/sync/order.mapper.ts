import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { v5 as uuidv5 } from 'uuid';
import type { Location } from '../config/locations';
import type { OrderDraft, OrderLine, UnmatchedItem } from '../revel/order-draft';
import { type CatalogProduct, matchItem } from '../revel/product-matcher';
import type {
  Numeric,
  TripleSeatBooking,
  TripleSeatEvent,
  TripleSeatLineItem,
} from '../tripleseat/tripleseat.types';
import { multiplyCents, toCents } from './money';

/**
 * Namespace of every UUID this service gives a Revel record. Fixed forever: changing it would
 * give a retried event new UUIDs, and a crash-interrupted order could no longer be completed.
 */
export const ORDER_UUID_NAMESPACE = '6f1c7a52-3b0e-4d8e-9a47-2c5d1e8b9f30';

export const orderUuid = (eventId: string): string =>
  uuidv5(`order:${eventId}`, ORDER_UUID_NAMESPACE);
export const itemUuid = (eventId: string, index: number): string =>
  uuidv5(`item:${eventId}:${index}`, ORDER_UUID_NAMESPACE);
/**
 * An item a resync adds to an order already written: new for every content (`hash`), so it never
 * collides with the items of the first write or of an earlier resync.
 */
export const resyncItemUuid = (eventId: string, index: number, hash: string): string =>
  uuidv5(`resync-item:${eventId}:${index}:${hash}`, ORDER_UUID_NAMESPACE);
export const paymentUuid = (eventId: string): string =>
  uuidv5(`payment:${eventId}`, ORDER_UUID_NAMESPACE);
export const historyUuid = (eventId: string): string =>
  uuidv5(`history:${eventId}`, ORDER_UUID_NAMESPACE);

export interface SourceLineItem {
  name: string;
  quantity: number;
  /** TripleSeat's unit price, only when it is a positive amount. */
  priceCents?: number;
  /** Position in the list it came from; stable while that list is, and part of the line UUID. */
  index: number;
}

const PACKING_FIELD = /packing|boxing/i;

function text(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Absent → 1; otherwise a positive finite number (numbers or numeric strings), else undefined. */
function parseQuantity(value: Numeric | null | undefined): number | undefined {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string' && value.trim() === '') return 1;
  const quantity = typeof value === 'number' ? value : Number(value.trim());
  return Number.isFinite(quantity) && quantity > 0 ? quantity : undefined;
}

function fromItemList(list: readonly TripleSeatLineItem[]): SourceLineItem[] {
  const items: SourceLineItem[] = [];
  list.forEach((raw, index) => {
    const name = text(raw?.name);
    const quantity = parseQuantity(raw?.quantity);
    if (name === undefined || quantity === undefined) return;
    const priceCents = toCents(raw.price);
    items.push({
      name,
      quantity,
      index,
      ...(priceCents !== undefined && priceCents > 0 ? { priceCents } : {}),
    });
  });
  return items;
}

/**
 * The event's line items, from the first source that has any entries: `items[]`, else
 * `menu_items[]`, else the booking's first non-empty custom field whose name mentions packing or
 * boxing (its value is one item, quantity 1). A non-empty list is the source even if every entry in
 * it is unusable: falling through to another list could order food the planner replaced. Entries
 * without a name, or with a quantity that is not a positive number, are left out.
 */
export function extractLineItems(
  event: TripleSeatEvent,
  booking?: TripleSeatBooking,
): SourceLineItem[] {
  if (Array.isArray(event.items) && event.items.length > 0) return fromItemList(event.items);
  if (Array.isArray(event.menu_items) && event.menu_items.length > 0) {
    return fromItemList(event.menu_items);
  }
  for (const field of booking?.custom_fields ?? []) {
    const value = text(field?.value);
    if (value !== undefined && PACKING_FIELD.test(field.custom_field_name ?? '')) {
      return [{ name: value, quantity: 1, index: 0 }];
    }
  }
  return [];
}

export interface InvoiceTotals {
  /** `grand_total` when positive, else `total`; undefined when neither is a valid amount. */
  grandTotalCents?: number;
  subtotalCents?: number;
}

/** Totals of the event's first `billing_invoice` document; undefined when it has none. */
export function invoiceTotals(event: TripleSeatEvent): InvoiceTotals | undefined {
  const invoice = (event.documents ?? []).find(
    (doc) => (doc?.type ?? '').trim().toLowerCase() === 'billing_invoice',
  );
  if (!invoice) return undefined;
  const grand = toCents(invoice.grand_total);
  const grandTotalCents = grand !== undefined && grand > 0 ? grand : toCents(invoice.total);
  const subtotalCents = toCents(invoice.subtotal);
  return {
    ...(grandTotalCents !== undefined ? { grandTotalCents } : {}),
    ...(subtotalCents !== undefined ? { subtotalCents } : {}),
  };
}

function firstText(...values: (string | null | undefined)[]): string | undefined {
  for (const value of values) {
    const found = text(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function customerName(event: TripleSeatEvent): string | undefined {
  const contact = event.contact;
  const contactName = [text(contact?.first_name), text(contact?.last_name)]
    .filter((part) => part !== undefined)
    .join(' ');
  return firstText(contactName, event.guest_name, event.client_name, event.host_name, event.name);
}

function customerPhone(event: TripleSeatEvent): string | undefined {
  const contact = event.contact;
  return firstText(
    contact?.phone,
    ...(contact?.phone_numbers ?? []).map((p) => p?.number),
    event.phone,
    event.guest_phone,
  );
}

export interface BuildOrderDraftInput {
  event: TripleSeatEvent;
  booking?: TripleSeatBooking;
  location: Location;
  /** The establishment's Revel catalogue. */
  products: readonly CatalogProduct[];
  /** Minimum similarity for a fuzzy name match (FUZZY_MATCH_THRESHOLD, default 0.75). */
  threshold: number;
  /** REVEL_LOCAL_ID_TEMPLATE, e.g. `Triple Seat_{eventId}`. */
  localIdTemplate: string;
  now: Date;
}

/** An unmatched item, with the reason when it is not plain dissimilarity (e.g. a stale map entry). */
export type UnmatchedItemWithDetail = UnmatchedItem & { detail?: string };

/**
 * Computes the complete Revel order for an event; writes nothing. Callers treat `lines.length === 0`
 * as NO_ITEMS_MATCHED.
 *
 * Totals: the order must equal the TripleSeat invoice to the cent, but its items are priced per
 * unit and cannot carry the invoice's taxes, fees, gratuity or discounts. So the difference goes
 * on the order as a whole: a lower invoice becomes a discount, a higher one a surcharge, and
 * `subtotal − discount + surcharge === finalTotal` always. Unmatched items (listed, not dropped)
 * are not in the subtotal, so their value shows up in the surcharge rather than being lost.
 */
export function buildOrderDraft(input: BuildOrderDraftInput): OrderDraft {
  const { event, location } = input;
  const eventId = String(event.id).trim();
  if (eventId === '') throw new RangeError('event has no id');
  if (!input.localIdTemplate.includes('{eventId}')) {
    // Without the id every event would share one local_id and dedup would block all but the first.
    throw new RangeError(
      `local id template ${JSON.stringify(input.localIdTemplate)} lacks {eventId}`,
    );
  }

  const lines: OrderLine[] = [];
  const unmatched: UnmatchedItemWithDetail[] = [];
  for (const item of extractLineItems(event, input.booking)) {
    const result = matchItem(item.name, input.products, location.products, input.threshold);
    if (result.match === 'none') {
      unmatched.push({
        name: item.name,
        quantity: item.quantity,
        ...(result.closest ? { closest: result.closest } : {}),
        ...(result.detail ? { detail: result.detail } : {}),
      });
      continue;
    }
    const revelPrice = toCents(result.product.price);
    const revelCost = toCents(result.product.cost);
    const unitPriceCents =
      item.priceCents ??
      (revelPrice !== undefined && revelPrice > 0
        ? revelPrice
        : revelCost !== undefined && revelCost > 0
          ? revelCost
          : 0);
    lines.push({
      index: item.index,
      uuid: itemUuid(eventId, item.index),
      productId: result.product.id,
      productName: result.product.name,
      sourceName: item.name,
      quantity: item.quantity,
      unitPriceCents,
      lineTotalCents: multiplyCents(unitPriceCents, item.quantity),
      match: result.match,
      score: result.score,
    });
  }

  const subtotalCents = lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
  const invoiceTotal = invoiceTotals(event)?.grandTotalCents;
  const finalTotalCents =
    invoiceTotal !== undefined && invoiceTotal > 0 ? invoiceTotal : subtotalCents;
  const discountCents = finalTotalCents < subtotalCents ? subtotalCents - finalTotalCents : 0;
  const surchargeCents = finalTotalCents > subtotalCents ? finalTotalCents - subtotalCents : 0;

  const localId = input.localIdTemplate.replaceAll('{eventId}', eventId);
  const legacyLocalIds = [`Triple Seat ${eventId}`, `tripleseat_event_${eventId}`].filter(
    (id) => id !== localId,
  );

  const name = customerName(event);
  const phone = customerPhone(event);
  const callName = [name, phone].filter((part) => part !== undefined).join(' | ');

  return {
    eventId,
    establishmentId: location.revelEstablishmentId,
    localId,
    legacyLocalIds,
    orderUuid: orderUuid(eventId),
    paymentUuid: paymentUuid(eventId),
    historyUuid: historyUuid(eventId),
    ...(callName ? { callName } : {}),
    notes: `Triple Seat Event #${eventId}${phone ? ` | Phone: ${phone}` : ''}`,
    lines,
    unmatched,
    subtotalCents,
    discountCents,
    surchargeCents,
    finalTotalCents,
    localTimestamp: DateTime.fromJSDate(input.now, { zone: location.timezone }).toFormat(
      "yyyy-MM-dd'T'HH:mm:ss",
    ),
  };
}

/**
 * Fingerprint of what the order means (establishment, lines, totals), not when it was built:
 * timestamps, UUIDs and customer details are left out, so it changes only when the written order
 * would differ. Used to notice that a TripleSeat event changed after its order was written.
 */
export function contentHash(draft: OrderDraft): string {
  const canonical = JSON.stringify([
    draft.eventId,
    draft.establishmentId,
    draft.lines.map((l) => [l.index, l.productId, l.quantity, l.unitPriceCents, l.lineTotalCents]),
    draft.subtotalCents,
    draft.discountCents,
    draft.surchargeCents,
    draft.finalTotalCents,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

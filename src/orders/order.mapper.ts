import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { validate as isUuid, v5 as uuidv5 } from 'uuid';
import type { Location } from '../config/locations';
import { LEGACY_LEDGER_ID } from '../database/database.types';
import type {
  TripleSeatBooking,
  TripleSeatDocument,
  TripleSeatEvent,
} from '../tripleseat/tripleseat.types';
import {
  type BillingLine,
  billingLines,
  invoiceLines,
  isCredit,
  netCents,
  signedCents,
} from './invoice';
import { centsToDecimalString, multiplyCents, toCents } from './money';
import type {
  IgnoredLine,
  OrderDraft,
  OrderLine,
  TotalAdjustment,
  UnmatchedItem,
} from './order-draft';
import { type CatalogProduct, matchLine, type MatchResult } from './product-matcher';

/**
 * The root namespace of every UUID this service gives a Revel record. Fixed forever. Each ledger
 * derives its own namespace from it and its id (`ledgerNamespace`); a database migrated from before
 * ledger identities (LEGACY_LEDGER_ID) uses this one unchanged, so a crash-interrupted order it
 * began before the upgrade is still recognised as its own and completed.
 */
export const ORDER_UUID_NAMESPACE = '6f1c7a52-3b0e-4d8e-9a47-2c5d1e8b9f30';

/**
 * The namespace of one ledger's record UUIDs. Two ledgers (two databases) pointed at one Revel
 * account give the same event different UUIDs, so neither ever takes the other's order for its own:
 * the second sees a foreign order (ALREADY_EXISTS) and adds nothing to it.
 */
export function ledgerNamespace(ledgerId: string): string {
  if (ledgerId === LEGACY_LEDGER_ID) return ORDER_UUID_NAMESPACE;
  if (!isUuid(ledgerId))
    throw new RangeError(`ledger id ${JSON.stringify(ledgerId)} is not a UUID`);
  return uuidv5(ledgerId.toLowerCase(), ORDER_UUID_NAMESPACE);
}

const namespaces = new Map<string, string>();
/** Memoised: the namespace is derived on every UUID, and a process has one ledger. */
function namespaceOf(ledgerId: string): string {
  let namespace = namespaces.get(ledgerId);
  if (namespace === undefined) {
    namespace = ledgerNamespace(ledgerId);
    if (namespaces.size > 16) namespaces.clear();
    namespaces.set(ledgerId, namespace);
  }
  return namespace;
}

export const orderUuid = (ledgerId: string, eventId: string): string =>
  uuidv5(`order:${eventId}`, namespaceOf(ledgerId));
export const itemUuid = (ledgerId: string, eventId: string, index: number): string =>
  uuidv5(`item:${eventId}:${index}`, namespaceOf(ledgerId));
/**
 * An item a resync adds to an order already written: new for every content (`hash`), so it never
 * collides with the items of the first write or of an earlier resync. A resync only touches an
 * order this ledger wrote (its payment carries our UUID), so the ledger id is optional here; given,
 * the item is this ledger's like every other record.
 */
export const resyncItemUuid = (
  eventId: string,
  index: number,
  hash: string,
  ledgerId: string = LEGACY_LEDGER_ID,
): string => uuidv5(`resync-item:${eventId}:${index}:${hash}`, namespaceOf(ledgerId));
export const paymentUuid = (ledgerId: string, eventId: string): string =>
  uuidv5(`payment:${eventId}`, namespaceOf(ledgerId));
export const historyUuid = (ledgerId: string, eventId: string): string =>
  uuidv5(`history:${eventId}`, namespaceOf(ledgerId));

function text(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function customerName(event: TripleSeatEvent): string | undefined {
  const contact = event.contact;
  const contactName = [text(contact?.first_name), text(contact?.last_name)]
    .filter((part) => part !== undefined)
    .join(' ');
  return text(contactName) ?? text(event.name);
}

function customerPhone(event: TripleSeatEvent): string | undefined {
  for (const phone of event.contact?.phone_numbers ?? []) {
    const number = text(phone?.number);
    if (number !== undefined) return number;
  }
  return undefined;
}

/**
 * The invoice's grand total: the chosen document's, else the event's. Zero is a real total (a
 * comped event: the order is written at 0.00 with the items as its discount), except on the event
 * when no document gave the lines, where it only means that there is no invoice. A document total
 * below zero (credits larger than the food) is 0.00: nothing is collected, and no order can carry
 * a negative total. A document at 0.00 or below while the event says money is due is not taken
 * for a comp: the event's total is used. Undefined when neither says.
 */
export function grandTotalOf(
  event: TripleSeatEvent,
  document: TripleSeatDocument | undefined,
): { cents: number; source: 'document' | 'event' } | undefined {
  const fromDocument = signedCents(document?.financials?.grand_total);
  const fromEvent = toCents(event.grand_total);
  if (document !== undefined && fromDocument !== undefined) {
    if (fromDocument > 0) return { cents: fromDocument, source: 'document' };
    if (fromEvent === undefined || fromEvent === 0) return { cents: 0, source: 'document' };
  }
  if (fromEvent !== undefined && (fromEvent > 0 || document !== undefined))
    return { cents: fromEvent, source: 'event' };
  return undefined;
}

const money = (cents: number): string => centsToDecimalString(cents);

/** What the make-up is built from, besides the difference it must add up to. */
interface MakeUpInput {
  billing: readonly BillingLine[];
  venue: readonly IgnoredLine[];
  unmatched: readonly { name: string; cents?: number }[];
  /** Credit lines (negative amounts). */
  credits: readonly { name: string; cents: number }[];
  /** The own discounts of ordered lines (positive amounts, taken off). */
  lineDiscounts: readonly { name: string; cents: number }[];
  /** The document's `financials.discounts_total`. */
  discountsTotalCents: number | undefined;
  /** The order's final total; 0.00 from an invoice is a comp. */
  finalTotalCents: number;
  fromInvoice: boolean;
}

/**
 * The parts of `difference` (grand total − ordered items): billing totals, venue lines, unmatched
 * lines, credit lines and line discounts as TripleSeat states them, and whatever is left as one
 * `other` part, so the parts always add up to the difference exactly.
 */
function makeUp(difference: number, input: MakeUpInput): TotalAdjustment[] {
  const parts: TotalAdjustment[] = [
    ...input.billing.map((b) => ({
      kind: 'billing' as const,
      label: b.value ? `${b.description} (${b.value})` : b.description,
      amountCents: b.amountCents,
    })),
    ...input.venue
      .filter((v) => v.amountCents !== 0)
      .map((v) => ({
        kind: 'venue' as const,
        label: `${v.name} (${v.category}, not ordered)`,
        amountCents: v.amountCents,
      })),
    ...input.unmatched
      .filter((u) => u.cents !== undefined && u.cents !== 0)
      .map((u) => ({
        kind: 'unmatched' as const,
        label: `${u.name} (no Revel product)`,
        amountCents: u.cents ?? 0,
      })),
    ...input.credits.map((c) => ({
      kind: 'credit' as const,
      label: `${c.name} (credit)`,
      amountCents: c.cents,
    })),
    ...input.lineDiscounts.map((d) => ({
      kind: 'line-discount' as const,
      label: `${d.name} line discount`,
      amountCents: -d.cents,
    })),
  ];
  const rest = difference - parts.reduce((sum, part) => sum + part.amountCents, 0);
  if (rest !== 0) {
    // discounts_total may or may not count the line discounts already named.
    const named = input.lineDiscounts.reduce((sum, d) => sum + d.cents, 0);
    const total = input.discountsTotalCents;
    const discounts =
      total !== undefined && total > 0 && (rest === -total || rest === -(total - named));
    const comp = input.fromInvoice && input.finalTotalCents === 0 && rest < 0;
    const creditsBeyond =
      input.fromInvoice && input.finalTotalCents === 0 && rest > 0 && input.credits.length > 0;
    parts.push({
      kind: 'other',
      label: discounts
        ? 'Invoice discounts'
        : comp
          ? 'Comped (invoice total 0.00)'
          : creditsBeyond
            ? 'Credits beyond the invoice total (owed to the guest, not on this order)'
            : 'Other (discounts, rounding or prices that differ from the invoice)',
      amountCents: rest,
    });
  }
  return parts;
}

/** "Invoice 109.84 = items 54.40 + Service Charge (20.0%) 10.88 − Other 1.00". */
export function makeUpText(
  draft: Pick<OrderDraft, 'finalTotalCents' | 'subtotalCents' | 'adjustments' | 'grandTotalSource'>,
): string {
  if (draft.adjustments.length === 0) return '';
  const what = draft.grandTotalSource === 'items' ? 'Total' : 'Invoice';
  const parts = draft.adjustments
    .map((a) => `${a.amountCents < 0 ? '-' : '+'} ${a.label} ${money(Math.abs(a.amountCents))}`)
    .join(' ');
  return `${what} ${money(draft.finalTotalCents)} = items ${money(draft.subtotalCents)} ${parts}`;
}

export interface BuildOrderDraftInput {
  /**
   * The ledger's identity (DatabaseService.ledgerId): the record UUIDs derive from it, so that
   * another ledger never completes or adds to this one's orders (docs/deployment.md, 'One ledger
   * per Revel account').
   */
  ledgerId: string;
  event: TripleSeatEvent;
  /** Read only when the event has no usable document (the packing-field last resort). */
  booking?: TripleSeatBooking;
  /** INVOICE_DOCUMENT_PATTERN. */
  invoicePattern: RegExp;
  /** IGNORED_LINE_CATEGORIES. */
  ignoredCategories: readonly string[];
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
 * Items are the chosen document's food lines (docs/architecture.md, 'Which document', 'Which
 * lines') at the document's unit prices. Totals: the order must equal the invoice's grand total to
 * the cent, but its items cannot carry the invoice's service charge, tax, venue lines or unmatched
 * lines. So the difference goes on the order as a whole: a higher invoice becomes a surcharge, a
 * lower one the Triple Seat discount, and `subtotal − discount + surcharge === finalTotal` always.
 * What the difference is made of is kept in `adjustments` and written into the notes.
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

  const found = invoiceLines(event, {
    pattern: input.invoicePattern,
    ignoredCategories: input.ignoredCategories,
    booking: input.booking,
  });
  const lines: OrderLine[] = [];
  const unmatched: UnmatchedItemWithDetail[] = [];
  const unmatchedCents: { name: string; cents?: number }[] = [];
  const credits: { name: string; cents: number }[] = [];
  const lineDiscounts: { name: string; cents: number }[] = [];
  const maps = { menuItems: location.menuItems ?? {}, products: location.products };
  for (const item of found.food) {
    // A negative line takes money off the invoice: a credit in the make-up, never an item to order.
    if (isCredit(item)) {
      credits.push({ name: item.name, cents: netCents(item) ?? 0 });
      continue;
    }
    // On the invoice but nothing to cook; any amount it carries stays in the make-up's rest.
    if (item.quantity === 0) continue;
    const result: MatchResult =
      item.quantity === undefined
        ? { match: 'none', detail: 'quantity is not a positive number' }
        : matchLine(item, input.products, maps, input.threshold);
    if (result.match === 'none' || item.quantity === undefined) {
      const amount = netCents(item);
      unmatched.push({
        name: item.name,
        quantity: item.quantity ?? 0,
        ...(result.match === 'none' && result.closest ? { closest: result.closest } : {}),
        ...(result.match === 'none' && result.detail ? { detail: result.detail } : {}),
        ...(item.menuItemId !== undefined ? { menuItemId: item.menuItemId } : {}),
        ...(amount !== undefined ? { amount: money(amount) } : {}),
      });
      unmatchedCents.push({ name: item.name, cents: amount });
      continue;
    }
    const revelPrice = toCents(result.product.price);
    const unitPriceCents =
      item.priceCents ?? (revelPrice !== undefined && revelPrice > 0 ? revelPrice : 0);
    lines.push({
      index: item.index,
      uuid: itemUuid(input.ledgerId, eventId, item.index),
      productId: result.product.id,
      productName: result.product.name,
      sourceName: item.name,
      quantity: item.quantity,
      unitPriceCents,
      lineTotalCents: multiplyCents(unitPriceCents, item.quantity),
      match: result.match,
      score: result.score,
    });
    if (item.discountCents !== undefined)
      lineDiscounts.push({ name: item.name, cents: item.discountCents });
  }
  const ignored: IgnoredLine[] = found.venue.map((line) => ({
    name: line.name,
    category: line.category ?? '',
    ...(line.quantity !== undefined ? { quantity: line.quantity } : {}),
    amountCents: netCents(line) ?? 0,
  }));

  const subtotalCents = lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
  const grand = grandTotalOf(event, found.document);
  const finalTotalCents = grand?.cents ?? subtotalCents;
  const discountCents = finalTotalCents < subtotalCents ? subtotalCents - finalTotalCents : 0;
  const surchargeCents = finalTotalCents > subtotalCents ? finalTotalCents - subtotalCents : 0;
  const adjustments = makeUp(finalTotalCents - subtotalCents, {
    billing: billingLines(found.document),
    venue: ignored,
    unmatched: unmatchedCents,
    credits,
    lineDiscounts,
    discountsTotalCents: toCents(found.document?.financials?.discounts_total),
    finalTotalCents,
    fromInvoice: grand !== undefined,
  });

  const localId = input.localIdTemplate.replaceAll('{eventId}', eventId);
  const legacyLocalIds = [`Triple Seat ${eventId}`, `tripleseat_event_${eventId}`].filter(
    (id) => id !== localId,
  );

  const name = customerName(event);
  const phone = customerPhone(event);
  const callName = [name, phone].filter((part) => part !== undefined).join(' | ');
  const grandTotalSource = grand?.source ?? 'items';
  const breakdown = makeUpText({ finalTotalCents, subtotalCents, adjustments, grandTotalSource });

  return {
    eventId,
    ledgerId: input.ledgerId,
    establishmentId: location.revelEstablishmentId,
    localId,
    legacyLocalIds,
    orderUuid: orderUuid(input.ledgerId, eventId),
    paymentUuid: paymentUuid(input.ledgerId, eventId),
    historyUuid: historyUuid(input.ledgerId, eventId),
    ...(callName ? { callName } : {}),
    notes: [`Triple Seat Event #${eventId}`, phone ? `Phone: ${phone}` : '', breakdown]
      .filter((part) => part !== '')
      .join(' | '),
    lines,
    unmatched,
    source: found.source,
    ignored,
    adjustments,
    grandTotalSource,
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

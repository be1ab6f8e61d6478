import { centsToDecimalString, toCents } from '../orders/money';
import type { OrderDraft, OrderLine } from '../orders/order-draft';
import {
  RevelDecimal,
  RevelOrder,
  RevelOrderHistory,
  RevelOrderItem,
  RevelPayment,
} from './revel.types';

/** What an order of ours must hold in Revel: the part of a draft the read-back compares. */
export type ExpectedOrder = Pick<
  OrderDraft,
  | 'eventId'
  | 'establishmentId'
  | 'orderUuid'
  | 'paymentUuid'
  | 'historyUuid'
  | 'subtotalCents'
  | 'discountCents'
  | 'surchargeCents'
  | 'finalTotalCents'
  | 'localTimestamp'
> & {
  /**
   * The lines whose items must be there, each once with its product, quantity and price.
   * Undefined when the items cannot be known by uuid (an order rewritten by a resync): then only
   * duplicates, the payment, the history and the totals are compared.
   */
  lines?: Pick<OrderLine, 'index' | 'uuid' | 'productId' | 'quantity' | 'unitPriceCents'>[];
};

export type RecordKind = 'OrderItem' | 'Payment' | 'OrderHistory';
export type TotalField = 'subtotal' | 'discount' | 'final total' | 'remaining due';

/** One way what landed differs from the draft. */
export type Difference =
  /** A record we wrote is not there (someone deleted it): re-posted. */
  | { kind: 'missing'; resource: RecordKind; uuid: string; lineIndex?: number }
  /** An order total differs: re-PATCHed with the finalize body, then read again. */
  | { kind: 'total'; field: TotalField; actualCents: number | undefined; expectedCents: number }
  /** `printed` is false: re-PATCHed. */
  | { kind: 'not-printed' }
  /** Not repairable here: an operator decides at the POS. */
  | { kind: 'item'; id: number; what: string }
  | { kind: 'payment'; id: number; actualCents: number | undefined; expectedCents: number }
  | { kind: 'unexpected-payment'; id: number }
  | { kind: 'not-closed' }
  | { kind: 'deleted' };

export interface Comparison {
  differences: Difference[];
  /** Records on our order without one of our uuids (a cashier's drink): noted, never undone. */
  foreign: string[];
}

/** Whether the read-back may repair a difference itself (re-post or re-PATCH). */
export function repairable(difference: Difference): boolean {
  return (
    difference.kind === 'missing' ||
    difference.kind === 'total' ||
    difference.kind === 'not-printed'
  );
}

const money = (cents: number | undefined) =>
  cents === undefined ? 'unreadable' : centsToDecimalString(cents);

/** The sentence naming one difference: `payment 8100003 is 10.00, the invoice says 13.60`. */
export function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'missing':
      return d.resource === 'OrderItem'
        ? `item of line ${d.lineIndex ?? '?'} (uuid ${d.uuid}) is missing`
        : `${d.resource === 'Payment' ? 'payment' : 'history record'} (uuid ${d.uuid}) is missing`;
    case 'total':
      return `${d.field} is ${money(d.actualCents)}, the invoice says ${money(d.expectedCents)}`;
    case 'not-printed':
      return 'order is not marked printed';
    case 'item':
      return `item ${d.id} ${d.what}`;
    case 'payment':
      return `payment ${d.id} is ${money(d.actualCents)}, the invoice says ${money(d.expectedCents)}`;
    case 'unexpected-payment':
      return `payment ${d.id} is there, but the invoice's final total is 0.00`;
    case 'not-closed':
      return 'order is not closed, though it is paid and has its history';
    case 'deleted':
      return 'order is deleted in Revel';
  }
}

function cents(value: RevelDecimal | null | undefined): number | undefined {
  return toCents(value ?? undefined);
}

/**
 * The order head (one detail GET) against the draft: its totals to the cent and its flags
 * (`printed`; `closed`, since our payment and history close it; not `deleted`). A difference
 * here is a reason to read the whole order back; on its own it is not yet a verdict.
 */
export function compareHead(expected: ExpectedOrder, order: RevelOrder): Difference[] {
  const differences: Difference[] = [];
  const totals: [TotalField, RevelDecimal | null | undefined, number][] = [
    ['subtotal', order.subtotal, expected.subtotalCents],
    ['discount', order.discount_amount ?? 0, expected.discountCents],
    ['final total', order.final_total, expected.finalTotalCents],
  ];
  // Our payment covers the final total, so nothing is due; an order without the field is not read.
  if (order.remaining_due !== undefined && order.remaining_due !== null) {
    totals.push(['remaining due', order.remaining_due, 0]);
  }
  for (const [field, value, expectedCents] of totals) {
    const actualCents = cents(value);
    if (actualCents !== expectedCents)
      differences.push({ kind: 'total', field, actualCents, expectedCents });
  }
  if (order.printed === false) differences.push({ kind: 'not-printed' });
  if (order.closed === false) differences.push({ kind: 'not-closed' });
  if (order.deleted === true) differences.push({ kind: 'deleted' });
  return differences;
}

function uriId(uri: string | undefined | null): number | undefined {
  const match = typeof uri === 'string' ? /\/(\d+)\/?$/.exec(uri) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * What landed (the order, its items, payments and history, duplicates already removed) against
 * the draft. Foreign records are listed, not counted as differences; while there are any, the
 * order's totals are someone else's too (Revel recomputes them), so they are not compared.
 */
export function compareOrder(
  expected: ExpectedOrder,
  order: RevelOrder,
  items: readonly RevelOrderItem[],
  payments: readonly RevelPayment[],
  histories: readonly RevelOrderHistory[],
): Comparison {
  const differences: Difference[] = [];
  const foreign: string[] = [];

  if (expected.lines) {
    const ours = new Set(expected.lines.map((line) => line.uuid));
    for (const item of items) {
      if (!ours.has(item.uuid)) foreign.push(`OrderItem ${item.id}`);
    }
    for (const line of expected.lines) {
      const item = items.find((candidate) => candidate.uuid === line.uuid);
      if (!item) {
        differences.push({
          kind: 'missing',
          resource: 'OrderItem',
          uuid: line.uuid,
          lineIndex: line.index,
        });
        continue;
      }
      const product = uriId(item.product);
      if (product !== line.productId)
        differences.push({
          kind: 'item',
          id: item.id,
          what: `is product ${product ?? '?'}, the invoice says ${line.productId}`,
        });
      if (item.quantity !== line.quantity)
        differences.push({
          kind: 'item',
          id: item.id,
          what: `has quantity ${String(item.quantity)}, the invoice says ${line.quantity}`,
        });
      const price = cents(item.price);
      if (price !== line.unitPriceCents)
        differences.push({
          kind: 'item',
          id: item.id,
          what: `is priced ${money(price)}, the invoice says ${money(line.unitPriceCents)}`,
        });
    }
  }

  const payment = payments.find((candidate) => candidate.uuid === expected.paymentUuid);
  for (const other of payments) {
    if (other.uuid !== expected.paymentUuid) foreign.push(`Payment ${other.id}`);
  }
  if (expected.finalTotalCents === 0) {
    if (payment) differences.push({ kind: 'unexpected-payment', id: payment.id });
  } else if (!payment) {
    differences.push({ kind: 'missing', resource: 'Payment', uuid: expected.paymentUuid });
  } else {
    const amount = cents(payment.amount);
    if (amount !== expected.finalTotalCents)
      differences.push({
        kind: 'payment',
        id: payment.id,
        actualCents: amount,
        expectedCents: expected.finalTotalCents,
      });
  }

  if (!histories.some((history) => history.uuid === expected.historyUuid)) {
    differences.push({ kind: 'missing', resource: 'OrderHistory', uuid: expected.historyUuid });
  }

  const missing = differences.some((d) => d.kind === 'missing');
  const paymentOff = differences.some((d) => isPaymentDifference(d));
  for (const d of compareHead(expected, order)) {
    if (d.kind === 'total' && foreign.length > 0) continue;
    // What is due and whether the order is closed follow from the payment and the history:
    // a difference there already explains them.
    if (isConsequence(d) && (missing || paymentOff)) continue;
    differences.push(d);
  }
  return { differences, foreign };
}

function isPaymentDifference(d: Difference): boolean {
  return (
    d.kind === 'payment' ||
    d.kind === 'unexpected-payment' ||
    (d.kind === 'missing' && d.resource === 'Payment')
  );
}

/** `remaining_due` and `closed` are Revel's to compute from the payments and the history. */
export function isConsequence(d: Difference): boolean {
  return d.kind === 'not-closed' || (d.kind === 'total' && d.field === 'remaining due');
}

/** Whether a difference is one the payment side explains (see isConsequence). */
export function explainedBy(differences: readonly Difference[]): boolean {
  return differences.some((d) => isPaymentDifference(d));
}

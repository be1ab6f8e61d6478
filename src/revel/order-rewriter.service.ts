import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { toCents } from '../orders/money';
import { resyncItemUuid } from '../orders/order.mapper';
import { OrderDraft, OrderLine } from '../orders/order-draft';
import { centsToDecimal, RevelOrderWriter } from './order-writer.service';
import { RevelClient } from './revel.client';
import { RevelOrder, RevelOrderItem, RevelOrderPatch, revelUri } from './revel.types';

/** What Revel says about an order before a rewrite. */
export type RevelOrderStatus =
  | { kind: 'open'; order: RevelOrder }
  | { kind: 'closed'; order: RevelOrder }
  | { kind: 'deleted'; order?: RevelOrder };

/** The order cannot be rewritten as it stands (e.g. payments we did not write). */
export class OrderRewriteConflictError extends Error {
  override readonly name = 'OrderRewriteConflictError';
}

export interface RewriteResult {
  orderId: number;
  /** Items whose quantity or price changed. */
  updated: number;
  /** Items no longer on the event. */
  removed: number;
  /** Items new on the event. */
  added: number;
  /** Whether the payment amount changed. */
  paymentUpdated: boolean;
}

const URI_ID = /\/(\d+)\/?$/;

function idOf(uri: string | undefined): number | undefined {
  const match = typeof uri === 'string' ? URI_ID.exec(uri) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Rewrites an order we wrote, in place, to equal a new draft: only on an operator's request
 * (resync) and only while the order is open in Revel. Items are paired by Revel product (the k-th
 * item of a product with the k-th line of it): a changed quantity or price is PATCHed, an item no
 * longer wanted is DELETEd, a new line is POSTed with a uuid of its own (v5 of event, line and
 * content hash). Then the order's totals and discount, and our payment's amount, so the order
 * equals the invoice to the cent again. Every step reads Revel first, so a rewrite interrupted
 * half way is completed by running it again, never doubled.
 */
@Injectable()
export class RevelOrderRewriter {
  private readonly logger = new Logger(RevelOrderRewriter.name);

  constructor(
    private readonly client: RevelClient,
    private readonly writer: RevelOrderWriter,
    @Inject(revelConfig.KEY) private readonly config: ConfigType<typeof revelConfig>,
  ) {}

  /** Open, closed (paid and closed at the POS) or deleted (gone, or flagged deleted). */
  async status(orderId: number): Promise<RevelOrderStatus> {
    let order: RevelOrder;
    try {
      order = await this.client.getOrder(orderId);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return { kind: 'deleted' };
      throw error;
    }
    if (order.deleted === true) return { kind: 'deleted', order };
    if (order.closed === true) return { kind: 'closed', order };
    return { kind: 'open', order };
  }

  async rewrite(orderId: number, draft: OrderDraft, hash: string): Promise<RewriteResult> {
    const result: RewriteResult = {
      orderId,
      updated: 0,
      removed: 0,
      added: 0,
      paymentUpdated: false,
    };
    const user = revelUri.user(this.config.userId);
    // Checked before anything is written: a rewrite must not stop half way on a known conflict.
    const payments = await this.client.listPayments(orderId);
    const ours = payments.find((payment) => payment.uuid === draft.paymentUuid);
    if (!ours && (payments.length > 0 || draft.finalTotalCents > 0)) {
      throw new OrderRewriteConflictError(
        `Revel order ${orderId} has no payment written by this service; adjust it at the POS`,
      );
    }
    const existing = [...(await this.client.listOrderItems(orderId))].sort((a, b) => a.id - b.id);
    const byProduct = new Map<number, RevelOrderItem[]>();
    for (const item of existing) {
      const productId = idOf(item.product) ?? -1;
      byProduct.set(productId, [...(byProduct.get(productId) ?? []), item]);
    }
    const wanted = new Map<number, OrderLine[]>();
    for (const line of draft.lines) {
      wanted.set(line.productId, [...(wanted.get(line.productId) ?? []), line]);
    }

    const toAdd: OrderLine[] = [];
    for (const productId of new Set([...byProduct.keys(), ...wanted.keys()])) {
      const items = byProduct.get(productId) ?? [];
      const lines = wanted.get(productId) ?? [];
      for (let k = 0; k < Math.max(items.length, lines.length); k += 1) {
        const item = items[k];
        const line = lines[k];
        if (item && line) {
          const samePrice = toCents(item.price) === line.unitPriceCents;
          if (Number(item.quantity) !== line.quantity || !samePrice) {
            const price = centsToDecimal(line.unitPriceCents);
            await this.client.updateOrderItem(item.id, {
              quantity: line.quantity,
              price,
              initial_price: price,
              price_to_display: price,
              updated_by: user,
              updated_date: draft.localTimestamp,
            });
            result.updated += 1;
          }
        } else if (item) {
          await this.client.deleteOrderItem(item.id);
          result.removed += 1;
        } else if (line) {
          toAdd.push(line);
        }
      }
    }
    // In the event's order, so Revel shows them as TripleSeat lists them.
    for (const line of toAdd.sort((a, b) => a.index - b.index)) {
      const uuid = resyncItemUuid(draft.eventId, line.index, hash, draft.ledgerId);
      await this.client.createOrderItem(this.writer.itemBody(draft, orderId, { ...line, uuid }));
      result.added += 1;
    }

    const order = await this.client.getOrder(orderId);
    const patch: RevelOrderPatch = {
      subtotal: centsToDecimal(draft.subtotalCents),
      surcharge: centsToDecimal(draft.surchargeCents),
      final_total: centsToDecimal(draft.finalTotalCents),
      updated_by: user,
      updated_date: draft.localTimestamp,
    };
    if (draft.discountCents > 0) {
      const amount = centsToDecimal(draft.discountCents);
      Object.assign(patch, {
        discount: revelUri.discount(this.config.discountId),
        discount_amount: amount,
        discount_rule_amount: amount,
        discount_reason: 'Triple Seat Discount',
        discounted_by: user,
      });
    } else if (order.discount || (toCents(order.discount_amount) ?? 0) > 0) {
      Object.assign(patch, {
        discount: null,
        discount_amount: '0.00',
        discount_rule_amount: '0.00',
      });
    }
    await this.client.updateOrder(orderId, patch);

    if (ours && toCents(ours.amount) !== draft.finalTotalCents) {
      await this.client.updatePayment(ours.id, {
        amount: centsToDecimal(draft.finalTotalCents),
        updated_by: user,
        updated_date: draft.localTimestamp,
      });
      result.paymentUpdated = true;
    }
    this.logger.log({ eventId: draft.eventId, ...result }, 'Revel order rewritten on request');
    return result;
  }
}

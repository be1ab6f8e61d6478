import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { revelConfig } from '../config/configuration';
import { centsToDecimalString } from '../orders/money';
import type { OrderLine } from '../orders/order-draft';
import type { ExpectedOrder } from './order-comparison';
import {
  RevelOrderHistoryCreate,
  RevelOrderItemCreate,
  RevelOrderPatch,
  RevelPaymentCreate,
  revelUri,
} from './revel.types';

type Line = Pick<OrderLine, 'uuid' | 'productId' | 'quantity' | 'unitPriceCents'>;

/**
 * The bodies of the records an order of ours is made of, shared by the writer (first write) and
 * the read-back (re-posting a record someone deleted, re-PATCHing the totals), so a repaired
 * record is exactly the one the writer would have sent.
 */
@Injectable()
export class RevelRecordBodies {
  constructor(@Inject(revelConfig.KEY) private readonly config: ConfigType<typeof revelConfig>) {}

  item(order: ExpectedOrder, orderId: number, line: Line): RevelOrderItemCreate {
    const price = centsToDecimalString(line.unitPriceCents);
    return {
      uuid: line.uuid,
      order: revelUri.order(orderId),
      product: revelUri.product(line.productId),
      quantity: line.quantity,
      // All three, so Revel uses the TripleSeat price instead of the catalogue's.
      price,
      initial_price: price,
      price_to_display: price,
      created_by: this.user,
      updated_by: this.user,
      station: this.station,
      created_date: order.localTimestamp,
      updated_date: order.localTimestamp,
      tax_amount: 0,
      modifier_amount: 0,
      tax_rate: 0,
      temp_sort: 0,
      dining_option: this.config.diningOptionId,
    };
  }

  payment(order: ExpectedOrder, orderId: number): RevelPaymentCreate {
    return {
      uuid: order.paymentUuid,
      order: revelUri.order(orderId),
      payment_type: this.config.paymentTypeId,
      amount: centsToDecimalString(order.finalTotalCents),
      tip: '0.00',
      payment_date: order.localTimestamp,
      created_date: order.localTimestamp,
      updated_date: order.localTimestamp,
      created_by: this.user,
      updated_by: this.user,
      station: this.station,
      establishment: revelUri.establishment(order.establishmentId),
    };
  }

  history(order: ExpectedOrder, orderId: number): RevelOrderHistoryCreate {
    return {
      uuid: order.historyUuid,
      order: revelUri.order(orderId),
      order_opened_by: this.user,
      order_opened_at: this.station,
      opened: order.localTimestamp,
      // Our payment always covers the final total, so the order is closed when it is written.
      closed: order.localTimestamp,
    };
  }

  /**
   * The finalizing PATCH: totals, the Triple Seat discount and `printed`. The discount rides on
   * it: the old connector's finalize PATCH already carried `discount` beside the totals and Revel
   * applied it (the captured order's AppliedDiscountOrder). Absolute values: a retried PATCH
   * changes nothing more.
   */
  finalize(order: ExpectedOrder): RevelOrderPatch {
    const amount = centsToDecimalString(order.discountCents);
    const discount =
      order.discountCents > 0
        ? {
            discount: revelUri.discount(this.config.discountId),
            discount_amount: amount,
            discount_rule_amount: amount,
            discount_reason: 'Triple Seat Discount',
            discounted_by: this.user,
          }
        : {};
    return {
      ...discount,
      subtotal: centsToDecimalString(order.subtotalCents),
      surcharge: centsToDecimalString(order.surchargeCents),
      final_total: centsToDecimalString(order.finalTotalCents),
      printed: true,
      updated_by: this.user,
      updated_date: order.localTimestamp,
    };
  }

  private get user(): string {
    return revelUri.user(this.config.userId);
  }

  private get station(): string {
    return revelUri.posStation(this.config.posStationId);
  }
}

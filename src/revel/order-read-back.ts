import { Injectable, Logger, Optional } from '@nestjs/common';
import { UpstreamError } from '../common/upstream.error';
import { MetricsService } from '../metrics/metrics.service';
import type { ReadBackRepair } from '../orders/order-draft';
import { RevelClient } from './revel.client';
import { RevelOrder, RevelResource } from './revel.types';

export type RevelRecordKind = ReadBackRepair['resource'];

/** The order to read back: the one the ledger holds, found by its id, local_id and our uuid. */
export interface ReadBackTarget {
  eventId: string;
  establishmentId: number;
  localId: string;
  orderUuid: string;
  orderId: number;
}

/** A duplicate the read-back deleted (the record kept in its place is `keptId`). */
export type Repair = ReadBackRepair;

export interface ReadBackResult {
  repairs: Repair[];
  /**
   * Duplicates that could not be removed (a second order someone already used, a DELETE Revel
   * refused): `recordIds` names them as `Payment 8100004`, for an operator to remove at the POS.
   */
  unrepairable?: { recordIds: string[]; why: string[] };
}

interface Child extends RevelResource {
  uuid?: string | null;
}

/** One line of history for what a read-back did: `deleted Payment 8100004 (a second copy of 8100003)`. */
export function describeRepairs(repairs: readonly Repair[]): string {
  return repairs
    .map((r) =>
      r.resource === 'Order'
        ? `deleted Revel order ${r.id} (an empty second order for this event; kept ${r.keptId})`
        : `deleted ${r.resource} ${r.id} (a second copy of ${r.keptId}, uuid ${r.uuid ?? '?'})`,
    )
    .join('; ');
}

/**
 * Reads an order back from Revel and removes what a late commit doubled. Revel does not make
 * `uuid` unique (upstream-facts, "Revel"), so a create that Revel committed after our timeout and
 * that was sent again leaves two records with the same uuid: the later copy is deleted (Tastypie's
 * detail DELETE, upstream-facts "Revel DELETE"). A second order carrying our uuid with no items
 * and no payment (an Order POST committed after the settle window) is deleted too. A second order
 * that has items or payments, or a DELETE that Revel refuses, cannot be repaired here: the result
 * names the records for an operator.
 *
 * Four calls when nothing is wrong: the local_id lookup (batched with other lookups of the same
 * establishment), then the order's items, payments and history.
 */
@Injectable()
export class RevelOrderReadBack {
  private readonly logger = new Logger(RevelOrderReadBack.name);

  constructor(
    private readonly client: RevelClient,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async readBack(target: ReadBackTarget): Promise<ReadBackResult> {
    const repairs: Repair[] = [];
    const recordIds: string[] = [];
    const why: string[] = [];
    const remove = async (resource: RevelRecordKind, record: Child, keptId: number) => {
      try {
        await this.client.deleteRecord(resource, record.id);
      } catch (error) {
        // A refusal (4xx) will not change on a retry: the operator removes it at the POS.
        if (error instanceof UpstreamError && !error.retryable) {
          recordIds.push(`${resource} ${record.id}`);
          why.push(`Revel refused to delete ${resource} ${record.id}: ${error.message}`);
          this.metrics?.revelRepair(resource, 'unrepairable');
          return;
        }
        throw error;
      }
      repairs.push({ resource, id: record.id, uuid: record.uuid ?? null, keptId });
      this.metrics?.revelRepair(resource, 'deleted');
    };

    const orders = await this.client.findOrdersByLocalIds(target.establishmentId, [target.localId]);
    const others = uniqueById(orders).filter(
      (order) =>
        order.id !== target.orderId && order.uuid === target.orderUuid && order.deleted !== true,
    );
    for (const other of others) {
      const [items, payments] = await Promise.all([
        this.client.listOrderItems(other.id),
        this.client.listPayments(other.id),
      ]);
      if (items.length === 0 && payments.length === 0 && !isClosed(other)) {
        await remove('Order', other, target.orderId);
      } else {
        recordIds.push(`Order ${other.id}`);
        why.push(
          `Revel order ${other.id} also carries this event's uuid and local_id "${target.localId}" and has ${items.length} item(s) and ${payments.length} payment(s)${isClosed(other) ? ', closed' : ''}`,
        );
        this.metrics?.revelRepair('Order', 'unrepairable');
      }
    }

    const children: [RevelRecordKind, () => Promise<Child[]>][] = [
      ['OrderItem', () => this.client.listOrderItems(target.orderId)],
      ['Payment', () => this.client.listPayments(target.orderId)],
      ['OrderHistory', () => this.client.listOrderHistory(target.orderId)],
    ];
    for (const [resource, list] of children) {
      for (const { copy, kept } of laterCopies(await list())) {
        await remove(resource, copy, kept.id);
      }
    }

    if (repairs.length > 0) {
      this.logger.warn(
        { eventId: target.eventId, orderId: target.orderId, repairs },
        `read-back repaired the Revel order: ${describeRepairs(repairs)}`,
      );
    }
    return recordIds.length > 0 ? { repairs, unrepairable: { recordIds, why } } : { repairs };
  }
}

function uniqueById(orders: RevelOrder[]): RevelOrder[] {
  return [...new Map(orders.map((order) => [order.id, order])).values()];
}

function isClosed(order: RevelOrder): boolean {
  return order.closed === true;
}

/** Every record whose uuid an earlier record (lower id) already has, with that first record. */
function laterCopies(records: Child[]): { copy: Child; kept: Child }[] {
  const first = new Map<string, Child>();
  const copies: { copy: Child; kept: Child }[] = [];
  for (const record of [...records].sort((a, b) => a.id - b.id)) {
    if (typeof record.uuid !== 'string' || record.uuid === '') continue;
    const kept = first.get(record.uuid);
    if (kept) copies.push({ copy: record, kept });
    else first.set(record.uuid, record);
  }
  return copies;
}

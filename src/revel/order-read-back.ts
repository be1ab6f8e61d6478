import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import type { ReadBackRepair } from '../orders/order-draft';
import {
  compareHead,
  compareOrder,
  describeDifference,
  Difference,
  ExpectedOrder,
  explainedBy,
  isConsequence,
  RecordKind,
  repairable,
} from './order-comparison';
import { RevelRecordBodies } from './record-bodies';
import { RevelClient } from './revel.client';
import {
  RevelOrder,
  RevelOrderHistory,
  RevelOrderItem,
  RevelPayment,
  RevelResource,
} from './revel.types';
import { outcomeUnknown } from './write-outcome';

export type RevelRecordKind = ReadBackRepair['resource'];

/** The order to read back: the one the ledger holds, found by its id, local_id and our uuid. */
export interface ReadBackTarget {
  eventId: string;
  establishmentId: number;
  localId: string;
  orderUuid: string;
  orderId: number;
  /** What the order must hold; without it only duplicates are looked for. */
  expected?: ExpectedOrder;
  /** Records whose create had an unknown outcome (uuid → ms): not re-posted inside the window. */
  unknown?: Readonly<Record<string, number>>;
  /** Called when a re-post itself ends with an unknown outcome, before the error propagates. */
  onUnknown?: (uuid: string) => Promise<void>;
  /** The order head, when the caller has just read it (the writer's check): not read again. */
  head?: RevelOrder;
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
  /** What landed differs from the draft and was not repaired: one sentence per difference. */
  mismatch?: string[];
  /** Records on our order that are not ours (`OrderItem 9000012`): noted, never undone. */
  foreign: string[];
}

interface Child extends RevelResource {
  uuid?: string | null;
}

/** One line of history for what a read-back did: `deleted Payment 8100004 (a second copy of 8100003)`. */
export function describeRepairs(repairs: readonly Repair[]): string {
  return repairs
    .map((r) => {
      if (r.action === 'reposted')
        return `posted ${r.resource} ${r.id} again (uuid ${r.uuid}; ours, it was missing)`;
      if (r.action === 'patched')
        return `PATCHed order ${r.id} again with the invoice's totals (${r.fields.join(', ')} differed)`;
      return r.resource === 'Order'
        ? `deleted Revel order ${r.id} (an empty second order for this event; kept ${r.keptId})`
        : `deleted ${r.resource} ${r.id} (a second copy of ${r.keptId}, uuid ${r.uuid ?? '?'})`;
    })
    .join('; ');
}

/** The history note for records on our order that are not ours. */
export function describeForeign(foreign: readonly string[]): string {
  return `not ours, left as they are: ${foreign.join(', ')}`;
}

/**
 * Reads an order back from Revel and removes what a late commit doubled. Revel does not make
 * `uuid` unique (upstream-facts, "Revel"), so a create that Revel committed after our timeout and
 * that was sent again leaves two records with the same uuid: the later copy is deleted (Tastypie's
 * detail DELETE, upstream-facts "Revel DELETE"). A second order carrying our uuid with no items
 * and no payment (an Order POST committed after the settle window) is deleted too. A second order
 * that has items or payments, or a DELETE that Revel refuses, cannot be repaired here: the result
 * names the records for an operator. Given what the order must hold, it then compares and repairs
 * (see `compare`); records without our uuids are noted, never undone.
 *
 * Five calls when nothing is wrong: the local_id lookup (batched with other lookups of the same
 * establishment), the order's items, payments and history, and the order itself (not read again
 * when the caller has just read it).
 */
@Injectable()
export class RevelOrderReadBack {
  private readonly logger = new Logger(RevelOrderReadBack.name);

  constructor(
    private readonly client: RevelClient,
    private readonly bodies: RevelRecordBodies,
    @Inject(revelConfig.KEY) private readonly config: ConfigType<typeof revelConfig>,
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
          return false;
        }
        throw error;
      }
      repairs.push({ resource, id: record.id, uuid: record.uuid ?? null, keptId });
      this.metrics?.revelRepair(resource, 'deleted');
      return true;
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

    // Each list without the later copies deleted: what is left is compared with the draft.
    const kept = async <T extends Child>(resource: RecordKind, records: T[]): Promise<T[]> => {
      const gone = new Set<number>();
      for (const { copy, kept: first } of laterCopies(records)) {
        if (await remove(resource, copy, first.id)) gone.add(copy.id);
      }
      return records.filter((record) => !gone.has(record.id));
    };
    const lists = {
      OrderItem: await kept('OrderItem', await this.client.listOrderItems(target.orderId)),
      Payment: await kept('Payment', await this.client.listPayments(target.orderId)),
      OrderHistory: await kept('OrderHistory', await this.client.listOrderHistory(target.orderId)),
    };

    let mismatch: string[] | undefined;
    let foreign: string[] = [];
    if (target.expected) {
      const found = await this.compare(target, target.expected, lists, repairs);
      mismatch = found.mismatch;
      foreign = found.foreign;
    }

    if (repairs.length > 0) {
      this.logger.warn(
        { eventId: target.eventId, orderId: target.orderId, repairs },
        `read-back repaired the Revel order: ${describeRepairs(repairs)}`,
      );
    }
    if (foreign.length > 0) {
      this.logger.log(
        { eventId: target.eventId, orderId: target.orderId, foreign },
        `read-back found records on our order that are not ours: ${foreign.join(', ')}`,
      );
    }
    if (mismatch) {
      this.logger.warn(
        { eventId: target.eventId, orderId: target.orderId, mismatch },
        `read-back found the Revel order different from the invoice: ${mismatch.join('; ')}`,
      );
    }
    return {
      repairs,
      foreign,
      ...(recordIds.length > 0 ? { unrepairable: { recordIds, why } } : {}),
      ...(mismatch ? { mismatch } : {}),
    };
  }

  /**
   * Compares what landed with the draft and repairs what is safe to repair: a record of ours that
   * is missing is posted again (under the settle rule: not while an earlier create of it may still
   * commit), totals that differ are PATCHed again with the finalize body, and the order head is read
   * once more. What is left (a payment of another amount, an item changed, totals Revel keeps
   * recomputing) is the mismatch an operator resolves.
   */
  private async compare(
    target: ReadBackTarget,
    expected: ExpectedOrder,
    lists: {
      OrderItem: RevelOrderItem[];
      Payment: RevelPayment[];
      OrderHistory: RevelOrderHistory[];
    },
    repairs: Repair[],
  ): Promise<{ mismatch?: string[]; foreign: string[] }> {
    const head = target.head ?? (await this.client.getOrder(target.orderId));
    const { differences, foreign } = compareOrder(
      expected,
      head,
      lists.OrderItem,
      lists.Payment,
      lists.OrderHistory,
    );
    const left: Difference[] = differences.filter((d) => !repairable(d));
    let reposted = false;
    for (const d of differences) {
      if (d.kind !== 'missing') continue;
      const id = await this.repost(target, expected, d.resource, d.uuid);
      repairs.push({ action: 'reposted', resource: d.resource, id, uuid: d.uuid });
      this.metrics?.revelRepair(d.resource, 'reposted');
      reposted = true;
    }
    const headDiffers = differences.some((d) => d.kind === 'total' || d.kind === 'not-printed');
    if (headDiffers || reposted) {
      // Totals and flags as they are now (a re-post may have changed them), PATCHed once if wrong.
      // What is due and `closed` are Revel's to derive; a payment difference left explains them.
      const paymentOff = explainedBy(left);
      const wrong = (order: RevelOrder) =>
        compareHead(expected, order).filter(
          (d) => !(d.kind === 'total' && foreign.length > 0) && !(paymentOff && isConsequence(d)),
        );
      let now = reposted ? await this.client.getOrder(target.orderId) : head;
      const patchable = wrong(now).filter(
        (d) => (d.kind === 'total' && !isConsequence(d)) || d.kind === 'not-printed',
      );
      if (patchable.length > 0) {
        await this.client.updateOrder(target.orderId, this.bodies.finalize(expected));
        repairs.push({
          action: 'patched',
          resource: 'Order',
          id: target.orderId,
          fields: patchable.map((d) => (d.kind === 'total' ? d.field : 'printed')),
        });
        this.metrics?.revelRepair('Order', 'patched');
        now = await this.client.getOrder(target.orderId);
      }
      for (const d of wrong(now)) {
        if (!left.some((l) => l.kind === d.kind && sameField(l, d))) left.push(d);
      }
    }
    if (left.length === 0) return { foreign };
    this.metrics?.revelRepair('Order', 'mismatch');
    return { mismatch: left.map(describeDifference), foreign };
  }

  /** Posts a record of ours again; the settle rule holds here as in the writer. */
  private async repost(
    target: ReadBackTarget,
    expected: ExpectedOrder,
    resource: RecordKind,
    uuid: string,
  ): Promise<number> {
    const since = target.unknown?.[uuid];
    const waitMs =
      since === undefined ? 0 : since + this.config.writeSettleSeconds * 1000 - Date.now();
    if (waitMs > 0) {
      throw new UpstreamError(
        'revel',
        `${resource} ${uuid} is missing but an earlier create of it may still commit; not posting it again for ${Math.ceil(waitMs / 1000)} s`,
        undefined,
        true,
        waitMs,
        'WRITE_OUTCOME_PENDING',
      );
    }
    try {
      if (resource === 'Payment') {
        return (await this.client.createPayment(this.bodies.payment(expected, target.orderId))).id;
      }
      if (resource === 'OrderHistory') {
        return (await this.client.createOrderHistory(this.bodies.history(expected, target.orderId)))
          .id;
      }
      const line = expected.lines?.find((candidate) => candidate.uuid === uuid);
      if (!line) throw new Error(`no line of event ${target.eventId} has uuid ${uuid}`);
      return (await this.client.createOrderItem(this.bodies.item(expected, target.orderId, line)))
        .id;
    } catch (error) {
      if (outcomeUnknown(error)) await target.onUnknown?.(uuid);
      throw error;
    }
  }
}

function sameField(a: Difference, b: Difference): boolean {
  return a.kind !== 'total' || b.kind !== 'total' || a.field === b.field;
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

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import {
  OrderDraft,
  OrderLine,
  OrderWriteOutcome,
  OrderWriteProgress,
  ReadBackRepair,
} from '../orders/order-draft';
import { RevelOrderReadBack } from './order-read-back';
import { RevelClient } from './revel.client';
import { compareHead } from './order-comparison';
import { RevelRecordBodies } from './record-bodies';
import { outcomeUnknown, WritesStoppedError } from './write-outcome';

export { WritesStoppedError } from './write-outcome';
import { RevelOrder, RevelOrderCreate, RevelOrderItemCreate, revelUri } from './revel.types';

/** Integer cents → Revel's decimal string ("108.80"), by integer arithmetic only. */
export function centsToDecimal(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const fraction = abs % 100;
  return `${sign}${(abs - fraction) / 100}.${String(fraction).padStart(2, '0')}`;
}

/** A draft that contradicts itself must not reach a POS: its totals would be wrong to the cent. */
export class InvalidOrderDraftError extends Error {
  override readonly name = 'InvalidOrderDraftError';
}

function assertConsistent(draft: OrderDraft): void {
  const problems: string[] = [];
  const money = {
    subtotalCents: draft.subtotalCents,
    discountCents: draft.discountCents,
    surchargeCents: draft.surchargeCents,
    finalTotalCents: draft.finalTotalCents,
  };
  for (const [name, value] of Object.entries(money)) {
    if (!Number.isSafeInteger(value) || value < 0)
      problems.push(`${name} must be whole, non-negative cents`);
  }
  if (draft.lines.length === 0) problems.push('no lines');
  for (const line of draft.lines) {
    if (!Number.isSafeInteger(line.unitPriceCents) || !Number.isSafeInteger(line.lineTotalCents)) {
      problems.push(`line ${line.index}: prices must be whole cents`);
    }
    if (!(line.quantity > 0)) problems.push(`line ${line.index}: quantity must be positive`);
  }
  const lineSum = draft.lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
  if (lineSum !== draft.subtotalCents)
    problems.push(`lines sum to ${lineSum}, subtotal is ${draft.subtotalCents}`);
  const expectedFinal = draft.subtotalCents - draft.discountCents + draft.surchargeCents;
  if (expectedFinal !== draft.finalTotalCents) {
    problems.push(
      `subtotal − discount + surcharge = ${expectedFinal}, final total is ${draft.finalTotalCents}`,
    );
  }
  if (new Set(draft.lines.map((line) => line.uuid)).size !== draft.lines.length)
    problems.push('line uuids repeat');
  if (problems.length > 0) {
    throw new InvalidOrderDraftError(
      `order draft for event ${draft.eventId} is inconsistent: ${problems.join('; ')}`,
    );
  }
}

/** Codes of the waits the settle window imposes (retryable, hinted; not failures of the event). */
export const SETTLE_WAIT_CODES: ReadonlySet<string> = new Set([
  'WRITE_OUTCOME_PENDING',
  'READ_BACK_PENDING',
]);

export interface WriteOptions {
  /**
   * Asked right before a new Order POST is sent (after the rate limiter): false stops the write
   * there with WritesStoppedError. The steps of an order already created are not asked.
   */
  mayCreateOrder?: () => Promise<boolean>;
}

type Lookup =
  { kind: 'ours'; order: RevelOrder } | { kind: 'foreign'; order: RevelOrder } | { kind: 'none' };

/**
 * Writes one OrderDraft to Revel as a sequence of idempotent, resumable steps: order, items,
 * discount, payment, totals, history. Each record carries a deterministic uuid from the draft, so
 * any step can be re-run after a crash: it first reads what Revel already has and writes only what
 * is missing. Progress is handed to `saveProgress` after every step, so the ledger can resume.
 */
@Injectable()
export class RevelOrderWriter {
  private readonly logger = new Logger(RevelOrderWriter.name);

  constructor(
    private readonly client: RevelClient,
    @Inject(revelConfig.KEY) private readonly config: ConfigType<typeof revelConfig>,
    private readonly readBack: RevelOrderReadBack,
    private readonly bodies: RevelRecordBodies,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async write(
    draft: OrderDraft,
    progress: OrderWriteProgress,
    saveProgress: (p: OrderWriteProgress) => Promise<void>,
    options: WriteOptions = {},
  ): Promise<OrderWriteOutcome> {
    assertConsistent(draft);
    const state: OrderWriteProgress = {
      ...progress,
      itemsDone: [...(progress.itemsDone ?? [])],
      unknown: { ...(progress.unknown ?? {}) },
      expected: {
        lines: draft.lines.map(({ index, uuid, productId, quantity, unitPriceCents }) => ({
          index,
          uuid,
          productId,
          quantity,
          unitPriceCents,
        })),
        localTimestamp: progress.expected?.localTimestamp ?? draft.localTimestamp,
      },
    };
    if (state.createUnknownAt !== undefined) {
      state.unknown = { [draft.orderUuid]: state.createUnknownAt, ...state.unknown };
      delete state.createUnknownAt;
    }
    const save = () => {
      const { unknown, ...rest } = state;
      const pending = Object.keys(unknown ?? {}).length > 0;
      return saveProgress({
        ...rest,
        itemsDone: [...(state.itemsDone ?? [])],
        ...(pending ? { unknown: { ...unknown } } : {}),
      });
    };
    let resumed = state.orderId !== undefined;
    // An order this very call created holds nothing we did not add ourselves (each step below
    // runs only after the previous one succeeded), so its items, payments and history need no
    // listing. That saves three Revel calls per event against a rate-limited API.
    let fresh = false;

    if (state.orderId === undefined) {
      const found = await this.lookup(draft);
      if (found.kind === 'foreign') {
        this.logger.log(
          { eventId: draft.eventId, orderId: found.order.id, localId: found.order.local_id },
          'an order we did not write already exists for this event; leaving it untouched',
        );
        return {
          kind: 'already-exists',
          orderId: found.order.id,
          localId: found.order.local_id ?? draft.localId,
        };
      }
      if (found.kind === 'ours') {
        // We created it before (or Revel committed it late) and the ledger had not heard of it.
        this.seen(state, draft.orderUuid);
        state.orderId = found.order.id;
        resumed = true;
      } else {
        this.assertSettled(state, draft.orderUuid, 'Order');
        let created: { order: RevelOrder; adopted: boolean };
        try {
          created = await this.createOrder(draft, options.mayCreateOrder);
        } catch (error) {
          if (outcomeUnknown(error)) {
            this.markUnknown(state, draft.orderUuid);
            await save();
          }
          throw error;
        }
        this.seen(state, draft.orderUuid);
        // A POST that succeeded, or one whose unknown outcome turned out to be a success.
        this.metrics?.revelOrderCreated();
        state.orderId = created.order.id;
        resumed = created.adopted;
        fresh = !created.adopted;
      }
      await save();
    }

    const orderId = state.orderId;
    await this.writeItems(draft, orderId, state, save, fresh);

    if (draft.finalTotalCents > 0 && !state.paymentDone) {
      const payments = fresh ? [] : await this.client.listPayments(orderId);
      await this.createOnce(state, save, draft.paymentUuid, 'Payment', payments, () =>
        this.client.createPayment(this.bodies.payment(draft, orderId)),
      );
      state.paymentDone = true;
      await save();
    }

    if (!state.finalized) {
      const finalized = await this.client.updateOrder(orderId, this.bodies.finalize(draft));
      // Revel has been seen to drop `printed` from a combined PATCH (upstream-facts §3.3); insist once.
      if (finalized.printed === false) await this.client.updateOrder(orderId, { printed: true });
      state.finalized = true;
      await save();
    }

    if (!state.historyDone) {
      const histories = fresh ? [] : await this.client.listOrderHistory(orderId);
      await this.createOnce(state, save, draft.historyUuid, 'OrderHistory', histories, () =>
        this.client.createOrderHistory(this.bodies.history(draft, orderId)),
      );
      state.historyDone = true;
      await save();
    }

    const outcome = await this.verify(draft, orderId, state, save);
    if (outcome.kind !== 'verified') return outcome;
    this.logger.log({ eventId: draft.eventId, orderId, resumed }, 'Revel order written');
    return {
      kind: 'written',
      orderId,
      resumed,
      repairs: outcome.repairs,
      ...(outcome.foreign.length > 0 ? { foreign: outcome.foreign } : {}),
    };
  }

  /**
   * The read-back that ends a write. With no doubt about any create, the order head is read once
   * (one detail GET) and compared with the draft (totals to the cent, `printed`, `closed`, not
   * `deleted`); only a difference leads to the full read-back. When a create had an unknown outcome
   * or was sent again after its window, the full read-back runs once the settle window has passed
   * since (the event waits, retryable, until then). The full read-back deletes what a late commit
   * doubled, compares what landed with the draft and repairs what it safely can (see
   * RevelOrderReadBack); reconciliation reads every recent order back once more (ReadBackService).
   */
  private async verify(
    draft: OrderDraft,
    orderId: number,
    state: OrderWriteProgress,
    save: () => Promise<void>,
  ): Promise<
    | { kind: 'verified'; repairs: ReadBackRepair[]; foreign: string[] }
    | Extract<OrderWriteOutcome, { kind: 'duplicate' | 'mismatch' }>
  > {
    if (state.verified === true) return { kind: 'verified', repairs: [], foreign: [] };
    let head: RevelOrder | undefined;
    if (state.readBackAfter === undefined) {
      if (state.checked === true) return { kind: 'verified', repairs: [], foreign: [] };
      // No doubt about any create: one detail GET says whether the totals and flags landed as
      // sent (Revel attaches taxes and recomputes totals itself, upstream-facts "Revel order
      // detail"). Only a difference costs the full read-back.
      head = await this.client.getOrder(orderId);
      if (compareHead(draft, head).length === 0) {
        state.checked = true;
        await save();
        return { kind: 'verified', repairs: [], foreign: [] };
      }
    } else {
      const waitMs = state.readBackAfter - Date.now();
      if (waitMs > 0) {
        await save();
        throw new UpstreamError(
          'revel',
          `order ${orderId} is written; a create of unknown outcome may still commit, so it is read back in ${Math.ceil(waitMs / 1000)} s`,
          undefined,
          true,
          waitMs,
          'READ_BACK_PENDING',
        );
      }
    }
    const result = await this.readBack.readBack({
      eventId: draft.eventId,
      establishmentId: draft.establishmentId,
      localId: draft.localId,
      orderUuid: draft.orderUuid,
      orderId,
      expected: draft,
      unknown: state.unknown,
      onUnknown: async (uuid) => {
        this.markUnknown(state, uuid);
        await save();
      },
      ...(head ? { head } : {}),
    });
    if (result.unrepairable) {
      return {
        kind: 'duplicate',
        orderId,
        recordIds: result.unrepairable.recordIds,
        why: result.unrepairable.why,
        repairs: result.repairs,
      };
    }
    if (result.mismatch) {
      return { kind: 'mismatch', orderId, differences: result.mismatch, repairs: result.repairs };
    }
    if (state.readBackAfter === undefined) state.checked = true;
    else state.verified = true;
    await save();
    return { kind: 'verified', repairs: result.repairs, foreign: result.foreign };
  }

  /**
   * One create under the settle rule. `listed` is a fresh listing (empty for a fresh order): a
   * record carrying `uuid` there is done. Not there while an earlier create of it has an unknown
   * outcome younger than the settle window: the event waits (retryable, hinted). Otherwise it is
   * sent; an unknown outcome is recorded and the error propagates.
   */
  private async createOnce(
    state: OrderWriteProgress,
    save: () => Promise<void>,
    uuid: string,
    resource: string,
    listed: readonly { uuid?: string | null }[],
    create: () => Promise<unknown>,
  ): Promise<void> {
    if (listed.some((record) => record.uuid === uuid)) {
      this.seen(state, uuid);
      return;
    }
    this.assertSettled(state, uuid, resource);
    try {
      await create();
    } catch (error) {
      if (outcomeUnknown(error)) {
        this.markUnknown(state, uuid);
        await save();
      }
      throw error;
    }
    this.seen(state, uuid);
  }

  /** A record whose create has an unknown outcome: no new create before the window has passed. */
  private markUnknown(state: OrderWriteProgress, uuid: string): void {
    const now = Date.now();
    state.unknown = { ...state.unknown, [uuid]: now };
    this.doubt(state, now);
  }

  private seen(state: OrderWriteProgress, uuid: string): void {
    if (state.unknown && uuid in state.unknown) {
      const { [uuid]: _, ...rest } = state.unknown;
      state.unknown = rest;
    }
  }

  /** The order is read back once the settle window has passed from `at`. */
  private doubt(state: OrderWriteProgress, at: number): void {
    const after = at + this.settleMs;
    state.readBackAfter = Math.max(state.readBackAfter ?? 0, after);
    state.verified = false;
  }

  private get settleMs(): number {
    return this.config.writeSettleSeconds * 1000;
  }

  /**
   * Refuses to create `uuid` again while an earlier create of it may still be committing in Revel
   * (its outcome was unknown and a fresh lookup did not find it). Wall-clock time on purpose: this
   * is about when Revel may still commit, not business time. The caller retries after the hinted
   * delay. Once the window has passed the create may be sent again, and the order is read back
   * one more window later, in case Revel was slower than the window.
   */
  private assertSettled(state: OrderWriteProgress, uuid: string, resource: string): void {
    const since = state.unknown?.[uuid];
    if (since === undefined) return;
    const waitMs = since + this.settleMs - Date.now();
    if (waitMs > 0) {
      throw new UpstreamError(
        'revel',
        `an earlier ${resource} create has an unknown outcome and is not in Revel yet; not sending it again for ${Math.ceil(waitMs / 1000)} s`,
        undefined,
        true,
        waitMs,
        'WRITE_OUTCOME_PENDING',
      );
    }
    this.seen(state, uuid);
    this.doubt(state, Date.now());
  }

  /**
   * Every order of the establishment under our local_id or a legacy one. Ours is recognised by
   * the draft's uuid; any other means someone else already booked this event. A failed lookup
   * throws (retryable), it is never read as "none".
   */
  private async lookup(draft: OrderDraft): Promise<Lookup> {
    // Every form in one call (local_id__in): ours and the old connector's (upstream-facts §3.1).
    const orders = await this.client.findOrdersByLocalIds(draft.establishmentId, [
      draft.localId,
      ...draft.legacyLocalIds,
    ]);
    const byId = [...new Map(orders.map((order) => [order.id, order])).values()].sort(
      (a, b) => a.id - b.id,
    );
    const ours = byId.find((order) => order.uuid === draft.orderUuid);
    const foreign = byId.find((order) => order.uuid !== draft.orderUuid);
    if (ours && ours.deleted === true) {
      // Someone deleted our order in the POS on purpose; writing it again would undo their decision.
      return { kind: 'foreign', order: ours };
    }
    if (ours) {
      if (foreign) {
        this.logger.warn(
          { eventId: draft.eventId, ours: ours.id, other: foreign.id },
          'another order exists for this event besides ours; completing ours, an operator should check',
        );
      }
      return { kind: 'ours', order: ours };
    }
    return foreign ? { kind: 'foreign', order: foreign } : { kind: 'none' };
  }

  /**
   * Creates the order. The POST is never retried blindly: when its outcome is unknown (timeout,
   * 5xx, dropped connection) Revel may have committed it, and since Revel does not enforce uuid or
   * local_id uniqueness a second POST would be a second order. So we look again by local_id and
   * adopt the order carrying our uuid. If it is not there the error propagates and the caller's
   * retry, later, starts with the lookup again; this leaves time for a commit still in flight.
   */
  private async createOrder(
    draft: OrderDraft,
    mayCreate?: () => Promise<boolean>,
  ): Promise<{ order: RevelOrder; adopted: boolean }> {
    const guard = mayCreate
      ? async () => {
          if (!(await mayCreate())) {
            throw new WritesStoppedError(
              `the connector is off: order of event ${draft.eventId} not created`,
            );
          }
        }
      : undefined;
    try {
      return { order: await this.client.createOrder(this.orderBody(draft), guard), adopted: false };
    } catch (error) {
      if (!outcomeUnknown(error)) throw error;
      this.logger.warn(
        { eventId: draft.eventId, error: error instanceof Error ? error.message : String(error) },
        'order create outcome unknown; looking it up before anything else',
      );
      const orders = await this.client.findOrdersByLocalId(draft.establishmentId, draft.localId);
      const ours = orders
        .filter((order) => order.uuid === draft.orderUuid)
        .sort((a, b) => a.id - b.id)[0];
      if (ours) return { order: ours, adopted: true };
      throw error;
    }
  }

  private async writeItems(
    draft: OrderDraft,
    orderId: number,
    state: OrderWriteProgress,
    save: () => Promise<void>,
    fresh: boolean,
  ): Promise<void> {
    const done = new Set(state.itemsDone);
    const pending = draft.lines.filter((line) => !done.has(line.index));
    if (pending.length === 0) return;
    const record = (line: OrderLine) => {
      done.add(line.index);
      state.itemsDone = [...done].sort((a, b) => a - b);
    };

    const listed = fresh ? [] : await this.client.listOrderItems(orderId);
    const existing = new Set(listed.map((item) => item.uuid));
    const missing = pending.filter((line) => !existing.has(line.uuid));
    if (missing.length < pending.length) {
      pending
        .filter((line) => existing.has(line.uuid))
        .forEach((line) => {
          this.seen(state, line.uuid);
          record(line);
        });
      await save();
    }
    // One at a time and in order: Revel shows items in creation order, and each success is saved.
    for (const line of missing) {
      await this.createOnce(state, save, line.uuid, 'OrderItem', [], () =>
        this.client.createOrderItem(this.itemBody(draft, orderId, line)),
      );
      record(line);
      await save();
    }
  }

  private orderBody(draft: OrderDraft): RevelOrderCreate {
    const body: RevelOrderCreate = {
      uuid: draft.orderUuid,
      establishment: revelUri.establishment(draft.establishmentId),
      local_id: draft.localId,
      notes: draft.notes,
      pos_mode: 'Q',
      web_order: true,
      dining_option: this.config.diningOptionId,
      created_by: this.userUri(),
      updated_by: this.userUri(),
      // Only fields a captured real order has (upstream-facts §2.4): no `station` and no `opened` on
      // Order. Revel names the station fields created_at/last_updated_at; URIs, not times.
      created_at: this.stationUri(),
      last_updated_at: this.stationUri(),
      created_date: draft.localTimestamp,
      updated_date: draft.localTimestamp,
      subtotal: 0,
      final_total: 0,
      tax: 0,
      remaining_due: 0,
      surcharge: 0,
    };
    if (draft.callName) body.call_name = draft.callName;
    return body;
  }

  /** The OrderItem record of one line (also used by the resync, with the line's new uuid). */
  itemBody(draft: OrderDraft, orderId: number, line: OrderLine): RevelOrderItemCreate {
    return this.bodies.item(draft, orderId, line);
  }

  private userUri(): string {
    return revelUri.user(this.config.userId);
  }

  private stationUri(): string {
    return revelUri.posStation(this.config.posStationId);
  }
}

import { Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { Clock } from '../common/clock';
import { DatabaseService } from './database.service';
import {
  Database,
  HistoryRow,
  LedgerState,
  ORDER_EXISTS_STATES,
  ReconciliationRunRow,
  RunStatus,
  SyncEventRow,
  SyncEventUpdate,
} from './database.types';

type Db = Kysely<Database> | Transaction<Database>;

export interface EnqueueOptions {
  correlationId?: string;
  sourceUpdatedAt?: string;
  /** Why the event is queued (history only). */
  reason?: string;
  /**
   * Reconciliation re-arms settled-but-orderless rows (SKIPPED, DRY_RUN, FAILED) only when
   * TripleSeat says the event changed; a webhook or an operator re-arms them always.
   */
  onlyIfChanged?: boolean;
}

export interface Outcome {
  state: LedgerState;
  reason: string;
  detail?: string;
  revelOrderId?: string | null;
  establishmentId?: number | null;
  locationKey?: string | null;
  eventDate?: string | null;
  nextAttemptAt?: number;
  attempts?: number;
  orderSummary?: unknown;
  contentHash?: string | null;
  sourceUpdatedAt?: string | null;
  progress?: unknown;
}

/** Rows that wait for the worker. */
const WAITING: LedgerState[] = ['PENDING', 'HELD'];
/** Settled without an order: a change in TripleSeat may make them eligible again. */
const REARMABLE: LedgerState[] = ['SKIPPED', 'DRY_RUN', 'FAILED'];

/**
 * The ledger: one row per TripleSeat event, the history of each, webhook deliveries and
 * reconciliation runs. Every write by a worker is fenced by its lease, so a worker that lost its
 * lease (it stalled, another took over) can never overwrite the newer truth.
 */
@Injectable()
export class LedgerRepository {
  constructor(
    private readonly database: DatabaseService,
    private readonly clock: Clock,
  ) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  async get(eventId: string): Promise<SyncEventRow | undefined> {
    return this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('event_id', '=', eventId)
      .executeTakeFirst();
  }

  async getMany(eventIds: string[]): Promise<SyncEventRow[]> {
    if (eventIds.length === 0) return [];
    return this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('event_id', 'in', eventIds)
      .execute();
  }

  async history(eventId: string): Promise<HistoryRow[]> {
    return this.db
      .selectFrom('sync_event_history')
      .selectAll()
      .where('event_id', '=', eventId)
      .orderBy('id')
      .execute();
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('sync_events')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  /**
   * Records a webhook delivery and queues its events in one transaction: when this returns, the
   * delivery is durable. Returns false when the same delivery was recorded before.
   */
  async recordDelivery(
    deliveryKey: string,
    trigger: string,
    eventIds: string[],
    correlationId: string | undefined,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('webhook_deliveries')
        .values({
          delivery_key: deliveryKey,
          trigger,
          event_ids: JSON.stringify(eventIds),
          received_at: this.now(),
          correlation_id: correlationId ?? null,
        })
        .onConflict((oc) => oc.column('delivery_key').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      for (const eventId of eventIds) {
        await this.enqueueIn(trx, eventId, { correlationId, reason: `webhook ${trigger}` });
      }
      return true;
    });
  }

  async countDeliveries(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Makes sure the event will be processed; never disturbs an event that has its order. */
  async enqueue(eventId: string, options: EnqueueOptions = {}): Promise<SyncEventRow> {
    return this.db.transaction().execute(async (trx) => {
      await this.enqueueIn(trx, eventId, options);
      return trx
        .selectFrom('sync_events')
        .selectAll()
        .where('event_id', '=', eventId)
        .executeTakeFirstOrThrow();
    });
  }

  private async enqueueIn(trx: Db, eventId: string, options: EnqueueOptions): Promise<void> {
    const now = this.now();
    const inserted = await trx
      .insertInto('sync_events')
      .values({
        event_id: eventId,
        state: 'PENDING',
        reason: 'QUEUED',
        detail: options.reason ?? null,
        attempts: 0,
        next_attempt_at: now,
        source_updated_at: options.sourceUpdatedAt ?? null,
        correlation_id: options.correlationId ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
      await this.addHistory(
        trx,
        eventId,
        'PENDING',
        'QUEUED',
        options.reason,
        options.correlationId,
      );
      return;
    }
    // Waiting rows are due now (a HELD event's date may have moved to today).
    await trx
      .updateTable('sync_events')
      .set({ next_attempt_at: now, updated_at: now, correlation_id: options.correlationId ?? null })
      .where('event_id', '=', eventId)
      .where('state', 'in', WAITING)
      .where((eb) => eb.or([eb('state', '=', 'PENDING'), eb('next_attempt_at', '>', now)]))
      .execute();
    let rearm = trx
      .updateTable('sync_events')
      .set({
        state: 'PENDING',
        reason: 'QUEUED',
        detail: options.reason ?? null,
        attempts: 0,
        next_attempt_at: now,
        correlation_id: options.correlationId ?? null,
        updated_at: now,
      })
      .where('event_id', '=', eventId)
      .where('state', 'in', REARMABLE);
    if (options.onlyIfChanged) {
      const changed = options.sourceUpdatedAt ?? '';
      rearm = rearm.where((eb) =>
        eb.or([eb('source_updated_at', 'is', null), eb('source_updated_at', '!=', changed)]),
      );
    }
    const rearmed = await rearm.executeTakeFirst();
    if (Number(rearmed.numUpdatedRows) > 0) {
      await this.addHistory(
        trx,
        eventId,
        'PENDING',
        'QUEUED',
        options.reason,
        options.correlationId,
      );
    }
  }

  /**
   * Claims up to `limit` due rows for `owner` (or one given row). A row whose lease expired
   * (its worker died) is due again. On PostgreSQL, SKIP LOCKED keeps replicas off each other's
   * rows; SQLite has one writer, so the statement is atomic as it stands.
   */
  async claim(
    owner: string,
    limit: number,
    leaseMs: number,
    eventId?: string,
  ): Promise<SyncEventRow[]> {
    const now = this.now();
    const postgres = this.database.dialect === 'postgres';
    return this.db
      .updateTable('sync_events')
      .set({
        state: 'IN_PROGRESS',
        lease_owner: owner,
        lease_expires_at: now + leaseMs,
        updated_at: now,
      })
      .where('event_id', 'in', (eb) =>
        eb
          .selectFrom('sync_events')
          .select('event_id')
          .$if(eventId !== undefined, (q) => q.where('event_id', '=', eventId ?? ''))
          .where((w) =>
            w.or([
              w.and([w('state', 'in', WAITING), w('next_attempt_at', '<=', now)]),
              w.and([w('state', '=', 'IN_PROGRESS'), w('lease_expires_at', '<', now)]),
            ]),
          )
          .orderBy('next_attempt_at')
          .limit(limit)
          .$if(postgres, (q) => q.forUpdate().skipLocked()),
      )
      .where((w) =>
        w.or([
          w('state', 'in', WAITING),
          w.and([w('state', '=', 'IN_PROGRESS'), w('lease_expires_at', '<', now)]),
        ]),
      )
      .returningAll()
      .execute();
  }

  async renewLease(eventId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const result = await this.fenced(eventId, owner, {
      lease_expires_at: now + leaseMs,
      updated_at: now,
    });
    return result;
  }

  /** Saves Revel write progress under the lease; false when the lease was lost. */
  async saveProgress(
    eventId: string,
    owner: string,
    progress: unknown,
    leaseMs: number,
    revelOrderId?: string,
  ): Promise<boolean> {
    const now = this.now();
    return this.fenced(eventId, owner, {
      progress: JSON.stringify(progress),
      ...(revelOrderId ? { revel_order_id: revelOrderId } : {}),
      lease_expires_at: now + leaseMs,
      updated_at: now,
    });
  }

  /** Ends processing with an outcome and releases the lease. False when the lease was lost. */
  async settle(
    eventId: string,
    owner: string,
    outcome: Outcome,
    correlationId?: string,
  ): Promise<boolean> {
    const now = this.now();
    const update: SyncEventUpdate = {
      state: outcome.state,
      reason: outcome.reason,
      detail: outcome.detail ?? null,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
      next_attempt_at: outcome.nextAttemptAt ?? now,
    };
    if (outcome.attempts !== undefined) update.attempts = outcome.attempts;
    if (outcome.revelOrderId !== undefined) update.revel_order_id = outcome.revelOrderId;
    if (outcome.establishmentId !== undefined) update.establishment_id = outcome.establishmentId;
    if (outcome.locationKey !== undefined) update.location_key = outcome.locationKey;
    if (outcome.eventDate !== undefined) update.event_date = outcome.eventDate;
    if (outcome.orderSummary !== undefined)
      update.order_summary = JSON.stringify(outcome.orderSummary);
    if (outcome.contentHash !== undefined) update.content_hash = outcome.contentHash;
    if (outcome.sourceUpdatedAt !== undefined) update.source_updated_at = outcome.sourceUpdatedAt;
    if (outcome.progress !== undefined) update.progress = JSON.stringify(outcome.progress);
    return this.db.transaction().execute(async (trx) => {
      const ok = await this.fenced(eventId, owner, update, trx);
      if (ok) {
        await this.addHistory(
          trx,
          eventId,
          outcome.state,
          outcome.reason,
          outcome.detail,
          correlationId,
        );
      }
      return ok;
    });
  }

  /** Gives a claimed row back untouched (shutdown): due at once for whoever comes next. */
  async release(eventId: string, owner: string): Promise<boolean> {
    const now = this.now();
    return this.fenced(eventId, owner, {
      state: 'PENDING',
      lease_owner: null,
      lease_expires_at: null,
      next_attempt_at: now,
      updated_at: now,
    });
  }

  private async fenced(
    eventId: string,
    owner: string,
    update: SyncEventUpdate,
    db: Db = this.db,
  ): Promise<boolean> {
    const result = await db
      .updateTable('sync_events')
      .set(update)
      .where('event_id', '=', eventId)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'IN_PROGRESS')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private async addHistory(
    db: Db,
    eventId: string,
    state: LedgerState,
    reason: string | undefined,
    detail: string | undefined,
    correlationId: string | undefined,
  ): Promise<void> {
    await db
      .insertInto('sync_event_history')
      .values({
        event_id: eventId,
        at: this.now(),
        state,
        reason: reason ?? null,
        detail: detail ?? null,
        correlation_id: correlationId ?? null,
      })
      .execute();
  }

  /** Ids among `eventIds` whose order exists: reconciliation leaves them alone. */
  async settledWithOrder(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('sync_events')
      .select('event_id')
      .where('event_id', 'in', eventIds)
      .where('state', 'in', ORDER_EXISTS_STATES)
      .execute();
    return new Set(rows.map((r) => r.event_id));
  }

  // Reconciliation runs

  /** Takes a scheduled slot; undefined when another replica (or an earlier life) has it. */
  async claimSlot(
    slot: number,
    owner: string,
    hoursBack: number,
    correlationId: string,
  ): Promise<number | undefined> {
    const row = await this.db
      .insertInto('reconciliation_runs')
      .values({
        slot,
        kind: 'scheduled',
        owner,
        status: 'running',
        started_at: this.now(),
        hours_back: hoursBack,
        correlation_id: correlationId,
      })
      .onConflict((oc) => oc.column('slot').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row ? Number(row.id) : undefined;
  }

  async startManualRun(owner: string, hoursBack: number, correlationId: string): Promise<number> {
    const row = await this.db
      .insertInto('reconciliation_runs')
      .values({
        slot: null,
        kind: 'manual',
        owner,
        status: 'running',
        started_at: this.now(),
        hours_back: hoursBack,
        correlation_id: correlationId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async finishRun(id: number, status: RunStatus, summary: unknown, error?: string): Promise<void> {
    await this.db
      .updateTable('reconciliation_runs')
      .set({
        status,
        finished_at: this.now(),
        summary: JSON.stringify(summary),
        error: error ?? null,
      })
      .where('id', '=', id)
      .execute();
  }

  async lastRun(status?: RunStatus): Promise<ReconciliationRunRow | undefined> {
    return this.db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .$if(status !== undefined, (q) => q.where('status', '=', status ?? 'succeeded'))
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async lastScheduledSlot(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('reconciliation_runs')
      .select((eb) => eb.fn.max('slot').as('slot'))
      .executeTakeFirst();
    return row?.slot === null || row?.slot === undefined ? undefined : Number(row.slot);
  }

  async recentRuns(limit: number): Promise<ReconciliationRunRow[]> {
    return this.db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}

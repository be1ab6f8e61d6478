import { Injectable, Optional } from '@nestjs/common';
import { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import { Clock } from '../common/clock';
import { MetricsService } from '../metrics/metrics.service';
import { DatabaseService } from './database.service';
import {
  Database,
  HistoryRow,
  LedgerState,
  ORDER_EXISTS_STATES,
  OUR_ORDER_STATES,
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
   * TripleSeat says the event changed, or when it FAILED on an upstream outage; a webhook or an
   * operator re-arms them always.
   */
  onlyIfChanged?: boolean;
  /** An operator asked to write the order without its unmatched lines (kept on the row). */
  allowUnmatched?: boolean;
}

export interface Outcome {
  state: LedgerState;
  reason: string;
  detail?: string;
  revelOrderId?: string | null;
  establishmentId?: number | null;
  locationKey?: string | null;
  eventDate?: string | null;
  eventName?: string | null;
  nextAttemptAt?: number;
  attempts?: number;
  orderSummary?: unknown;
  contentHash?: string | null;
  sourceUpdatedAt?: string | null;
  progress?: unknown;
  /** The food lines with no Revel product (JSON on the row); null or [] when there are none. */
  unmatched?: readonly unknown[] | null;
  /** The key of the set of unmatched lines just e-mailed about. */
  unmatchedNotified?: string | null;
}

/** What a drift check writes; undefined fields are left as they are. */
export interface DriftCheckChange {
  state?: LedgerState;
  reason?: string;
  detail?: string | null;
  /** DriftRecord JSON, or null when the event matches the order again. */
  drift?: string | null;
  sourceUpdatedAt?: string | null;
  /** A history entry, when the outcome is news (not on a repeated identical check). */
  history?: { state: LedgerState; reason: string; detail?: string };
}

interface PendingDelivery {
  deliveryKey: string;
  trigger: string;
  eventIds: string[];
  correlationId: string | undefined;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

/** FAILED reasons that a later attempt can cure (as opposed to a rejected request). */
// An auth failure is retried too: once the credentials are fixed, the next run writes the order.
const RETRYABLE_FAILURE_REASONS = [
  'RETRIES_EXHAUSTED',
  'UPSTREAM_RETRYABLE',
  'UPSTREAM_AUTH_FAILED',
];

/** Deliveries per group commit at most; a burst larger than this is split. */
const MAX_DELIVERY_BATCH = 128;

/** How many of the earliest due rows a fair claim re-orders by source (bounded cost per claim). */
const CLAIM_FAIR_WINDOW = 500;

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
  private pendingDeliveries: PendingDelivery[] = [];
  private flushScheduled = false;

  constructor(
    private readonly database: DatabaseService,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  /**
   * This ledger's identity: Revel record UUIDs derive from it (docs/deployment.md, 'One ledger per
   * Revel account').
   */
  get ledgerId(): string {
    return this.database.ledgerId;
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
   * Records a webhook delivery and queues its events; when the promise resolves, the delivery is
   * durable. Resolves false when the same delivery was recorded before.
   *
   * Deliveries that arrive in the same event-loop turn share one transaction (group commit): one
   * fsync for the batch instead of one per delivery, which is what bounds intake latency under
   * load. Each caller still hears back only after the COMMIT that contains its delivery.
   */
  recordDelivery(
    deliveryKey: string,
    trigger: string,
    eventIds: string[],
    correlationId: string | undefined,
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pendingDeliveries.push({
        deliveryKey,
        trigger,
        eventIds,
        correlationId,
        resolve,
        reject,
      });
      if (this.pendingDeliveries.length >= MAX_DELIVERY_BATCH) {
        void this.flushDeliveries();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flushDeliveries());
      }
    });
  }

  private async flushDeliveries(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pendingDeliveries.splice(0, this.pendingDeliveries.length);
    if (batch.length === 0) return;
    try {
      const outcomes = await this.db.transaction().execute(async (trx) => {
        const fresh: boolean[] = [];
        for (const d of batch) {
          const inserted = await trx
            .insertInto('webhook_deliveries')
            .values({
              delivery_key: d.deliveryKey,
              trigger: d.trigger,
              event_ids: JSON.stringify(d.eventIds),
              received_at: this.now(),
              correlation_id: d.correlationId ?? null,
            })
            .onConflict((oc) => oc.column('delivery_key').doNothing())
            .executeTakeFirst();
          const isNew = Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
          if (isNew) {
            for (const eventId of d.eventIds) {
              await this.enqueueIn(trx, eventId, {
                correlationId: d.correlationId,
                reason: `webhook ${d.trigger}`,
              });
            }
          }
          fresh.push(isNew);
        }
        return fresh;
      });
      batch.forEach((d, i) => d.resolve(outcomes[i]));
    } catch (error) {
      batch.forEach((d) => d.reject(error));
    }
  }

  async countDeliveries(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Makes sure the event will be processed; never disturbs an event that has its order. For an
   * order we wrote (INJECTED, DRIFTED) it requests a drift check instead: read-only, no write.
   */
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
        allow_unmatched: options.allowUnmatched ? 1 : 0,
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
    if (options.allowUnmatched) {
      await trx
        .updateTable('sync_events')
        .set({ allow_unmatched: 1 })
        .where('event_id', '=', eventId)
        .execute();
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
        eb.or([
          eb('source_updated_at', 'is', null),
          eb('source_updated_at', '!=', changed),
          // An event that failed for want of a working upstream gets a fresh budget at every
          // reconciliation, so an outage longer than the retry budget still ends with its order.
          eb.and([eb('state', '=', 'FAILED'), eb('reason', 'in', RETRYABLE_FAILURE_REASONS)]),
        ]),
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
    // An order we wrote is never written again; a change to its event is checked for drift instead.
    let driftCheck = trx
      .updateTable('sync_events')
      .set({ drift_check_at: now, correlation_id: options.correlationId ?? null })
      .where('event_id', '=', eventId)
      .where('state', 'in', OUR_ORDER_STATES)
      .where((eb) => eb.or([eb('drift_check_at', 'is', null), eb('drift_check_at', '>', now)]));
    if (options.onlyIfChanged) {
      const changed = options.sourceUpdatedAt ?? '';
      driftCheck = driftCheck.where((eb) =>
        eb.or([eb('source_updated_at', 'is', null), eb('source_updated_at', '!=', changed)]),
      );
    }
    await driftCheck.execute();
  }

  // Drift checks and resyncs: rows whose order we wrote (INJECTED, DRIFTED), never leased by the
  // worker. A check only reads the upstreams, so it needs no lease: its writes are compare-and-set
  // on what it read. A resync writes to Revel, so it holds a lease without leaving its state.

  /**
   * Reconciliation's request: a drift check only when TripleSeat's `updated_at` differs from the
   * one last seen, so that a run over unchanged events costs no upstream call. Returns the row.
   */
  async requestDriftCheckIfChanged(
    eventId: string,
    sourceUpdatedAt: string | undefined,
    correlationId?: string,
  ): Promise<SyncEventRow | undefined> {
    if (sourceUpdatedAt !== undefined && sourceUpdatedAt !== '') {
      const now = this.now();
      await this.db
        .updateTable('sync_events')
        .set({ drift_check_at: now, correlation_id: correlationId ?? null })
        .where('event_id', '=', eventId)
        .where('state', 'in', OUR_ORDER_STATES)
        .where((eb) => eb.or([eb('drift_check_at', 'is', null), eb('drift_check_at', '>', now)]))
        .where((eb) =>
          eb.or([
            eb('source_updated_at', 'is', null),
            eb('source_updated_at', '!=', sourceUpdatedAt),
          ]),
        )
        .execute();
    }
    return this.get(eventId);
  }

  /**
   * Claims up to `limit` due drift checks: clearing `drift_check_at` is the claim, so two workers
   * never check the same request. Rows leased by a resync wait until it is done.
   */
  async claimDriftChecks(limit: number): Promise<SyncEventRow[]> {
    if (limit <= 0) return [];
    const now = this.now();
    const postgres = this.database.dialect === 'postgres';
    return this.db
      .updateTable('sync_events')
      .set({ drift_check_at: null })
      .where('event_id', 'in', (eb) =>
        eb
          .selectFrom('sync_events')
          .select('event_id')
          .where('drift_check_at', '<=', now)
          .where('state', 'in', OUR_ORDER_STATES)
          .where((w) => w.or([w('lease_owner', 'is', null), w('lease_expires_at', '<', now)]))
          .orderBy('drift_check_at')
          .limit(limit)
          .$if(postgres, (q) => q.forUpdate().skipLocked()),
      )
      .where('drift_check_at', '<=', now)
      .returningAll()
      .execute();
  }

  /** Asks for a drift check at `at` unless one is already pending (a failed check retries). */
  async deferDriftCheck(eventId: string, at: number): Promise<void> {
    await this.db
      .updateTable('sync_events')
      .set({ drift_check_at: at })
      .where('event_id', '=', eventId)
      .where('state', 'in', OUR_ORDER_STATES)
      .where('drift_check_at', 'is', null)
      .execute();
  }

  /**
   * Records the result of a drift check, only if the row is still what the check compared against
   * (same content hash and drift, not leased by a resync). False when it changed meanwhile.
   */
  async recordDriftCheck(
    eventId: string,
    expected: { contentHash: string | null; drift: string | null },
    change: DriftCheckChange,
    correlationId?: string,
  ): Promise<boolean> {
    const now = this.now();
    const update: SyncEventUpdate = { updated_at: now };
    if (change.state !== undefined) update.state = change.state;
    if (change.reason !== undefined) update.reason = change.reason;
    if (change.detail !== undefined) update.detail = change.detail;
    if (change.drift !== undefined) update.drift = change.drift;
    if (change.sourceUpdatedAt !== undefined) update.source_updated_at = change.sourceUpdatedAt;
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('sync_events')
        .set(update)
        .where('event_id', '=', eventId)
        .where('state', 'in', OUR_ORDER_STATES)
        .where((eb) =>
          expected.contentHash === null
            ? eb('content_hash', 'is', null)
            : eb('content_hash', '=', expected.contentHash),
        )
        .where((eb) =>
          expected.drift === null ? eb('drift', 'is', null) : eb('drift', '=', expected.drift),
        )
        .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
        .executeTakeFirst();
      const ok = Number(result.numUpdatedRows) === 1;
      if (ok && change.history) {
        await this.addHistory(
          trx,
          eventId,
          change.history.state,
          change.history.reason,
          change.history.detail,
          correlationId,
        );
      }
      return ok;
    });
  }

  /** Leases an order of ours for a resync; undefined when it is not ours or already leased. */
  async leaseForResync(
    eventId: string,
    owner: string,
    leaseMs: number,
  ): Promise<SyncEventRow | undefined> {
    const now = this.now();
    return this.db
      .updateTable('sync_events')
      .set({ lease_owner: owner, lease_expires_at: now + leaseMs })
      .where('event_id', '=', eventId)
      .where('state', 'in', OUR_ORDER_STATES)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
      .returningAll()
      .executeTakeFirst();
  }

  /** Ends a resync with the rewritten order (state INJECTED, drift cleared), under its lease. */
  async finishResync(
    eventId: string,
    owner: string,
    outcome: {
      reason: string;
      detail: string;
      orderSummary: unknown;
      contentHash: string;
      sourceUpdatedAt: string | null;
    },
    correlationId?: string,
  ): Promise<boolean> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('sync_events')
        .set({
          state: 'INJECTED',
          reason: outcome.reason,
          detail: outcome.detail,
          order_summary: JSON.stringify(outcome.orderSummary),
          content_hash: outcome.contentHash,
          source_updated_at: outcome.sourceUpdatedAt,
          drift: null,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: now,
        })
        .where('event_id', '=', eventId)
        .where('lease_owner', '=', owner)
        .where('state', 'in', OUR_ORDER_STATES)
        .executeTakeFirst();
      const ok = Number(result.numUpdatedRows) === 1;
      if (ok) {
        await this.addHistory(
          trx,
          eventId,
          'INJECTED',
          outcome.reason,
          outcome.detail,
          correlationId,
        );
      }
      return ok;
    });
  }

  /**
   * Our orders written (or last touched) between `since` and `until` whose read-back has not
   * passed yet (`"verified":true` absent from the progress), oldest first: reconciliation reads
   * them back from Revel once.
   */
  async ordersToReadBack(since: number, until: number, limit: number): Promise<SyncEventRow[]> {
    const rows = await this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('state', 'in', OUR_ORDER_STATES)
      .where('revel_order_id', 'is not', null)
      .where('updated_at', '>=', since)
      .where('updated_at', '<=', until)
      .where((eb) =>
        eb.or([eb('progress', 'is', null), eb('progress', 'not like', '%"verified":true%')]),
      )
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows;
  }

  /**
   * Ends a reconciliation read-back under its resync lease: the new progress, a history entry for
   * each repair, and FAILED with `failure` when a duplicate could not be removed. False when the
   * lease was lost.
   */
  async finishReadBack(
    eventId: string,
    owner: string,
    change: {
      progress: unknown;
      repaired?: string;
      failure?: { reason: string; detail: string };
    },
    correlationId?: string,
  ): Promise<boolean> {
    const now = this.now();
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('sync_events')
        .select('state')
        .where('event_id', '=', eventId)
        .where('lease_owner', '=', owner)
        .where('state', 'in', OUR_ORDER_STATES)
        .executeTakeFirst();
      if (!before) return false;
      const update: SyncEventUpdate = {
        progress: JSON.stringify(change.progress),
        lease_owner: null,
        lease_expires_at: null,
      };
      if (change.failure) {
        update.state = 'FAILED';
        update.reason = change.failure.reason;
        update.detail = change.failure.detail;
        update.updated_at = now;
      }
      await trx
        .updateTable('sync_events')
        .set(update)
        .where('event_id', '=', eventId)
        .where('lease_owner', '=', owner)
        .execute();
      if (change.repaired) {
        const { repaired } = change;
        await this.addHistory(
          trx,
          eventId,
          before.state,
          'REVEL_REPAIRED',
          repaired,
          correlationId,
        );
      }
      if (change.failure) {
        const { reason, detail } = change.failure;
        await this.addHistory(trx, eventId, 'FAILED', reason, detail, correlationId);
      }
      return true;
    });
  }

  /** Gives up a resync lease without changing anything else. */
  async releaseResync(eventId: string, owner: string): Promise<void> {
    await this.db
      .updateTable('sync_events')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('event_id', '=', eventId)
      .where('lease_owner', '=', owner)
      .where('state', 'in', OUR_ORDER_STATES)
      .execute();
  }

  /**
   * Claims up to `limit` due rows for `owner` (or one given row). A row whose lease expired
   * (its worker died) is due again. On PostgreSQL, SKIP LOCKED keeps replicas off each other's
   * rows; SQLite has one writer, so the statement is atomic as it stands.
   *
   * Fair queueing: rows queued by a source in `recentSources` (the correlation ids of a delivery,
   * a run or a request whose rows the worker took last) come after due rows of any other source,
   * among the CLAIM_FAIR_WINDOW rows due first. One delivery naming many events therefore shares
   * the worker with whatever arrives after it instead of holding it until its last event is done;
   * with nothing else due, its rows are claimed as before.
   */
  async claim(
    owner: string,
    limit: number,
    leaseMs: number,
    eventId?: string,
    recentSources: readonly string[] = [],
  ): Promise<SyncEventRow[]> {
    const now = this.now();
    const postgres = this.database.dialect === 'postgres';
    const due = (w: ExpressionBuilder<Database, 'sync_events'>) =>
      w.or([
        w.and([w('state', 'in', WAITING), w('next_attempt_at', '<=', now)]),
        w.and([w('state', '=', 'IN_PROGRESS'), w('lease_expires_at', '<', now)]),
      ]);
    const fair = eventId === undefined && recentSources.length > 0;
    return (
      this.db
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
            .where(due)
            .$if(fair, (q) =>
              q
                // The earliest due rows, as without fairness; re-ordered among themselves only.
                .where('event_id', 'in', (window) =>
                  window
                    .selectFrom((inner) =>
                      inner
                        .selectFrom('sync_events')
                        .select('event_id')
                        .where(due)
                        .orderBy('next_attempt_at')
                        .limit(CLAIM_FAIR_WINDOW)
                        .as('earliest'),
                    )
                    .select('earliest.event_id'),
                )
                .orderBy((o) =>
                  o
                    .case()
                    .when('correlation_id', 'in', [...recentSources])
                    .then(1)
                    .else(0)
                    .end(),
                ),
            )
            .orderBy('next_attempt_at')
            .limit(limit)
            .$if(postgres, (q) => q.forUpdate().skipLocked()),
        )
        // Not `due` again: with it repeated here, PostgreSQL chose a plan that claimed every due
        // row whatever the limit (fair-claim spec).
        .where((w) =>
          w.or([
            w('state', 'in', WAITING),
            w.and([w('state', '=', 'IN_PROGRESS'), w('lease_expires_at', '<', now)]),
          ]),
        )
        .returningAll()
        .execute()
    );
  }

  /**
   * Makes the HELD events of `locationKey` whose unmatched lines `resolves` accepts due now: a
   * mapping was saved. Every replica's worker claims due rows, so whichever polls first writes
   * the order. Answers the ids made due.
   */
  async releaseHeld(
    locationKey: string,
    resolves: (unmatched: string) => boolean,
  ): Promise<string[]> {
    const held = await this.db
      .selectFrom('sync_events')
      .select(['event_id', 'unmatched'])
      .where('state', '=', 'HELD')
      .where('location_key', '=', locationKey)
      .where('unmatched', 'is not', null)
      .execute();
    const ids = held
      .filter((r) => r.unmatched !== null && resolves(r.unmatched))
      .map((r) => r.event_id);
    if (ids.length === 0) return [];
    const now = this.now();
    for (let i = 0; i < ids.length; i += 500) {
      await this.db
        .updateTable('sync_events')
        .set({ next_attempt_at: now })
        .where('event_id', 'in', ids.slice(i, i + 500))
        .where('state', '=', 'HELD')
        .where('next_attempt_at', '>', now)
        .execute();
    }
    return ids;
  }

  /** Makes one HELD row due now (a mapping saved while it was being held resolves its lines). */
  async makeHeldDue(eventId: string): Promise<void> {
    const now = this.now();
    await this.db
      .updateTable('sync_events')
      .set({ next_attempt_at: now })
      .where('event_id', '=', eventId)
      .where('state', '=', 'HELD')
      .where('next_attempt_at', '>', now)
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
    if (outcome.eventName !== undefined) update.event_name = outcome.eventName;
    if (outcome.orderSummary !== undefined)
      update.order_summary = JSON.stringify(outcome.orderSummary);
    if (outcome.contentHash !== undefined) update.content_hash = outcome.contentHash;
    if (outcome.sourceUpdatedAt !== undefined) update.source_updated_at = outcome.sourceUpdatedAt;
    if (outcome.progress !== undefined) update.progress = JSON.stringify(outcome.progress);
    if (outcome.unmatched !== undefined)
      update.unmatched =
        outcome.unmatched === null || outcome.unmatched.length === 0
          ? null
          : JSON.stringify(outcome.unmatched);
    if (outcome.unmatchedNotified !== undefined)
      update.unmatched_notified = outcome.unmatchedNotified;
    const settled = await this.db.transaction().execute(async (trx) => {
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
    // Counted once committed, and only by the worker that still held the lease.
    if (settled) this.metrics?.eventSettled(outcome.state, outcome.reason);
    return settled;
  }

  /** A history entry that changes nothing else (e.g. a repair of the Revel order). */
  async recordHistory(
    eventId: string,
    entry: { state: LedgerState; reason: string; detail?: string },
    correlationId?: string,
  ): Promise<void> {
    await this.addHistory(this.db, eventId, entry.state, entry.reason, entry.detail, correlationId);
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
  /**
   * Takes a scheduled slot; undefined when another replica (or an earlier life) has it. A slot
   * whose run is still `running` with an expired lease (its replica died) is taken over.
   */
  async claimSlot(
    slot: number,
    owner: string,
    hoursBack: number,
    correlationId: string,
    leaseMs: number,
  ): Promise<number | undefined> {
    const now = this.now();
    const row = await this.db
      .insertInto('reconciliation_runs')
      .values(newRun({ slot, kind: 'scheduled', owner, hoursBack, correlationId, leaseMs }, now))
      .onConflict((oc) => oc.column('slot').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) return Number(row.id);
    const taken = await this.db
      .updateTable('reconciliation_runs')
      .set({
        owner,
        started_at: now,
        correlation_id: correlationId,
        lease_expires_at: now + leaseMs,
      })
      .where('slot', '=', slot)
      .where('status', '=', 'running')
      .where('lease_expires_at', '<', now)
      .returning('id')
      .executeTakeFirst();
    return taken ? Number(taken.id) : undefined;
  }

  /** Keeps a scheduled run's lease; false when another replica has taken the slot over. */
  async renewRunLease(id: number, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('reconciliation_runs')
      .set({ lease_expires_at: this.now() + leaseMs })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Progress of a running run, for operators watching it (the CLI's progress bar). */
  async updateRunProgress(id: number, progress: unknown): Promise<void> {
    await this.db
      .updateTable('reconciliation_runs')
      .set({ summary: JSON.stringify({ progress }) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  /** Ledger rows in one state, most recently changed first (operators' lists). */
  async listByState(state: LedgerState, limit: number): Promise<SyncEventRow[]> {
    return this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('state', '=', state)
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
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
    this.metrics?.reconciliationRunFinished(status);
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

  /**
   * Whether a webhook delivery with this key (sha256 of its raw body) was recorded. Read-only: the
   * webhook guard asks it for an authentic delivery whose `t` has aged past the window, which is
   * a duplicate when TripleSeat re-sends bytes it already delivered (docs/http-api.md,
   * 'Endpoints').
   */
  async hasDelivery(deliveryKey: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select('delivery_key')
      .where('delivery_key', '=', deliveryKey)
      .executeTakeFirst();
    return row !== undefined;
  }

  // Manual bulk runs (the asynchronous sync API) and what a run wrote

  /**
   * Records a manual run that runs in the background, with a lease its replica renews
   * (renewRunLease) while it runs: a lease that expired on a run still `running` means the
   * replica stopped before finishing it.
   */
  async startLeasedManualRun(
    owner: string,
    hoursBack: number,
    correlationId: string,
    leaseMs: number,
  ): Promise<ReconciliationRunRow> {
    return this.db
      .insertInto('reconciliation_runs')
      .values(
        newRun(
          { slot: null, kind: 'manual', owner, hoursBack, correlationId, leaseMs },
          this.now(),
        ),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async getRun(id: number): Promise<ReconciliationRunRow | undefined> {
    return this.db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * The INJECTED outcomes that pipeline passes working for `correlationId` recorded at or after
   * `since`, among `eventIds`: event id → the details of those entries, oldest first. A pass runs under the correlation id
   * of the work that queued its event, so these are the orders that work wrote, whichever worker
   * or replica claimed the row. Drift checks and resyncs record INJECTED too; the caller tells
   * them apart by the detail.
   */
  async injectedOutcomes(
    eventIds: string[],
    correlationId: string,
    since: number,
  ): Promise<Map<string, (string | null)[]>> {
    const found = new Map<string, (string | null)[]>();
    // Bounded lists: SQLite caps the parameters of one statement.
    for (let i = 0; i < eventIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('sync_event_history')
        .select(['event_id', 'detail'])
        .where('event_id', 'in', eventIds.slice(i, i + 500))
        .where('state', '=', 'INJECTED')
        .where('reason', '=', 'INJECTED')
        .where('correlation_id', '=', correlationId)
        .where('at', '>=', since)
        .orderBy('id')
        .execute();
      for (const row of rows)
        found.set(row.event_id, [...(found.get(row.event_id) ?? []), row.detail]);
    }
    return found;
  }
}

/** A reconciliation run as it starts: running, leased to its replica for `leaseMs`. */
function newRun(
  run: {
    slot: number | null;
    kind: 'scheduled' | 'manual';
    owner: string;
    hoursBack: number;
    correlationId: string;
    leaseMs: number;
  },
  now: number,
) {
  return {
    slot: run.slot,
    kind: run.kind,
    owner: run.owner,
    status: 'running' as const,
    started_at: now,
    hours_back: run.hoursBack,
    correlation_id: run.correlationId,
    lease_expires_at: now + run.leaseMs,
  };
}

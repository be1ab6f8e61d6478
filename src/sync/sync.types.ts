import type { LedgerState, RunStatus } from '../database/database.types';

/**
 * What a sync run did for one event; each event has exactly one.
 * - `created`: this run's processing created the event's Revel order.
 * - `completed`: this run finished a Revel order that an interrupted earlier attempt had begun.
 * - `alreadySynced`: the order existed before this run's processing: written earlier (a webhook,
 *   another replica's sync, an earlier run) or found in Revel (ALREADY_EXISTS).
 * - `skipped`: no order is due (SKIPPED, HELD, DRY_RUN, connector off).
 * - `failed`: FAILED, or still pending a retry when the run stopped waiting for it.
 */
export type EventOutcome = 'created' | 'completed' | 'alreadySynced' | 'skipped' | 'failed';

export interface EventReport {
  eventId: string;
  status: LedgerState;
  reason: string | null;
  revelOrderId: string | null;
  detail?: string | null;
  outcome: EventOutcome;
}

/**
 * How far a bulk run is. `listed` grows while TripleSeat's search pages arrive (`phase: listing`);
 * then each listed event is queued (or, having its order, only checked) and settles.
 */
export interface RunProgress {
  phase: 'listing' | 'processing' | 'done';
  listed: number;
  queued: number;
  settled: number;
  /** Settled events by their ledger state. */
  byState: Partial<Record<LedgerState, number>>;
}

/**
 * The counts of a sync run. `injected + alreadySynced + skipped + failed` is the number of events
 * reported (`queried` when every listed event was reached); `created ≤ injected`.
 */
export interface SyncSummary {
  /** Events looked at: 1 for a single sync, the events TripleSeat listed for a bulk one. */
  queried: number;
  /** Revel orders this run's processing created. */
  created: number;
  /** Events this run brought to INJECTED: `created` plus partial orders it completed. */
  injected: number;
  /** Events whose order existed before this run's processing. */
  alreadySynced: number;
  skipped: number;
  failed: number;
}

export interface SyncReport {
  success: boolean;
  mode: 'single' | 'bulk';
  summary: SyncSummary;
  events: EventReport[];
  error?: string;
}

/** A bulk run as `GET /api/sync/runs/:id` shows it: its progress, then its report. */
export interface SyncRunView {
  runId: number;
  mode: 'bulk';
  kind: 'scheduled' | 'manual';
  status: RunStatus;
  /** Null while the run is running. */
  success: boolean | null;
  hoursBack: number;
  startedAt: string;
  finishedAt: string | null;
  correlationId: string | null;
  progress: RunProgress | null;
  /** Null until the run has finished (and for a run that failed before it could count). */
  summary: SyncSummary | null;
  events: EventReport[];
  error: string | null;
}

/**
 * The pipeline's detail on an INJECTED outcome that completed a partly written order
 * (src/sync/event-pipeline.service.ts); its INJECTED outcome for a new order has no detail.
 */
export const PARTIAL_ORDER_COMPLETED = 'completed a partially written order';

export function emptySummary(): SyncSummary {
  return { queried: 0, created: 0, injected: 0, alreadySynced: 0, skipped: 0, failed: 0 };
}

/**
 * What the run did for an event, from the state it settled in and from what this run's own
 * processing recorded: the details of the INJECTED outcomes it recorded (none when another run,
 * webhook or replica wrote the order).
 */
export function outcomeOf(
  status: LedgerState,
  ownInjected: readonly (string | null)[],
  connectorDisabled = false,
): EventOutcome {
  switch (status) {
    case 'INJECTED':
    case 'DRIFTED':
      // Drift checks and resyncs record INJECTED too, with their own detail: not a write.
      if (ownInjected.includes(null)) return 'created';
      if (ownInjected.includes(PARTIAL_ORDER_COMPLETED)) return 'completed';
      return 'alreadySynced';
    case 'ALREADY_EXISTS':
      return 'alreadySynced';
    case 'SKIPPED':
    case 'HELD':
    case 'DRY_RUN':
      return 'skipped';
    case 'PENDING':
      return connectorDisabled ? 'skipped' : 'failed';
    case 'FAILED':
    case 'IN_PROGRESS':
      return 'failed';
  }
}

/** Adds one event's outcome to the summary (`queried` is the caller's). */
export function count(summary: SyncSummary, outcome: EventOutcome): void {
  switch (outcome) {
    case 'created':
      summary.created += 1;
      summary.injected += 1;
      return;
    case 'completed':
      summary.injected += 1;
      return;
    case 'alreadySynced':
    case 'skipped':
    case 'failed':
      summary[outcome] += 1;
      return;
  }
}

/**
 * What a reconciliation run keeps in its `summary` column (JSON): `{progress}` while a manual bulk
 * run runs, `{summary, progress, events}` when it has finished. Scheduled runs (and runs recorded
 * before this shape) keep the bare summary.
 */
export interface RunRecord {
  summary?: SyncSummary;
  progress?: RunProgress;
  events?: EventReport[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a run's `summary` column, whichever of its shapes it holds. */
export function parseRunRecord(text: string | null): RunRecord {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isObject(value)) return {};
  if (typeof value.queried === 'number') return { summary: value as unknown as SyncSummary };
  const record: RunRecord = {};
  if (isObject(value.summary)) record.summary = value.summary as unknown as SyncSummary;
  if (isObject(value.progress)) record.progress = value.progress as unknown as RunProgress;
  if (Array.isArray(value.events)) record.events = value.events as EventReport[];
  return record;
}

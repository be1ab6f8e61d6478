import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Times are epoch milliseconds everywhere in the database: no zone ambiguity across dialects. */
export type EpochMs = number;

export const LEDGER_STATES = [
  'PENDING',
  'HELD',
  'IN_PROGRESS',
  'INJECTED',
  'ALREADY_EXISTS',
  'SKIPPED',
  'DRY_RUN',
  'FAILED',
  /** We wrote the order, and the TripleSeat event changed since (or was cancelled / deleted). */
  'DRIFTED',
] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

/**
 * States in which the event has its Revel order: the pipeline never writes another one. (An operator's
 * resync may rewrite a DRIFTED order of ours in place; it never creates a second.)
 */
export const ORDER_EXISTS_STATES: readonly LedgerState[] = [
  'INJECTED',
  'ALREADY_EXISTS',
  'DRIFTED',
];

/** States whose Revel order we wrote: drift checks and resyncs apply to these only. */
export const OUR_ORDER_STATES: readonly LedgerState[] = ['INJECTED', 'DRIFTED'];

export interface SyncEventTable {
  event_id: string;
  state: LedgerState;
  reason: string | null;
  detail: string | null;
  attempts: number;
  next_attempt_at: EpochMs;
  lease_owner: string | null;
  lease_expires_at: EpochMs | null;
  revel_order_id: string | null;
  establishment_id: number | null;
  location_key: string | null;
  event_date: string | null;
  /** OrderWriteProgress as JSON: which Revel write steps are done. */
  progress: string | null;
  /** OrderDraft summary as JSON, for the API and notifications. */
  order_summary: string | null;
  content_hash: string | null;
  source_updated_at: string | null;
  /** The correlation id of the work that last queued the event (webhook, sync, reconciliation). */
  correlation_id: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
  /** A drift check of the written order is requested and due at this time (null: none pending). */
  drift_check_at: EpochMs | null;
  /** DriftRecord as JSON: what changed in TripleSeat since the order was written. */
  drift: string | null;
  /** The TripleSeat event's name, as last fetched (the console searches by it). */
  event_name: string | null;
  /**
   * UnmatchedLine[] as JSON: the event's food lines that match no Revel product, as its draft was
   * last built (held, written without them, or skipped); null when every line matches.
   */
  unmatched: string | null;
  /** 1 when an operator asked to write the order without its unmatched lines. */
  allow_unmatched: Generated<number>;
  /** The set of unmatched lines last e-mailed about (their key), so a set is told once. */
  unmatched_notified: string | null;
}

export interface SyncEventHistoryTable {
  id: Generated<number>;
  event_id: string;
  at: EpochMs;
  state: LedgerState;
  reason: string | null;
  detail: string | null;
  correlation_id: string | null;
}

export interface WebhookDeliveryTable {
  /** sha256 of the raw body: TripleSeat re-sends the same bytes when it retries. */
  delivery_key: string;
  trigger: string;
  event_ids: string;
  received_at: EpochMs;
  correlation_id: string | null;
}

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface ReconciliationRunTable {
  id: Generated<number>;
  /** floor(epoch minutes / interval) for scheduled runs: unique, so one replica runs a slot. */
  slot: number | null;
  kind: 'scheduled' | 'manual';
  owner: string;
  status: RunStatus;
  started_at: EpochMs;
  finished_at: EpochMs | null;
  hours_back: number;
  summary: string | null;
  error: string | null;
  correlation_id: string | null;
  /** Scheduled runs: renewed while running; an expired one lets another replica take over. */
  lease_expires_at: EpochMs | null;
}

/**
 * The ledger's identity: one row, written when the database is created. Revel record UUIDs derive
 * from `id`, so two ledgers never take each other's orders for their own (docs/deployment.md, 'One
 * ledger per Revel account').
 */
export interface LedgerIdentityTable {
  id: string;
  /** 'created' (a new database: a random id) or 'migrated' (from before identities: LEGACY_LEDGER_ID). */
  origin: 'created' | 'migrated';
  created_at: EpochMs;
  /** Touched by the readiness write probe. */
  probed_at: EpochMs | null;
}

/** Maintenance jobs that run once per slot across replicas (retention). */
export interface LedgerJobTable {
  name: string;
  /** The last slot a replica claimed; a replica runs a slot only by advancing this. */
  slot: number;
  owner: string | null;
  started_at: EpochMs | null;
  finished_at: EpochMs | null;
  /** What the last run did, as JSON. */
  result: string | null;
}

export type ProductMappingKind = 'menuItem' | 'displayName';

/**
 * A product mapping made through the API; it wins over the locations file (docs/going-live.md,
 * 'Map the locations').
 */
export interface ProductMappingTable {
  location_key: string;
  kind: ProductMappingKind;
  /** The TripleSeat `menu_item_id`, or the display name normalised as the product matcher does. */
  source_key: string;
  /** The display name as the operator gave it (kind `displayName` only). */
  display_name: string | null;
  product_id: number;
  note: string | null;
  created_at: EpochMs;
  updated_at: EpochMs;
}

/** A signed-in console session (the cookie carries the id; the table keeps its SHA-256). */
export interface ConsoleSessionTable {
  id_hash: string;
  csrf_token: string;
  label: string;
  created_at: EpochMs;
  expires_at: EpochMs;
  ended_at: EpochMs | null;
  remote_address: string | null;
}

export type SwitchName = 'enableConnector' | 'dryRun';

/** A switch's stored value, shared by all replicas; absent: the environment's default. */
export interface SwitchTable {
  name: SwitchName;
  /** 1 or 0. */
  value: number;
  updated_at: EpochMs;
  updated_by: string | null;
}

/** Every flip of a switch: when, to what, by whom. */
export interface SwitchFlipTable {
  id: Generated<number>;
  name: SwitchName;
  value: number;
  at: EpochMs;
  actor: string;
  correlation_id: string | null;
}

/**
 * The id a database migrated from before ledger identities gets. Its record UUIDs stay exactly
 * those of the fixed namespace it always used, so orders it left half-written still complete.
 */
export const LEGACY_LEDGER_ID = '00000000-0000-0000-0000-000000000000';

export interface Database {
  sync_events: SyncEventTable;
  sync_event_history: SyncEventHistoryTable;
  webhook_deliveries: WebhookDeliveryTable;
  reconciliation_runs: ReconciliationRunTable;
  ledger_identity: LedgerIdentityTable;
  ledger_jobs: LedgerJobTable;
  product_mappings: ProductMappingTable;
  console_sessions: ConsoleSessionTable;
  switches: SwitchTable;
  switch_flips: SwitchFlipTable;
}

export type SyncEventRow = Selectable<SyncEventTable>;
export type NewSyncEvent = Insertable<SyncEventTable>;
export type SyncEventUpdate = Updateable<SyncEventTable>;
export type ReconciliationRunRow = Selectable<ReconciliationRunTable>;
export type HistoryRow = Selectable<SyncEventHistoryTable>;
export type ProductMappingRow = Selectable<ProductMappingTable>;
export type ConsoleSessionRow = Selectable<ConsoleSessionTable>;
export type SwitchFlipRow = Selectable<SwitchFlipTable>;

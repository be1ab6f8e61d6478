import type { LedgerState } from '../database/database.types';

export interface EventReport {
  eventId: string;
  status: LedgerState;
  reason: string | null;
  revelOrderId: string | null;
  detail?: string | null;
}

/** How far a bulk run is: events listed, events settled. */
export interface RunProgress {
  total: number;
  done: number;
}

export interface SyncSummary {
  queried: number;
  injected: number;
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

export function emptySummary(): SyncSummary {
  return { queried: 0, injected: 0, alreadySynced: 0, skipped: 0, failed: 0 };
}

/** Which summary bucket a ledger outcome counts in. */
export function bucketOf(status: LedgerState): keyof Omit<SyncSummary, 'queried'> {
  switch (status) {
    case 'INJECTED':
      return 'injected';
    case 'ALREADY_EXISTS':
    case 'DRIFTED':
      return 'alreadySynced';
    case 'SKIPPED':
    case 'HELD':
    case 'DRY_RUN':
      return 'skipped';
    case 'FAILED':
    case 'PENDING':
    case 'IN_PROGRESS':
      return 'failed';
  }
}

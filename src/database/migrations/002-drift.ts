import { Kysely, Migration } from 'kysely';

/**
 * Drift detection: `drift_check_at` (a check of the written order is requested and due then) and
 * `drift` (the readable diff, JSON). Both nullable, so existing rows need no backfill. The index
 * serves the worker, which looks for due checks on every turn.
 */
export function driftMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // One column per statement: SQLite's ALTER TABLE adds one column at a time.
      await db.schema.alterTable('sync_events').addColumn('drift_check_at', 'bigint').execute();
      await db.schema.alterTable('sync_events').addColumn('drift', 'text').execute();
      await db.schema
        .createIndex('sync_events_drift_due')
        .on('sync_events')
        .column('drift_check_at')
        .execute();
    },
  };
}

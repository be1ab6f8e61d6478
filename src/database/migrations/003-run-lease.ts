import { Kysely, Migration } from 'kysely';

/**
 * A lease on a running scheduled reconciliation: the replica running a slot renews it, and when a
 * replica dies mid-run another one takes the slot over once the lease has expired, so a slot is
 * run by exactly one replica and never by none.
 */
export function runLeaseMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('reconciliation_runs')
        .addColumn('lease_expires_at', 'bigint')
        .execute();
    },
  };
}

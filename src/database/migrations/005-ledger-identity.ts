import { randomUUID } from 'node:crypto';
import { Kysely, Migration, sql } from 'kysely';
import { LEGACY_LEDGER_ID } from '../database.types';

/**
 * The ledger's identity, and the bookkeeping of retention.
 *
 * `ledger_identity` holds one row: the id Revel record UUIDs derive from (docs/deployment.md, 'One
 * ledger per Revel account'). A new database gets a random id, so a second ledger pointed at the
 * same Revel account never takes the first one's orders for its own. A database that already holds
 * ledger data was writing UUIDs from the fixed namespace; it gets LEGACY_LEDGER_ID, which keeps
 * exactly those UUIDs, so an order it left half-written before the upgrade is still recognised as
 * its own and completed.
 *
 * `ledger_jobs` lets one replica per slot run a maintenance job (retention), and the index on
 * `webhook_deliveries.received_at` keeps its prune cheap on a large table.
 */
export function ledgerIdentityMigration(now: () => number = Date.now): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_identity')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('probed_at', 'bigint')
        .execute();
      await db.schema
        .createTable('ledger_jobs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('slot', 'bigint', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('result', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_received')
        .on('webhook_deliveries')
        .column('received_at')
        .execute();

      const used = await sql<{ found: number }>`
        select 1 as found from sync_events
        union all select 1 from webhook_deliveries
        union all select 1 from reconciliation_runs
        limit 1`.execute(db);
      const migrated = used.rows.length > 0;
      const id = migrated ? LEGACY_LEDGER_ID : randomUUID();
      const origin = migrated ? 'migrated' : 'created';
      await sql`insert into ledger_identity (id, origin, created_at) values (${id}, ${origin}, ${now()})`.execute(
        db,
      );
    },
  };
}

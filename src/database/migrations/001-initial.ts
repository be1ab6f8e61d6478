import { Kysely, Migration } from 'kysely';

export function initialMigration(dialect: 'sqlite' | 'postgres'): Migration {
  const autoId = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sync_events')
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('revel_order_id', 'text')
        .addColumn('establishment_id', 'integer')
        .addColumn('location_key', 'text')
        .addColumn('event_date', 'text')
        .addColumn('progress', 'text')
        .addColumn('order_summary', 'text')
        .addColumn('content_hash', 'text')
        .addColumn('source_updated_at', 'text')
        .addColumn('correlation_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sync_events_due')
        .on('sync_events')
        .columns(['state', 'next_attempt_at'])
        .execute();

      await db.schema
        .createTable('sync_event_history')
        .addColumn('id', autoId, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('correlation_id', 'text')
        .execute();
      await db.schema
        .createIndex('sync_event_history_event')
        .on('sync_event_history')
        .columns(['event_id', 'id'])
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('delivery_key', 'text', (c) => c.primaryKey())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('event_ids', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('correlation_id', 'text')
        .execute();

      await db.schema
        .createTable('reconciliation_runs')
        .addColumn('id', autoId, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('slot', 'bigint', (c) => c.unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('hours_back', 'integer', (c) => c.notNull())
        .addColumn('summary', 'text')
        .addColumn('error', 'text')
        .addColumn('correlation_id', 'text')
        .execute();
      await db.schema
        .createIndex('reconciliation_runs_started')
        .on('reconciliation_runs')
        .column('started_at')
        .execute();
    },
  };
}

import { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.service';

/**
 * What the operator console needs (docs/console.md):
 * - `sync_events.event_name`, so the board can search by name, and an index on the location, event
 *   date, id and state, so that a week of one location is one index range among 100k rows, the
 *   board's order (location, date, id) needs no sort, a deep page skips index entries only, and the
 *   counts by state are read from the index alone;
 * - `console_sessions`: a session is a row, so that every replica accepts it and sign-out ends it
 *   everywhere. The key is the SHA-256 of the cookie's session id: a copy of the table opens no
 *   session;
 * - `switches` (kill switch and dry run as stored values, shared by all replicas; the environment
 *   is the default when no row exists) and `switch_flips` (who flipped what, when).
 */
export function consoleMigration(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sync_events').addColumn('event_name', 'text').execute();
      await db.schema
        .createIndex('sync_events_location_date')
        .on('sync_events')
        .columns(['location_key', 'event_date', 'event_id', 'state'])
        .execute();
      await db.schema
        .createIndex('sync_events_updated')
        .on('sync_events')
        .columns(['updated_at'])
        .execute();

      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        /** A short public name of the session (shown with each switch flip). */
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('remote_address', 'text')
        .execute();

      await db.schema
        .createTable('switches')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .execute();
      const autoId = dialect === 'postgres' ? 'bigserial' : 'integer';
      await db.schema
        .createTable('switch_flips')
        .addColumn('id', autoId, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        /** The console session's label, or `api` / `cli`. */
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('correlation_id', 'text')
        .execute();
    },
  };
}

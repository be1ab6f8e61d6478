import { Kysely, Migration } from 'kysely';

/**
 * Unmatched lines on the event row: `unmatched` (the lines with no Revel product, as JSON, null
 * when there are none), `allow_unmatched` (an operator asked to write without them) and
 * `unmatched_notified` (which set of lines was e-mailed about). The board counts rows with
 * unmatched lines among those that need attention, within the location and date range it shows,
 * which the index of migration 007 narrows.
 */
export const unmatchedMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sync_events').addColumn('unmatched', 'text').execute();
    await db.schema
      .alterTable('sync_events')
      .addColumn('allow_unmatched', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('sync_events').addColumn('unmatched_notified', 'text').execute();
  },
};

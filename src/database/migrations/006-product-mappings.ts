import { Kysely, Migration } from 'kysely';

/**
 * Product mappings made through the API (`/api/mappings`): per location, a TripleSeat
 * `menu_item_id` (kind `menuItem`) or a line's display name (kind `displayName`) → a Revel product
 * id. They win over the locations file's maps. `source_key` is the id, or the display name in the
 * matcher's normalised form, so that two spellings of one name are one mapping; `display_name`
 * keeps the name as the operator gave it. The primary key leads with `location_key`: the
 * pipeline's per-draft read of one location's mappings is one index range.
 */
export function productMappingsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('product_mappings')
        .addColumn('location_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('source_key', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text')
        .addColumn('product_id', 'bigint', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('product_mappings_pkey', ['location_key', 'kind', 'source_key'])
        .execute();
    },
  };
}

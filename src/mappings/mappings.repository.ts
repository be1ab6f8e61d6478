import { Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { Clock } from '../common/clock';
import type { Location } from '../config/locations';
import { DatabaseService } from '../database/database.service';
import { Database, ProductMappingKind, ProductMappingRow } from '../database/database.types';
import { normalizeName } from '../orders/product-matcher';

/** What identifies one mapping: the location, and a menu_item_id or a display name there. */
export type MappingSource =
  | { location: string; kind: 'menuItem'; menuItemId: string }
  | { location: string; kind: 'displayName'; displayName: string };

export type NewMapping = MappingSource & { productId: number; note?: string | null };

/** The unique key of a source: display names in the matcher's normalised form. */
export function sourceKeyOf(source: MappingSource): string {
  return source.kind === 'menuItem' ? source.menuItemId : normalizeName(source.displayName);
}

/**
 * A display-name row's key in today's normalised form. A row stored under an older form of the
 * matcher's normalisation (accents kept, punctuation kept) keeps its old `source_key`; its
 * `display_name` says what it means now.
 */
const nameKeyOf = (row: ProductMappingRow): string =>
  normalizeName(row.display_name ?? row.source_key);

/** One row per normalised name: the most recently updated wins. */
function latestPerName(rows: readonly ProductMappingRow[]): ProductMappingRow[] {
  const byName = new Map<string, ProductMappingRow>();
  for (const row of rows) {
    const key = nameKeyOf(row);
    const kept = byName.get(key);
    if (!kept || Number(row.updated_at) >= Number(kept.updated_at)) byName.set(key, row);
  }
  return [...byName.values()];
}

/**
 * The location with its database mappings laid over the locations file's maps: a database mapping
 * wins. A display name in the file that normalises to a mapped one is dropped, because the matcher
 * takes the first map key that normalises to the line's name.
 */
export function withMappings(location: Location, rows: readonly ProductMappingRow[]): Location {
  if (rows.length === 0) return location;
  const menuItems = { ...location.menuItems };
  const names = latestPerName(rows.filter((r) => r.kind === 'displayName'));
  const mappedNames = new Set(names.map(nameKeyOf));
  const products: Record<string, number> = {};
  for (const [name, id] of Object.entries(location.products)) {
    if (!mappedNames.has(normalizeName(name))) products[name] = id;
  }
  for (const row of rows) {
    if (row.kind === 'menuItem') menuItems[row.source_key] = row.product_id;
  }
  for (const row of names) products[row.display_name ?? row.source_key] = row.product_id;
  return { ...location, menuItems, products };
}

/** Product mappings stored in the database (`/api/mappings`, docs/http-api.md, 'Endpoints'). */
@Injectable()
export class MappingsRepository {
  constructor(
    private readonly database: DatabaseService,
    private readonly clock: Clock,
  ) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  /** Every mapping, or one location's, ordered by location, kind and key. */
  async list(location?: string): Promise<ProductMappingRow[]> {
    let query = this.db.selectFrom('product_mappings').selectAll();
    if (location !== undefined) query = query.where('location_key', '=', location);
    return query.orderBy('location_key').orderBy('kind').orderBy('source_key').execute();
  }

  /** Creates or replaces the mapping of the source; answers the stored row. */
  async upsert(mapping: NewMapping): Promise<ProductMappingRow> {
    const now = this.clock.now().getTime();
    const key = sourceKeyOf(mapping);
    const displayName = mapping.kind === 'displayName' ? mapping.displayName : null;
    const note = mapping.note ?? null;
    if (mapping.kind === 'displayName') await this.removeStaleKeys(mapping.location, key);
    await this.db
      .insertInto('product_mappings')
      .values({
        location_key: mapping.location,
        kind: mapping.kind,
        source_key: key,
        display_name: displayName,
        product_id: mapping.productId,
        note,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['location_key', 'kind', 'source_key']).doUpdateSet({
          display_name: displayName,
          product_id: mapping.productId,
          note,
          updated_at: now,
        }),
      )
      .execute();
    return this.where(mapping.location, mapping.kind, key).selectAll().executeTakeFirstOrThrow();
  }

  /** Removes the mapping of the source; answers the removed row, undefined when there was none. */
  async remove(source: MappingSource): Promise<ProductMappingRow | undefined> {
    const key = sourceKeyOf(source);
    const stale =
      source.kind === 'displayName' ? await this.removeStaleKeys(source.location, key) : [];
    const row = await this.where(source.location, source.kind, key).selectAll().executeTakeFirst();
    if (!row) return stale[0];
    const deleted = await this.db
      .deleteFrom('product_mappings')
      .where('location_key', '=', source.location)
      .where('kind', '=', source.kind)
      .where('source_key', '=', key)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows) > 0 ? row : undefined;
  }

  /** The location as the pipeline uses it: one indexed read, so a change applies at once. */
  async resolve(location: Location): Promise<Location> {
    const rows = await this.db
      .selectFrom('product_mappings')
      .selectAll()
      .where('location_key', '=', location.key)
      .execute();
    return withMappings(location, rows);
  }

  /** The location's mappings saved at or after `since` (epoch ms). */
  async changedSince(location: string, since: number): Promise<MappingSource[]> {
    const rows = await this.db
      .selectFrom('product_mappings')
      .selectAll()
      .where('location_key', '=', location)
      .where('updated_at', '>=', since)
      .execute();
    return rows.map((r) =>
      r.kind === 'menuItem'
        ? { location, kind: 'menuItem', menuItemId: r.source_key }
        : { location, kind: 'displayName', displayName: r.display_name ?? r.source_key },
    );
  }

  /**
   * Removes the location's display-name rows that mean `key` but are stored under an older
   * normalised form (see {@link nameKeyOf}), so one name never has two mappings; answers them.
   */
  private async removeStaleKeys(location: string, key: string): Promise<ProductMappingRow[]> {
    const rows = await this.db
      .selectFrom('product_mappings')
      .selectAll()
      .where('location_key', '=', location)
      .where('kind', '=', 'displayName')
      .where('source_key', '!=', key)
      .execute();
    const stale = rows.filter((row) => nameKeyOf(row) === key);
    for (const row of stale) {
      await this.db
        .deleteFrom('product_mappings')
        .where('location_key', '=', location)
        .where('kind', '=', 'displayName')
        .where('source_key', '=', row.source_key)
        .execute();
    }
    return stale;
  }

  private where(location: string, kind: ProductMappingKind, key: string) {
    return this.db
      .selectFrom('product_mappings')
      .where('location_key', '=', location)
      .where('kind', '=', kind)
      .where('source_key', '=', key);
  }
}

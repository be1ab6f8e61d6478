import { Injectable } from '@nestjs/common';
import { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, sql, SqlBool } from 'kysely';
import { DatabaseService } from '../database/database.service';
import { Database, LedgerState, SyncEventRow } from '../database/database.types';

/** One location's window of event dates (YYYY-MM-DD, inclusive), today in its own zone. */
export interface DateWindow {
  locationKey: string;
  from: string;
  to: string;
}

export interface BoardFilter {
  /** Date windows per location; undefined: every date (and events with none). */
  windows?: DateWindow[];
  state?: LedgerState;
  location?: string;
  /** An event id (exact) or part of the event's name. */
  search?: string;
  /** Only the events that need a person (see `needingAttention`). */
  attention?: boolean;
  /** With `attention`: the first event date whose unmatched lines still need someone. */
  attentionSince?: string;
  offset: number;
  limit: number;
}

export type BoardRow = Pick<
  SyncEventRow,
  | 'event_id'
  | 'event_name'
  | 'state'
  | 'reason'
  | 'detail'
  | 'attempts'
  | 'next_attempt_at'
  | 'revel_order_id'
  | 'location_key'
  | 'event_date'
  | 'order_summary'
  | 'updated_at'
>;

export interface BoardPage {
  rows: BoardRow[];
  total: number;
  /** Rows per state under the same filter, state aside (for the filter's counts). */
  byState: Partial<Record<LedgerState, number>>;
}

const BOARD_COLUMNS = [
  'event_id',
  'event_name',
  'state',
  'reason',
  'detail',
  'attempts',
  'next_attempt_at',
  'revel_order_id',
  'location_key',
  'event_date',
  'order_summary',
  'updated_at',
] as const;

function compareNullsLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * The events a person must look at: FAILED, SKIPPED because no item matched a product, and any
 * event from `since` on (today at the sites) with food lines that match no product, whatever its
 * state: held for them, days ahead, or written without them (the kitchen adds them by hand).
 */
function needsAttention(
  eb: ExpressionBuilder<Database, 'sync_events'>,
  since?: string,
): Expression<SqlBool> {
  return eb.or([
    eb('state', '=', 'FAILED'),
    eb.and([eb('state', '=', 'SKIPPED'), eb('reason', '=', 'NO_ITEMS_MATCHED')]),
    eb.and([
      eb('unmatched', 'is not', null),
      since === undefined ? eb('state', '=', 'HELD') : eb('event_date', '>=', since),
    ]),
  ]);
}

/** The characters LIKE treats specially, escaped so that a search is taken literally. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The today board's reads. Every filter is an index range: the location and date windows use
 * `sync_events_location_date` (migration 007), and the order (location, date, id) and the state
 * are in it, so a page of 50 among 100k rows reads about 50 rows. Only a name search scans.
 */
@Injectable()
export class ConsoleBoardRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  async page(filter: BoardFilter): Promise<BoardPage> {
    const base = (withState: boolean) => {
      let query = this.db.selectFrom('sync_events');
      query = query.where((eb) => {
        const parts: Expression<SqlBool>[] = [];
        if (filter.windows !== undefined) {
          const windows = filter.windows.filter(
            (w) => filter.location === undefined || w.locationKey === filter.location,
          );
          if (windows.length === 0) return sql<SqlBool>`1 = 0`;
          parts.push(
            eb.or(
              windows.map((w) =>
                eb.and([
                  eb('location_key', '=', w.locationKey),
                  eb('event_date', '>=', w.from),
                  eb('event_date', '<=', w.to),
                ]),
              ),
            ),
          );
        } else if (filter.location !== undefined) {
          parts.push(eb('location_key', '=', filter.location));
        }
        if (withState && filter.state !== undefined) parts.push(eb('state', '=', filter.state));
        if (filter.attention) parts.push(needsAttention(eb, filter.attentionSince));
        const search = filter.search?.trim();
        if (search) {
          parts.push(
            eb.or([
              eb('event_id', '=', search),
              // An explicit ESCAPE: SQLite has no default escape character (PostgreSQL's is `\`).
              sql<SqlBool>`lower(${sql.ref('event_name')}) like ${`%${escapeLike(search.toLowerCase())}%`} escape '\\'`,
            ]),
          );
        }
        return eb.and(parts);
      });
      return query;
    };
    if (filter.search?.trim()) return this.searchPage(filter, base(false));
    const [rows, counts] = await Promise.all([
      base(true)
        .select(BOARD_COLUMNS)
        .orderBy('location_key')
        .orderBy('event_date')
        .orderBy('event_id')
        .limit(filter.limit)
        .offset(filter.offset)
        .execute(),
      base(false)
        .select(['state', (eb) => eb.fn.countAll<number | string>().as('n')])
        .groupBy('state')
        .execute(),
    ]);
    const byState: Partial<Record<LedgerState, number>> = {};
    for (const c of counts) byState[c.state] = Number(c.n);
    const total =
      filter.state !== undefined
        ? (byState[filter.state] ?? 0)
        : Object.values(byState).reduce((a, b) => a + b, 0);
    return { rows, total, byState };
  }

  /**
   * A search (by name, a substring) cannot use an index, and walking one in the board's order means
   * a random read of every row, twice (rows and counts): about 450 ms over 100k rows. One unordered
   * pass over the table reads the few columns that place and count a row (a plain scan, about 50 ms);
   * the page is cut here, and only its rows are read in full.
   */
  private async searchPage(
    filter: BoardFilter,
    matching: SelectQueryBuilder<Database, 'sync_events', object>,
  ): Promise<BoardPage> {
    const matches = await matching
      .select(['event_id', 'state', 'location_key', 'event_date'])
      .execute();
    const byState: Partial<Record<LedgerState, number>> = {};
    for (const m of matches) byState[m.state] = (byState[m.state] ?? 0) + 1;
    const wanted =
      filter.state === undefined ? matches : matches.filter((m) => m.state === filter.state);
    wanted.sort(
      (a, b) =>
        compareNullsLast(a.location_key, b.location_key) ||
        compareNullsLast(a.event_date, b.event_date) ||
        compareNullsLast(a.event_id, b.event_id),
    );
    const ids = wanted.slice(filter.offset, filter.offset + filter.limit).map((m) => m.event_id);
    const rows =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('sync_events')
            .select(BOARD_COLUMNS)
            .where('event_id', 'in', ids)
            .execute();
    const position = new Map(ids.map((id, i) => [id, i]));
    rows.sort((a, b) => (position.get(a.event_id) ?? 0) - (position.get(b.event_id) ?? 0));
    return { rows, total: wanted.length, byState };
  }

  /**
   * Events that need a person: FAILED and SKIPPED with unmatched items whatever their date, and
   * events from `since` on (YYYY-MM-DD) with unmatched lines.
   */
  async needingAttention(since?: string): Promise<number> {
    const row = await this.db
      .selectFrom('sync_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where((eb) => needsAttention(eb, since))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Rows waiting for the worker (PENDING), and how many are due now. */
  async backlog(
    now: number,
  ): Promise<{ pending: number; due: number; inProgress: number; held: number }> {
    const rows = await this.db
      .selectFrom('sync_events')
      .select([
        'state',
        (eb) => eb.fn.countAll<number | string>().as('n'),
        (eb) =>
          eb.fn
            .sum<number | string | null>(
              eb.case().when('next_attempt_at', '<=', now).then(1).else(0).end(),
            )
            .as('due'),
      ])
      .where('state', 'in', ['PENDING', 'IN_PROGRESS', 'HELD'])
      .groupBy('state')
      .execute();
    const get = (state: LedgerState) => rows.find((r) => r.state === state);
    return {
      pending: Number(get('PENDING')?.n ?? 0),
      due: Number(get('PENDING')?.due ?? 0),
      inProgress: Number(get('IN_PROGRESS')?.n ?? 0),
      held: Number(get('HELD')?.n ?? 0),
    };
  }

  /** Events that settled FAILED since `since`, newest first. */
  async failedSince(since: number, limit: number): Promise<{ total: number; rows: BoardRow[] }> {
    const where = this.db
      .selectFrom('sync_events')
      .where('state', '=', 'FAILED')
      .where('updated_at', '>=', since);
    const [count, rows] = await Promise.all([
      where.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      where.select(BOARD_COLUMNS).orderBy('updated_at', 'desc').limit(limit).execute(),
    ]);
    return { total: Number(count.n), rows };
  }
}

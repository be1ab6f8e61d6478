import { Injectable } from '@nestjs/common';
import { Expression, ExpressionBuilder, Kysely, sql, SqlBool } from 'kysely';
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

/** FAILED, or SKIPPED because no item matched a product: the events a person must look at. */
function needsAttention(eb: ExpressionBuilder<Database, 'sync_events'>): Expression<SqlBool> {
  return eb.or([
    eb('state', '=', 'FAILED'),
    eb.and([eb('state', '=', 'SKIPPED'), eb('reason', '=', 'NO_ITEMS_MATCHED')]),
  ]);
}

/** The characters LIKE treats specially, escaped so that a search is taken literally. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The today board's reads. Every filter is an index range: the location and date windows use
 * `sync_events_location_date` (migration 007), and the order (location, date, id) follows it, so a
 * page of 50 among 100k rows reads about 50 rows. Only a name search scans.
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
        if (filter.attention) parts.push(needsAttention(eb));
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
    const [rows, counts] = await Promise.all([
      base(true)
        .select([
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
        ])
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

  /** Events that need a person, whatever their date: FAILED, and SKIPPED with unmatched items. */
  async needingAttention(): Promise<number> {
    const row = await this.db
      .selectFrom('sync_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(needsAttention)
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
      where
        .select([
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
        ])
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute(),
    ]);
    return { total: Number(count.n), rows };
  }
}

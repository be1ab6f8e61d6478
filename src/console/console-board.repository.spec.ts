import { Kysely } from 'kysely';
import { describeEachDatabase, SpecDatabase, specDatabases } from '../../test/support/pg-schema';
import { Database, LedgerState, NewSyncEvent } from '../database/database.types';
import { ConsoleBoardRepository, DateWindow } from './console-board.repository';

function row(
  id: string,
  state: LedgerState,
  location: string | null,
  date: string | null,
  extra: Partial<NewSyncEvent> = {},
): NewSyncEvent {
  return {
    event_id: id,
    state,
    reason: state === 'SKIPPED' ? 'NO_ITEMS_MATCHED' : state,
    detail: null,
    attempts: 0,
    next_attempt_at: 0,
    lease_owner: null,
    lease_expires_at: null,
    revel_order_id: null,
    establishment_id: null,
    location_key: location,
    event_date: date,
    progress: null,
    order_summary: null,
    content_hash: null,
    source_updated_at: null,
    correlation_id: null,
    created_at: 1,
    updated_at: 1_000,
    drift_check_at: null,
    drift: null,
    event_name: `Event ${id}`,
    ...extra,
  };
}

const week: DateWindow[] = [
  { locationKey: 'A', from: '2026-11-25', to: '2026-12-02' },
  { locationKey: 'B', from: '2026-11-26', to: '2026-12-03' },
];

describeEachDatabase(
  specDatabases('console-board'),
  `${ConsoleBoardRepository.name} on $name`,
  (target) => {
    let db: Kysely<Database>;
    let board: ConsoleBoardRepository;

    let database: SpecDatabase;

    beforeAll(async () => {
      database = await target.open();
      db = database.db;
      board = new ConsoleBoardRepository(database.service);
      await db
        .insertInto('sync_events')
        .values([
          row('1', 'INJECTED', 'A', '2026-11-25'),
          row('2', 'HELD', 'A', '2026-11-30', { event_name: 'Smith_wedding 100%' }),
          row('3', 'FAILED', 'A', '2026-12-20', { updated_at: 5_000 }),
          // B's today is a day later (another zone): its 25th is out of its window.
          row('4', 'INJECTED', 'B', '2026-11-25'),
          row('5', 'SKIPPED', 'B', '2026-11-26'),
          row('6', 'FAILED', null, null, { event_name: null }),
        ])
        .execute();
    });

    afterAll(async () => {
      await database?.close();
    });

    const ids = (rows: { event_id: string }[]) => rows.map((r) => r.event_id);

    it('should list each location’s own window, ordered by location, date and id, with counts by state', async () => {
      const page = await board.page({ windows: week, offset: 0, limit: 50 });
      expect(ids(page.rows)).toEqual(['1', '2', '5']);
      expect(page.total).toBe(3);
      expect(page.byState).toEqual({ INJECTED: 1, HELD: 1, SKIPPED: 1 });
    });

    it('should list every date, undated rows included, when there is no window', async () => {
      const page = await board.page({ offset: 0, limit: 50 });
      expect(ids(page.rows).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
      expect(page.total).toBe(6);
    });

    it('should filter by state and location, keeping the counts of the other states', async () => {
      const page = await board.page({ state: 'FAILED', location: 'A', offset: 0, limit: 50 });
      expect(ids(page.rows)).toEqual(['3']);
      expect(page.total).toBe(1);
      expect(page.byState).toEqual({ INJECTED: 1, HELD: 1, FAILED: 1 });
      const none = await board.page({ windows: week, location: 'C', offset: 0, limit: 50 });
      expect(none.rows).toEqual([]);
    });

    it('should search an exact id or part of the name, case-insensitively and literally', async () => {
      expect(ids((await board.page({ search: '4', offset: 0, limit: 50 })).rows)).toEqual(['4']);
      expect(ids((await board.page({ search: 'SMITH_W', offset: 0, limit: 50 })).rows)).toEqual([
        '2',
      ]);
      expect(ids((await board.page({ search: '100%', offset: 0, limit: 50 })).rows)).toEqual(['2']);
      // `_` and `%` are not wildcards.
      expect((await board.page({ search: 'Event_', offset: 0, limit: 50 })).rows).toEqual([]);
    });

    it('should page, order and count a search like the board, state filter included', async () => {
      const page = await board.page({ search: 'event', offset: 1, limit: 2 });
      expect(ids(page.rows)).toEqual(['3', '4']);
      expect(page.rows[0]).toMatchObject({
        event_name: 'Event 3',
        state: 'FAILED',
        location_key: 'A',
      });
      expect(page.total).toBe(4);
      expect(page.byState).toEqual({ INJECTED: 2, FAILED: 1, SKIPPED: 1 });
      const injected = await board.page({
        search: 'event',
        state: 'INJECTED',
        offset: 0,
        limit: 50,
      });
      expect(ids(injected.rows)).toEqual(['1', '4']);
      expect(injected.total).toBe(2);
      const windowed = await board.page({ search: 'event', windows: week, offset: 0, limit: 50 });
      expect(ids(windowed.rows)).toEqual(['1', '5']);
    });

    it('should page with offset and limit', async () => {
      const first = await board.page({ offset: 0, limit: 2 });
      const second = await board.page({ offset: 2, limit: 2 });
      expect(first.rows).toHaveLength(2);
      expect(ids(second.rows).some((id) => ids(first.rows).includes(id))).toBe(false);
      expect(second.total).toBe(6);
    });

    it('should count and filter the events that need attention: FAILED, and SKIPPED for unmatched items', async () => {
      expect(await board.needingAttention()).toBe(3);
      const page = await board.page({ attention: true, offset: 0, limit: 50 });
      expect(ids(page.rows).sort()).toEqual(['3', '5', '6']);
    });

    it('should count the backlog and the recent failures', async () => {
      expect(await board.backlog(10)).toEqual({ pending: 0, due: 0, inProgress: 0, held: 1 });
      const failed = await board.failedSince(2_000, 10);
      expect(failed.total).toBe(1);
      expect(ids(failed.rows)).toEqual(['3']);
    });
  },
);

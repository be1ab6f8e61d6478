import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ReopeningSqliteDatabase } from './sqlite-handle';

describe(ReopeningSqliteDatabase.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-handle-spec-'));
  let handle: ReopeningSqliteDatabase;

  beforeEach(() => {
    handle = new ReopeningSqliteDatabase(join(dir, `db-${Date.now()}-${Math.random()}.db`));
    handle.prepare('create table t (id integer primary key, v text)').run([]);
  });

  afterEach(() => handle.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should prepare a statement once and reuse it, with fresh parameters each time', () => {
    const spy = jest.spyOn(BetterSqlite3.prototype, 'prepare');
    for (let i = 0; i < 5; i += 1) handle.prepare('insert into t (v) values (?)').run([`v${i}`]);
    const rows = handle.prepare('select v from t order by id').all([]);
    expect(rows).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'].map((v) => ({ v })));
    expect(spy.mock.calls.filter(([sql]) => sql === 'insert into t (v) values (?)')).toHaveLength(
      1,
    );
    spy.mockRestore();
  });

  it('should give an iteration a statement of its own, so the same query can run meanwhile', () => {
    for (const v of ['a', 'b', 'c']) handle.prepare('insert into t (v) values (?)').run([v]);
    const query = 'select v from t order by id';
    const seen: unknown[] = [];
    for (const row of handle.prepare(query).iterate([])) {
      seen.push(row);
      expect(handle.prepare(query).all([])).toHaveLength(3);
    }
    expect(seen).toHaveLength(3);
  });

  it('should prepare again on a reopened handle', () => {
    handle.prepare('insert into t (v) values (?)').run(['before']);
    handle.invalidate();
    handle.prepare('insert into t (v) values (?)').run(['after']);
    expect(handle.opens).toBe(2);
    expect(handle.prepare('select count(*) as n from t').all([])).toEqual([{ n: 2 }]);
  });
});

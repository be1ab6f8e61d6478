import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { sqliteHandleSuspect } from './database-errors';

/**
 * How long a statement waits for another process's write lock before SQLITE_BUSY. better-sqlite3
 * is synchronous, so the wait blocks the event loop: short enough that a webhook meets a 503 well
 * within TripleSeat's patience, long enough for any write of ours to finish.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 2_500;

/** Prepared statements kept per handle (the service runs a few dozen distinct ones). */
const STATEMENT_CACHE = 256;

const NOOP: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

/**
 * The SQLite handle Kysely uses, reopened when it turns bad. Kysely keeps one connection for the
 * life of the process; when the file underneath fails (an I/O error, a file made read-only, moved
 * or replaced) the handle is closed and a fresh one opened before the next statement (never in the
 * middle of a transaction), so the service recovers by itself once the file is usable again.
 * The first open creates the file; a reopen never does (an empty new file would have no tables).
 */
export class ReopeningSqliteDatabase implements SqliteDatabase {
  private current?: BetterSqlite3.Database;
  private suspect = false;
  private closed = false;
  /** Why writes are refused for now (the file lost its write permission), if they are. */
  private writeBlock?: string;
  /** How many times a handle was opened (1 after the first statement). */
  opens = 0;
  /** Prepared statements of `statementsOf`, by SQL text, least recently used first. */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private statementsOf?: BetterSqlite3.Database;

  constructor(readonly file: string) {}

  get inMemory(): boolean {
    return this.file === ':memory:';
  }

  /** Asks for a fresh handle before the next statement (the file underneath turned bad). */
  invalidate(): void {
    if (!this.inMemory) this.suspect = true;
  }

  /**
   * Refuses writes with SQLITE_READONLY until `allowWrites`, while reads go on. For a file that
   * lost its write permission under an open handle: the handle could still write, but a restart
   * could not, so the service says so now. The handle is kept rather than reopened: a read-only
   * reopen would create the -wal and -shm files read-only, and they would stay that way after the
   * operator restored the database file's permission.
   */
  blockWrites(reason: string): void {
    this.writeBlock = reason;
  }

  allowWrites(): void {
    this.writeBlock = undefined;
  }

  prepare(sql: string): SqliteStatement {
    const db = this.handle();
    // SQLite rolls a transaction back by itself after some I/O errors; Kysely's ROLLBACK then
    // must not turn the original error into "no transaction is active".
    if (!db.inTransaction && /^\s*rollback\s*;?\s*$/i.test(sql)) return NOOP;
    const statement = this.cached(db, sql);
    if (this.writeBlock !== undefined && !statement.reader && !/^\s*rollback\b/i.test(sql)) {
      throw Object.assign(new Error(`attempt to write a readonly database (${this.writeBlock})`), {
        code: 'SQLITE_READONLY',
      });
    }
    return {
      reader: statement.reader,
      all: (parameters) => this.guard(() => statement.all(parameters)),
      run: (parameters) => this.guard(() => statement.run(parameters)),
      // An iterator keeps its statement busy until it is drained: it gets one of its own.
      iterate: (parameters) => this.guard(() => db.prepare(sql).iterate(parameters)),
    };
  }

  /**
   * Kysely prepares every query it runs; compiling the same few statements again and again cost
   * about 3% of the CPU at 100 webhooks/s with the worker on. Prepared statements are kept per
   * handle (a reopened handle starts afresh), the least recently used dropped past STATEMENT_CACHE.
   * Reusing one is safe: better-sqlite3 runs `all` and `run` to completion synchronously.
   */
  private cached(db: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
    if (this.statementsOf !== db) {
      this.statementsOf = db;
      this.statements.clear();
    }
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
    } else {
      statement = this.guard(() => db.prepare(sql));
      if (this.statements.size >= STATEMENT_CACHE) {
        const oldest = this.statements.keys().next();
        if (!oldest.done) this.statements.delete(oldest.value);
      }
    }
    this.statements.set(sql, statement);
    return statement;
  }

  /**
   * Keeps the query planner's statistics current (`PRAGMA optimize`, as SQLite advises for
   * long-lived connections: at open with `0x10002`, then periodically). Without statistics SQLite
   * guessed that the drift-check claim should walk the state index: every INJECTED row, 130–200 ms
   * with the event loop blocked, once a second, in a ledger of 100k rows. A failure (a read-only
   * file) is reported, never thrown: statistics are an optimisation.
   */
  optimize(allTables: boolean): string | undefined {
    try {
      this.handle().pragma(allTables ? 'optimize = 0x10002' : 'optimize');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  close(): void {
    this.closed = true;
    const db = this.current;
    this.current = undefined;
    if (db?.open) db.close();
  }

  private handle(): BetterSqlite3.Database {
    if (this.closed) throw new Error('database unavailable: the handle was closed');
    const current = this.current;
    if (current?.open && !(this.suspect && !current.inTransaction)) return current;
    if (current?.open) {
      try {
        current.close();
      } catch {
        // A handle that cannot even close is replaced all the same.
      }
    }
    this.current = undefined;
    this.current = this.open();
    return this.current;
  }

  private open(): BetterSqlite3.Database {
    const first = this.opens === 0;
    if (first && !this.inMemory) mkdirSync(dirname(this.file), { recursive: true });
    const db = new BetterSqlite3(this.file, { fileMustExist: !first && !this.inMemory });
    try {
      // WAL for concurrent readers; FULL so an acknowledged webhook survives a power cut.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      // ANALYZE samples at most this many index entries per index, so `optimize` stays quick.
      db.pragma('analysis_limit = 1000');
    } catch (error) {
      db.close();
      throw error;
    }
    this.opens += 1;
    this.suspect = false;
    return db;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (sqliteHandleSuspect(error)) this.invalidate();
      throw error;
    }
  }
}

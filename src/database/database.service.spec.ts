import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Kysely, Migrator, sql } from 'kysely';
import type { appConfig } from '../config/configuration';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  sqliteHandleSuspect,
} from './database-errors';
import {
  createKysely,
  DatabaseService,
  dialectOf,
  migrate,
  openDatabase,
} from './database.service';
import { Database, LEGACY_LEDGER_ID } from './database.types';
import { warnPostgresSkipped } from '../../test/support/pg-schema';
import { initialMigration } from './migrations/001-initial';
import { driftMigration } from './migrations/002-drift';
import { runLeaseMigration } from './migrations/003-run-lease';

const pgUrl = process.env.TEST_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'database-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const service = (databaseUrl: string) =>
  new DatabaseService({ databaseUrl } as ConfigType<typeof appConfig>);

const schemaUrl = (base: string, schema: string) =>
  `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;

describe(isDatabaseUnavailable.name, () => {
  it('should tell a database that is away from a statement that is wrong', () => {
    const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
    for (const unavailable of [
      coded('SQLITE_BUSY'),
      coded('SQLITE_READONLY'),
      coded('SQLITE_IOERR_WRITE'),
      coded('SQLITE_FULL'),
      coded('57P01', 'terminating connection due to administrator command'),
      coded('08006'),
      coded('25006', 'cannot execute INSERT in a read-only transaction'),
      coded('57014', 'canceling statement due to statement timeout'),
      coded('55P03'),
      coded('ECONNREFUSED'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      expect(isDatabaseUnavailable(unavailable)).toBe(true);
    }
    for (const bug of [
      coded('SQLITE_CONSTRAINT_PRIMARYKEY'),
      coded('SQLITE_ERROR', 'no such table: x'),
      coded('23505', 'duplicate key value'),
      coded('42P01', 'relation "x" does not exist'),
      new TypeError('x is undefined'),
    ]) {
      expect(isDatabaseUnavailable(bug)).toBe(false);
    }
    expect(sqliteHandleSuspect(coded('SQLITE_IOERR_FSYNC'))).toBe(true);
    expect(sqliteHandleSuspect(coded('SQLITE_BUSY'))).toBe(false);
  });

  it('should be a 503 that keeps the cause for the logs and tells clients nothing internal', () => {
    const error = new DatabaseUnavailableError(
      Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }),
    );
    expect(error.getStatus()).toBe(503);
    expect(error.detail).toBe('disk I/O error');
    expect(error.code).toBe('SQLITE_IOERR');
    expect(JSON.stringify(error.getResponse())).not.toContain('disk');
  });
});

describe(`${DatabaseService.name} on sqlite`, () => {
  it('should give a new database a random ledger id, and keep it across restarts', async () => {
    const url = `sqlite:${join(dir, 'fresh.db')}`;
    const first = service(url);
    await first.onModuleInit();
    const id = first.ledgerId;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.ledgerOrigin).toBe('created');
    await first.onApplicationShutdown();

    const again = service(url);
    await again.onModuleInit();
    expect(again.ledgerId).toBe(id);
    await again.onApplicationShutdown();

    const other = service(`sqlite:${join(dir, 'other.db')}`);
    await other.onModuleInit();
    expect(other.ledgerId).not.toBe(id);
    await other.onApplicationShutdown();
  });

  it('should give a database that already holds ledger data the legacy id (UUIDs as before)', async () => {
    const url = `sqlite:${join(dir, 'upgraded.db')}`;
    // A database written by the version before ledger identities: migrations 001–003 and a row.
    const old = createKysely(url);
    const { error } = await new Migrator({
      db: old,
      provider: {
        getMigrations: () =>
          Promise.resolve({
            '001-initial': initialMigration('sqlite'),
            '002-drift': driftMigration(),
            '003-run-lease': runLeaseMigration(),
          }),
      },
    }).migrateToLatest();
    expect(error).toBeUndefined();
    await old
      .insertInto('webhook_deliveries')
      .values({ delivery_key: 'k', trigger: 'UPDATE_EVENT', event_ids: '["1"]', received_at: 1 })
      .execute();
    await old.destroy();

    const upgraded = service(url);
    await upgraded.onModuleInit();
    expect(upgraded.ledgerId).toBe(LEGACY_LEDGER_ID);
    expect(upgraded.ledgerOrigin).toBe('migrated');
    await upgraded.onApplicationShutdown();
  });

  it('should probe writes, cache the answer, and forget a cached success when the database fails', async () => {
    const db = service(`sqlite:${join(dir, 'probe.db')}`);
    await db.onModuleInit();
    const first = await db.probeWrite();
    expect(first.ok).toBe(true);
    expect(await db.probeWrite()).toBe(first);
    const row = await db.db.selectFrom('ledger_identity').select('probed_at').executeTakeFirst();
    expect(row?.probed_at).toBe(first.at);
    // Another connection holds the write lock: the service's writes meet SQLITE_BUSY (a 503).
    const { db: other } = openDatabase(`sqlite:${join(dir, 'probe.db')}`);
    await sql`begin immediate`.execute(other);
    try {
      const write = db.db
        .insertInto('webhook_deliveries')
        .values({ delivery_key: 'b', trigger: 't', event_ids: '[]', received_at: 1 })
        .execute();
      await expect(write).rejects.toBeInstanceOf(DatabaseUnavailableError);
      expect(db.unavailable).toBe(true);
      const probe = await db.probeWrite();
      expect(probe.at).not.toBe(first.at);
      expect(probe.ok).toBe(false);
    } finally {
      await sql`rollback`.execute(other);
      await other.destroy();
    }
    const back = await db.probeWrite({ fresh: true });
    expect(back.ok).toBe(true);
    expect(db.unavailable).toBe(false);
    await db.onApplicationShutdown();
  }, 20_000);

  it('should reopen a handle that turned bad, and go on with the same data', async () => {
    const url = `sqlite:${join(dir, 'reopen.db')}`;
    const opened = openDatabase(url);
    await migrate(opened.db, 'sqlite');
    await opened.db
      .insertInto('webhook_deliveries')
      .values({ delivery_key: 'r', trigger: 't', event_ids: '[]', received_at: 1 })
      .execute();
    expect(opened.sqlite?.opens).toBe(1);
    opened.sqlite?.invalidate();
    const rows = await opened.db.selectFrom('webhook_deliveries').selectAll().execute();
    expect(rows.map((r) => r.delivery_key)).toEqual(['r']);
    expect(opened.sqlite?.opens).toBe(2);
    await opened.db.destroy();
  });

  it('should refuse to start with one clear message when the file cannot be opened', async () => {
    const db = service(`sqlite:${join(dir, 'not-a-dir.db', 'nested', 'x.db')}`);
    rmSync(join(dir, 'not-a-dir.db'), { force: true });
    // A file where the directory must be.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'not-a-dir.db'), 'x');
    await expect(db.onModuleInit()).rejects.toThrow(
      /^the database sqlite:.* could not be prepared/,
    );
  });
});

const pg = pgUrl ? describe : describe.skip;
if (!pgUrl) warnPostgresSkipped(`${DatabaseService.name} on postgres`);

pg(`${DatabaseService.name} on postgres`, () => {
  const base = pgUrl ?? '';
  const schemas: string[] = [];
  let admin: Kysely<Database>;

  const newSchema = async () => {
    const schema = `dbspec_${process.pid}_${randomBytes(3).toString('hex')}`;
    await sql`create schema ${sql.id(schema)}`.execute(admin);
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    admin = createKysely(base);
  });

  afterAll(async () => {
    for (const schema of schemas) {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin);
    }
    await admin.destroy();
  });

  it('should migrate a schema of its own when another schema already holds the service tables', async () => {
    const first = await newSchema();
    const second = await newSchema();
    for (const schema of [first, second]) {
      const db = createKysely(schemaUrl(base, schema));
      await migrate(db, dialectOf(base));
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = ${schema}`.execute(
        db,
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['kysely_migration', 'kysely_migration_lock', 'ledger_identity']),
      );
      await db.destroy();
    }
  });

  it('should survive the server terminating its idle connections, and replace them', async () => {
    const schema = await newSchema();
    const db = service(schemaUrl(base, schema));
    await db.onModuleInit();
    const errors: unknown[] = [];
    const onUncaught = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onUncaught);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.db);
      const pid = before.rows[0].pid;
      // The pool hears of it on the idle socket and says so; the process must not end.
      const heard = new Promise<void>((resolve) => {
        warn.mockImplementation((...args: unknown[]) => {
          if (args.some((a) => String(a).includes('an idle database connection was lost')))
            resolve();
        });
      });
      await sql`select pg_terminate_backend(${pid})`.execute(admin);
      await heard;
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.db);
      expect(after.rows[0].pid).not.toBe(pid);
      expect((await db.probeWrite({ fresh: true })).ok).toBe(true);
    } finally {
      warn.mockRestore();
      process.off('uncaughtException', onUncaught);
      await db.onApplicationShutdown();
    }
    expect(errors).toEqual([]);
  });

  it('should answer an unreachable server with a 503 error and a clear start-up message, quickly', async () => {
    const started = Date.now();
    const db = service('postgres://postgres@127.0.0.1:9/test');
    await expect(db.onModuleInit()).rejects.toThrow(
      /^the database postgres:\/\/127\.0\.0\.1:9\/test is unavailable/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

import { access, constants as fsConstants } from 'node:fs/promises';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  Kysely,
  Migration,
  MigrationProvider,
  Migrator,
  PostgresDialect,
  sql,
  SqliteDialect,
} from 'kysely';
import type { Pool as PgPool } from 'pg';
import { appConfig } from '../config/configuration';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  toDatabaseError,
} from './database-errors';
import { Database, LEGACY_LEDGER_ID } from './database.types';
import { initialMigration } from './migrations/001-initial';
import { driftMigration } from './migrations/002-drift';
import { runLeaseMigration } from './migrations/003-run-lease';
import { ledgerIdentityMigration } from './migrations/005-ledger-identity';
import { productMappingsMigration } from './migrations/006-product-mappings';
import { consoleMigration } from './migrations/007-console';
import { unmatchedMigration } from './migrations/009-unmatched';
import { withUnavailabilityErrors } from './resilient-driver';
import { ReopeningSqliteDatabase } from './sqlite-handle';

export type DialectName = 'sqlite' | 'postgres';

/**
 * The PostgreSQL driver, loaded when a PostgreSQL URL is used: on SQLite (the default) it would be
 * about 14 MB of RSS for nothing.
 */
function loadPg(): typeof import('pg') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  // Epoch-millisecond columns are BIGINT; node-pg returns those as strings unless told otherwise.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  return pg;
}

/** Migration advisory-lock key: replicas that start together migrate one at a time. */
const MIGRATION_LOCK_KEY = 741_852_963;

/**
 * PostgreSQL bounds. A webhook must meet a 503 well within 10 s whatever the database does: a new
 * connection gets 3 s, a row lock 3 s, a statement 8 s on the server, and 9 s on the client (a
 * network stall that the server never answers). A session idle inside a transaction for a minute
 * (a frozen replica) is ended by the server, so it cannot hold row locks for ever.
 */
export const PG_CONNECT_TIMEOUT_MS = 3_000;
const PG_LOCK_TIMEOUT_MS = 3_000;
const PG_STATEMENT_TIMEOUT_MS = 8_000;
const PG_QUERY_TIMEOUT_MS = 9_000;
const PG_IDLE_IN_TRANSACTION_MS = 60_000;

/** How often SQLite planner statistics are refreshed (`PRAGMA optimize`). */
const OPTIMIZE_INTERVAL_MS = 60 * 60_000;

/** The readiness write probe: its answer is reused this long (failures for a shorter while). */
export const WRITE_PROBE_CACHE_MS = 5_000;
const WRITE_PROBE_FAILURE_CACHE_MS = 1_000;
/** A probe that takes longer than this answers "down" (the statement may still finish). */
export const WRITE_PROBE_TIMEOUT_MS = 2_000;

const logger = new Logger('Database');

export function dialectOf(url: string): DialectName {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/** Where the database is, for messages: never the password. */
export function describeDatabase(url: string): string {
  if (dialectOf(url) === 'sqlite') return url;
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

export interface OpenOptions {
  /** Called whenever a statement fails because the database is unavailable. */
  onUnavailable?: (error: DatabaseUnavailableError) => void;
  /** Called after every write the database took. */
  onAnswer?: () => void;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The SQLite handle (absent on PostgreSQL). */
  sqlite?: ReopeningSqliteDatabase;
}

/**
 * Opens the database with connection errors handled: a dropped connection is replaced (pg-pool
 * drops a broken client and opens a new one on demand; the SQLite handle reopens itself), an idle
 * connection that the server terminates never crashes the process, and every failure of the
 * database itself surfaces as DatabaseUnavailableError (503), never as a plain error (500).
 */
export function openDatabase(url: string, options: OpenOptions = {}): OpenedDatabase {
  const onUnavailable = options.onUnavailable ?? (() => undefined);
  const onAnswer = options.onAnswer ?? (() => undefined);
  if (dialectOf(url) === 'sqlite') {
    const sqlite = new ReopeningSqliteDatabase(url.slice('sqlite:'.length));
    const dialect = withUnavailabilityErrors(
      new SqliteDialect({ database: sqlite }),
      onUnavailable,
      onAnswer,
    );
    return { db: new Kysely<Database>({ dialect }), dialect: 'sqlite', sqlite };
  }
  const { Pool } = loadPg();
  const pool: PgPool = new Pool({
    connectionString: url,
    // Lets operators (and the failover test) find this service's sessions in pg_stat_activity.
    fallback_application_name: 'tripleseat-revel-sync',
    max: 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    statement_timeout: PG_STATEMENT_TIMEOUT_MS,
    lock_timeout: PG_LOCK_TIMEOUT_MS,
    query_timeout: PG_QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: PG_IDLE_IN_TRANSACTION_MS,
    keepAlive: true,
  });
  // An idle client whose backend was terminated (restart, failover, pg_terminate_backend): the
  // pool has already discarded it, and the next query opens a new one. Without this listener the
  // `error` event would end the process.
  pool.on('error', (error) => {
    logger.warn(
      { err: error.message },
      'an idle database connection was lost; it will be replaced',
    );
  });
  // A client checked out but between statements has no pool listener: give every client one.
  // The statement in progress (if any) fails on its own; the broken client is dropped on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      logger.debug({ err: error.message }, 'a database connection was lost');
    });
  });
  const dialect = withUnavailabilityErrors(new PostgresDialect({ pool }), onUnavailable, onAnswer);
  return { db: new Kysely<Database>({ dialect }), dialect: 'postgres' };
}

export function createKysely(url: string, options: OpenOptions = {}): Kysely<Database> {
  return openDatabase(url, options).db;
}

export interface WriteProbe {
  ok: boolean;
  /** Why not, when not. */
  message?: string;
  latencyMs: number;
  /** When the probe ran (epoch ms); a cached answer keeps its time. */
  at: number;
}

export interface LedgerIdentity {
  id: string;
  origin: 'created' | 'migrated';
}

/**
 * Owns the database handle: opens it, migrates it at start-up, reads the ledger's identity, checks
 * that the ledger can be written (at start-up, and for readiness), and closes it last.
 */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** DATABASE_URL without its password, for messages. */
  readonly location: string;
  /** How long start-up waits for an unavailable database (DATABASE_STARTUP_WAIT_SECONDS). */
  private readonly startupWaitMs: number;
  private readonly sqlite?: ReopeningSqliteDatabase;
  private identity?: LedgerIdentity;
  private lastProbe?: WriteProbe;
  private optimizeTimer?: NodeJS.Timeout;
  private probing?: Promise<WriteProbe>;
  /** Since when statements fail for want of a database (undefined: they do not). */
  private unavailableSince?: number;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.location = describeDatabase(config.databaseUrl);
    this.startupWaitMs = (config.databaseStartupWaitSeconds ?? 0) * 1000;
    const opened = openDatabase(config.databaseUrl, {
      onUnavailable: (error) => this.noteUnavailable(error),
      onAnswer: () => {
        if (this.unavailableSince !== undefined) this.noteAvailable();
      },
    });
    this.db = opened.db;
    this.dialect = opened.dialect;
    this.sqlite = opened.sqlite;
  }

  /**
   * Migrates, reads the ledger's identity and checks that it can be written. While the database
   * is unavailable (unreachable, restarting, failing over) it waits and tries again, with a line
   * in the log each time and a back-off doubling from 1 s to 10 s, until
   * DATABASE_STARTUP_WAIT_SECONDS have passed; then, or at once for anything else (a read-only
   * ledger, a failed migration), start-up fails with one message saying what to check.
   */
  async onModuleInit(): Promise<void> {
    const giveUpAt = Date.now() + this.startupWaitMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.prepare();
        break;
      } catch (error) {
        const waitMs = Math.min(STARTUP_MAX_BACKOFF_MS, 1_000 * 2 ** (attempt - 1));
        if (!startupRetryable(error) || Date.now() + waitMs > giveUpAt) {
          // Close the handle, so a failed start leaves no pool open behind it.
          await this.db.destroy().catch(() => undefined);
          throw new Error(startupFailure(error, this.location), { cause: error });
        }
        // Logs are buffered until the app has started; a wait must be seen while it lasts.
        Logger.flush();
        this.logger.warn(
          { attempt, retryInMs: waitMs, err: messageOf(error) },
          `the database ${this.location} is unavailable at start-up (${messageOf(error)}); ` +
            `trying again in ${waitMs / 1000} s (attempt ${attempt}; ` +
            `DATABASE_STARTUP_WAIT_SECONDS bounds the wait)`,
        );
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
    this.keepStatistics();
    const legacy = this.ledgerId === LEGACY_LEDGER_ID;
    this.logger.log(
      `database ready (${this.dialect}); ledger ${this.ledgerId}` +
        (legacy ? ' (migrated from before ledger identities: record UUIDs as before)' : ''),
    );
  }

  private async prepare(): Promise<void> {
    await migrate(this.db, this.dialect);
    this.identity = await readIdentity(this.db);
    const probe = await this.probeWrite({ fresh: true });
    if (!probe.ok) throw new Error(probe.message ?? 'the write probe failed');
  }

  /** The ledger's identity (Revel record UUIDs derive from it). Known once the module is ready. */
  get ledgerId(): string {
    if (!this.identity) throw new Error('the ledger identity is read at start-up; not yet');
    return this.identity.id;
  }

  get ledgerOrigin(): LedgerIdentity['origin'] | undefined {
    return this.identity?.origin;
  }

  /** Whether statements are failing for want of a database right now (as far as we know). */
  get unavailable(): boolean {
    return this.unavailableSince !== undefined;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * Whether the ledger can be written now: a one-row UPDATE (and, on SQLite, the file's write
   * permission as a restart would see it). Cached for WRITE_PROBE_CACHE_MS so that probes from
   * load balancers cost one write per few seconds; concurrent callers share one probe.
   */
  probeWrite(options: { fresh?: boolean } = {}): Promise<WriteProbe> {
    const last = this.lastProbe;
    if (!options.fresh && last) {
      const ttl = last.ok ? WRITE_PROBE_CACHE_MS : WRITE_PROBE_FAILURE_CACHE_MS;
      if (Date.now() - last.at < ttl) return Promise.resolve(last);
    }
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.optimizeTimer);
    await this.db.destroy();
  }

  /** SQLite: planner statistics now and every OPTIMIZE_INTERVAL_MS (see ReopeningSqliteDatabase). */
  private keepStatistics(): void {
    const sqlite = this.sqlite;
    if (!sqlite) return;
    const run = (allTables: boolean) => {
      const failure = sqlite.optimize(allTables);
      if (failure)
        this.logger.warn(`PRAGMA optimize failed (statistics left as they were): ${failure}`);
    };
    run(true);
    this.optimizeTimer = setInterval(() => run(false), OPTIMIZE_INTERVAL_MS);
    this.optimizeTimer.unref();
  }

  private async runProbe(): Promise<WriteProbe> {
    const at = Date.now();
    let probe: WriteProbe;
    let timer: NodeJS.Timeout | undefined;
    try {
      const write = (async () => {
        await this.checkFileWritable();
        await this.db
          .updateTable('ledger_identity')
          .set({ probed_at: at })
          .where('id', '=', this.ledgerId)
          .execute();
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new DatabaseUnavailableError(
                new Error(`the write probe took longer than ${WRITE_PROBE_TIMEOUT_MS} ms`),
              ),
            ),
          WRITE_PROBE_TIMEOUT_MS,
        );
        timer.unref();
      });
      // A late failure of the abandoned write must not become an unhandled rejection.
      write.catch(() => undefined);
      await Promise.race([write, timeout]);
      probe = { ok: true, latencyMs: Date.now() - at, at };
    } catch (error) {
      probe = { ok: false, message: probeFailure(error), latencyMs: Date.now() - at, at };
    } finally {
      clearTimeout(timer);
    }
    this.lastProbe = probe;
    this.noteProbe(probe);
    return probe;
  }

  /**
   * SQLite: an open handle keeps writing after the file was made read-only (or its volume
   * remounted), but a restart would not; the probe reports that now, and the service's writes
   * answer 503 as well (reads go on), until the file is writable again.
   */
  private async checkFileWritable(): Promise<void> {
    const handle = this.sqlite;
    if (!handle || handle.inMemory) return;
    try {
      await access(handle.file, fsConstants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      const reason = `the database file ${handle.file} is not writable (${code})`;
      handle.blockWrites(reason);
      throw new DatabaseUnavailableError(
        Object.assign(new Error(`${reason}: read-only`), { code: 'SQLITE_READONLY' }),
      );
    }
    handle.allowWrites();
  }

  private noteUnavailable(error: DatabaseUnavailableError): void {
    if (this.lastProbe?.ok) this.lastProbe = undefined;
    if (this.unavailableSince === undefined) {
      this.unavailableSince = Date.now();
      this.logger.warn(
        { err: error.detail, code: error.code },
        'database unavailable: intake answers 503 and the worker backs off until it is back',
      );
    }
  }

  private noteProbe(probe: WriteProbe): void {
    if (probe.ok && this.unavailableSince !== undefined) this.noteAvailable();
  }

  private noteAvailable(): void {
    if (this.unavailableSince === undefined) return;
    const seconds = Math.round((Date.now() - this.unavailableSince) / 1000);
    this.unavailableSince = undefined;
    this.logger.log({ unavailableSeconds: seconds }, 'database answers again');
  }
}

async function readIdentity(db: Kysely<Database>): Promise<LedgerIdentity> {
  const row = await db
    .selectFrom('ledger_identity')
    .select(['id', 'origin'])
    .orderBy('created_at')
    .executeTakeFirst();
  if (!row) throw new Error('the ledger has no identity row (ledger_identity is empty)');
  return { id: row.id, origin: row.origin };
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function codes(error: unknown): string[] {
  return causes(error)
    .map((e) => (e as { code?: unknown }).code)
    .filter((c): c is string => typeof c === 'string');
}

function messageOf(error: unknown): string {
  const chain = causes(error);
  const deepest = chain[chain.length - 1];
  if (deepest instanceof DatabaseUnavailableError) return deepest.detail;
  if (error instanceof DatabaseUnavailableError) return error.detail;
  return error instanceof Error ? error.message : String(error);
}

function isReadOnly(error: unknown): boolean {
  return codes(error).some(
    (c) => c.startsWith('SQLITE_READONLY') || c === '25006' || c === 'EROFS' || c === 'EACCES',
  );
}

function probeFailure(error: unknown): string {
  const detail = error instanceof DatabaseUnavailableError ? error.detail : messageOf(error);
  return isReadOnly(error) ? `the ledger is read-only: ${detail}` : detail;
}

/** The longest pause between start-up attempts while the database is unavailable. */
const STARTUP_MAX_BACKOFF_MS = 10_000;

/** Whether start-up should wait for the database: it is away, not read-only or broken. */
function startupRetryable(error: unknown): boolean {
  if (isReadOnly(error) || /read-?only/i.test(messageOf(error))) return false;
  return causes(error).some((e) => isDatabaseUnavailable(e));
}

/** One clear start-up message: what failed, where, and what an operator checks. */
function startupFailure(error: unknown, location: string): string {
  const detail = messageOf(error);
  if (isReadOnly(error) || /read-?only/i.test(detail)) {
    return (
      `the database ${location} is read-only, and the service must write its ledger (${detail}). ` +
      'Check that the file, its -wal and -shm files and its directory are owned and writable by ' +
      'the service user and that the volume is not mounted read-only (SQLite), or that ' +
      'DATABASE_URL points at the primary, not a read-only standby (PostgreSQL).'
    );
  }
  if (causes(error).some((e) => isDatabaseUnavailable(e))) {
    return `the database ${location} is unavailable (${detail}); start the service again once it is reachable.`;
  }
  return `the database ${location} could not be prepared: ${detail}`;
}

/**
 * The migrations, in order (Kysely refuses to run one older than a migration already applied, so a
 * new one always takes the next number). There is no 004: the change it was kept for needed none.
 */
function migrations(dialect: DialectName): Record<string, Migration> {
  const all: Record<string, Migration> = {
    '001-initial': initialMigration(dialect),
    '002-drift': driftMigration(),
    '003-run-lease': runLeaseMigration(),
    '005-ledger-identity': ledgerIdentityMigration(),
    '006-product-mappings': productMappingsMigration(),
    '007-console': consoleMigration(dialect),
    '009-unmatched': unmatchedMigration,
  };
  return all;
}

export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: (): Promise<Record<string, Migration>> => Promise.resolve(migrations(dialect)),
  };
  const run = async (handle: Kysely<Database>, schema?: string) => {
    const { error, results } = await new Migrator({
      db: handle,
      provider,
      // Kysely looks for its own tables in every schema unless told which: a database whose
      // `public` already holds them (another deployment, an earlier run) would otherwise make it
      // skip creating them in ours, and fail with `relation "kysely_migration_lock" does not exist`.
      ...(schema ? { migrationTableSchema: schema } : {}),
    }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      const reason = error
        ? messageOf(toDatabaseError(error))
        : `${failed?.migrationName ?? 'unknown'} failed`;
      throw new Error(`database migration failed: ${reason}`, { cause: error });
    }
  };
  if (dialect === 'sqlite') return run(db);
  // Kysely's migrator locks too, but only inside its own table; an advisory lock also covers
  // the creation of that table when replicas start at the same instant.
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      const current = await sql<{
        schema: string | null;
      }>`select current_schema() as schema`.execute(conn);
      await run(conn, current.rows[0]?.schema ?? undefined);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

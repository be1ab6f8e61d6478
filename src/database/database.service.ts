import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migration,
  MigrationProvider,
  Migrator,
  PostgresDialect,
  sql,
  SqliteDialect,
} from 'kysely';
import { Pool, types as pgTypes } from 'pg';
import { appConfig } from '../config/configuration';
import { Database } from './database.types';
import { initialMigration } from './migrations/001-initial';
import { driftMigration } from './migrations/002-drift';
import { runLeaseMigration } from './migrations/003-run-lease';

export type DialectName = 'sqlite' | 'postgres';

// Epoch-millisecond columns are BIGINT; node-pg returns those as strings unless told otherwise.
pgTypes.setTypeParser(pgTypes.builtins.INT8, (v) => Number(v));

/** Migration advisory-lock key: replicas that start together migrate one at a time. */
const MIGRATION_LOCK_KEY = 741_852_963;

export function dialectOf(url: string): DialectName {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export function createKysely(url: string): Kysely<Database> {
  if (dialectOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const database = new SqliteDatabase(file);
    // WAL for concurrent readers; FULL so an acknowledged webhook survives a power cut.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  }
  const pool = new Pool({
    connectionString: url,
    max: 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 15_000,
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Owns the database handle: opens it, migrates it at start-up, closes it last. */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.dialect = dialectOf(config.databaseUrl);
    this.db = createKysely(config.databaseUrl);
  }

  async onModuleInit(): Promise<void> {
    await migrate(this.db, this.dialect);
    this.logger.log(`database ready (${this.dialect})`);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

export async function migrate(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: (): Promise<Record<string, Migration>> =>
      Promise.resolve({
        '001-initial': initialMigration(dialect),
        '002-drift': driftMigration(),
        '003-run-lease': runLeaseMigration(),
      }),
  };
  const run = async (handle: Kysely<Database>) => {
    const { error, results } = await new Migrator({ db: handle, provider }).migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      const reason =
        error instanceof Error ? error.message : `${failed?.migrationName ?? 'unknown'} failed`;
      throw new Error(`database migration failed: ${reason}`);
    }
  };
  if (dialect === 'sqlite') return run(db);
  // Kysely's migrator locks too, but only inside its own table; an advisory lock also covers
  // the creation of that table when replicas start at the same instant.
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await run(conn);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

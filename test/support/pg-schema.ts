import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import {
  createKysely,
  DatabaseService,
  dialectOf,
  migrate,
} from '../../src/database/database.service';
import type { Database } from '../../src/database/database.types';

/** The PostgreSQL server tests may use; the PostgreSQL half of a suite runs only when it is set. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface PgSchema {
  /** DATABASE_URL whose connections use the schema. */
  url: string;
  drop(): Promise<unknown>;
}

/**
 * A fresh schema of its own, so parallel suites never see each other's rows. The database may
 * hold anything else (the service's own tables in `public`, other suites' schemas): migrations
 * look only at the schema of their connection (database.service.ts `migrate`).
 */
export async function createPgSchema(base: string, prefix = 't'): Promise<PgSchema> {
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(base, (admin) => sql`create schema ${sql.id(schema)}`.execute(admin));
  const url = `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  return {
    url,
    drop: () =>
      withAdmin(base, (admin) =>
        sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin),
      ),
  };
}

/** Runs `fn` on a connection of its own that is closed whatever happens (no pool left open). */
async function withAdmin<T>(base: string, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const admin = createKysely(base);
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/**
 * Says loudly, once per suite, that the PostgreSQL half did not run. Under CI (`CI` set, as
 * `.ci/run` does, together with TEST_DATABASE_URL) a missing server is an error, never a skip.
 */
export function warnPostgresSkipped(suite: string): void {
  if (process.env.CI && process.env.CI !== 'false') {
    throw new Error(
      `[${suite}] TEST_DATABASE_URL is not set under CI: the PostgreSQL half must run there`,
    );
  }
  process.stdout.write(
    `\n[${suite}] TEST_DATABASE_URL is not set: the PostgreSQL half was NOT run\n`,
  );
}

/**
 * `describe.each` over databases (`$name` in the title is the target's name). The PostgreSQL
 * target is always registered; without TEST_DATABASE_URL its tests are skipped with
 * `describe.skip`, so Jest's closing line counts them as skipped rather than not at all.
 */
export function describeEachDatabase<T extends { name: string }>(
  targets: readonly T[],
  title: string,
  fn: (target: T) => void,
): void {
  for (const target of targets) {
    const named = title.replaceAll('$name', target.name);
    if (target.name === 'postgres' && !TEST_DATABASE_URL) {
      warnPostgresSkipped(named);
      describe.skip(named, () => fn(target));
    } else {
      describe(named, () => fn(target));
    }
  }
}

/** A migrated database for a repository spec, as the service opens it (`service` has db and dialect). */
export interface SpecDatabase {
  db: Kysely<Database>;
  service: DatabaseService;
  close(): Promise<void>;
}

/**
 * The databases a repository spec runs on: a fresh SQLite file and a fresh PostgreSQL schema. Pass
 * them to `describeEachDatabase`, which skips the PostgreSQL one when TEST_DATABASE_URL is unset.
 */
export function specDatabases(
  suite: string,
): { name: string; open: () => Promise<SpecDatabase> }[] {
  const open = async (url: string, cleanup: () => Promise<unknown>): Promise<SpecDatabase> => {
    const db = createKysely(url);
    await migrate(db, dialectOf(url));
    const service = { db, dialect: dialectOf(url) } as unknown as DatabaseService;
    return {
      db,
      service,
      close: async () => {
        await db.destroy();
        await cleanup();
      },
    };
  };
  const targets = [
    {
      name: 'sqlite',
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), `${suite}-spec-`));
        return open(`sqlite:${join(dir, 'spec.db')}`, () => {
          rmSync(dir, { recursive: true, force: true });
          return Promise.resolve();
        });
      },
    },
  ];
  targets.push({
    name: 'postgres',
    open: async () => {
      if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
      const schema = await createPgSchema(TEST_DATABASE_URL, suite.replace(/\W/g, '_'));
      return open(schema.url, () => schema.drop());
    },
  });
  return targets;
}

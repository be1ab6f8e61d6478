import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createKysely } from '../../src/database/database.service';

/** The PostgreSQL server tests may use; the PostgreSQL half of a suite runs only when it is set. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface PgSchema {
  /** DATABASE_URL whose connections use the schema. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh schema of its own, so parallel suites never see each other's rows. */
export async function createPgSchema(base: string, prefix = 't'): Promise<PgSchema> {
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = createKysely(base);
  await sql`create schema ${sql.id(schema)}`.execute(admin);
  await admin.destroy();
  const url = `${base}${base.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
  return {
    url,
    async drop() {
      const db = createKysely(base);
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
      await db.destroy();
    },
  };
}

/** Says loudly, once per suite, that the PostgreSQL half did not run. */
export function warnPostgresSkipped(suite: string): void {
  process.stdout.write(
    `\n[${suite}] TEST_DATABASE_URL is not set: the PostgreSQL half was NOT run\n`,
  );
}

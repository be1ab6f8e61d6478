import { Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { DatabaseService } from '../database/database.service';
import { ConsoleSessionRow, Database } from '../database/database.types';

/** Console sessions in the database: every replica accepts one, and sign-out ends it everywhere. */
@Injectable()
export class ConsoleSessionRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  async create(session: Omit<ConsoleSessionRow, 'ended_at'>): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({ ...session, ended_at: null })
      .execute();
  }

  /** The session when it is open at `now` (not ended, not expired). */
  async findOpen(idHash: string, now: number): Promise<ConsoleSessionRow | undefined> {
    return this.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async end(idHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('console_sessions')
      .set({ ended_at: now })
      .where('id_hash', '=', idHash)
      .where('ended_at', 'is', null)
      .execute();
  }
}

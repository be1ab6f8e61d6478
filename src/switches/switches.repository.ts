import { Injectable } from '@nestjs/common';
import { Kysely, Selectable } from 'kysely';
import { DatabaseService } from '../database/database.service';
import { Database, SwitchFlipRow, SwitchName, SwitchTable } from '../database/database.types';

export type SwitchRow = Selectable<SwitchTable>;

export const SWITCH_NAMES: readonly SwitchName[] = ['enableConnector', 'dryRun'];

export function isSwitchName(name: string): name is SwitchName {
  return (SWITCH_NAMES as readonly string[]).includes(name);
}

export interface NewFlip {
  name: SwitchName;
  value: boolean;
  at: number;
  actor: string;
  correlationId: string | null;
}

/** The stored switches and their flips (migration 007), shared by every replica. */
@Injectable()
export class SwitchesRepository {
  constructor(private readonly database: DatabaseService) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  /** The stored switches; a switch without a row has never been flipped. */
  async list(): Promise<SwitchRow[]> {
    const rows = await this.db.selectFrom('switches').selectAll().execute();
    // A name written by a newer version of the service is not ours to interpret.
    return rows.filter((row) => isSwitchName(row.name));
  }

  /** Stores the value and records the flip together: a flip is never stored without its record. */
  async flip(flip: NewFlip): Promise<void> {
    const value = flip.value ? 1 : 0;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('switches')
        .values({ name: flip.name, value, updated_at: flip.at, updated_by: flip.actor })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({ value, updated_at: flip.at, updated_by: flip.actor }),
        )
        .execute();
      await trx
        .insertInto('switch_flips')
        .values({
          name: flip.name,
          value,
          at: flip.at,
          actor: flip.actor,
          correlation_id: flip.correlationId,
        })
        .execute();
    });
  }

  /** The latest flips, newest first (by insertion: replicas' clocks may disagree). */
  async recentFlips(limit: number): Promise<SwitchFlipRow[]> {
    return this.db
      .selectFrom('switch_flips')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}

import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Cron } from '@nestjs/schedule';
import { sql } from 'kysely';
import { Clock } from '../common/clock';
import { ledgerConfig } from '../config/configuration';
import { isDatabaseUnavailable } from './database-errors';
import { DatabaseService } from './database.service';

export const RETENTION_JOB = 'retention';
/** Retention runs at most once per slot (an hour) across all replicas. */
export const RETENTION_SLOT_MS = 60 * 60 * 1000;
/** Rows deleted per statement: short statements, no long lock on a busy table. */
const BATCH = 1_000;
/** Statements per run at most; a backlog larger than this is finished by the next slots. */
const MAX_BATCHES = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionReport {
  slot: number;
  /** Rows older than this (epoch ms) were pruned. */
  cutoff: number;
  deliveries: number;
  runs: number;
  /** Console sessions that ended or expired over a day before the run. */
  sessions: number;
}

export type RetentionTick = RetentionReport | 'disabled' | 'slot-taken' | 'busy' | 'failed';

/**
 * Keeps the ledger from growing for ever: webhook deliveries and finished reconciliation runs older
 * than LEDGER_RETENTION_DAYS (default 30), and console sessions closed for a day, are deleted by an hourly job that one replica runs per
 * slot (it advances `ledger_jobs.slot`; the others find the slot taken). Event rows and their
 * history are kept: they are the record of what was ordered. The newest successful run is kept
 * whatever its age, so "last reconciliation" always has an answer.
 *
 * A deleted delivery can no longer be recognised as a duplicate: a bare-signature re-send of one
 * older than the retention is accepted as new and queues its event again, which re-checks it (a
 * drift check when it has our order) and never writes a second order. A `t=` signed re-send that
 * old was refused long before (WEBHOOK_TOLERANCE_SECONDS) unless it was recorded.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionService.name);
  private readonly owner = `${hostname()}:${process.pid}`;
  private running = false;

  constructor(
    private readonly database: DatabaseService,
    @Inject(ledgerConfig.KEY) private readonly config: ConfigType<typeof ledgerConfig>,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retentionDays === 0) {
      this.logger.log('LEDGER_RETENTION_DAYS=0: webhook deliveries and runs are kept for ever');
      return;
    }
    this.logger.log(
      `retention: deliveries and finished runs older than ${this.config.retentionDays} days are pruned hourly`,
    );
    void this.tick();
  }

  @Cron('7,37 * * * *', { name: RETENTION_JOB })
  async onSchedule(): Promise<void> {
    await this.tick();
  }

  slotAt(time: Date): number {
    return Math.floor(time.getTime() / RETENTION_SLOT_MS);
  }

  /** Runs the current slot unless a replica already did; never throws and never overlaps. */
  async tick(): Promise<RetentionTick> {
    if (this.config.retentionDays === 0) return 'disabled';
    if (this.running) return 'busy';
    this.running = true;
    try {
      const now = this.clock.now();
      const slot = this.slotAt(now);
      if (!(await this.claim(slot, now.getTime()))) return 'slot-taken';
      const report = await this.prune(now.getTime() - this.config.retentionDays * DAY_MS, slot);
      await this.database.db
        .updateTable('ledger_jobs')
        .set({ finished_at: this.clock.now().getTime(), result: JSON.stringify(report) })
        .where('name', '=', RETENTION_JOB)
        .where('slot', '=', slot)
        .execute();
      if (report.deliveries + report.runs > 0) {
        this.logger.log(report, 'retention: pruned old deliveries and runs');
      }
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A database that is away is said once by DatabaseService; the next slot tries again.
      if (isDatabaseUnavailable(error)) this.logger.debug({ err: message }, 'retention skipped');
      else this.logger.error({ err: message }, 'retention failed');
      return 'failed';
    } finally {
      this.running = false;
    }
  }

  /** Deletes what is older than `cutoff` (epoch ms), in short batches. */
  async prune(cutoff: number, slot = this.slotAt(this.clock.now())): Promise<RetentionReport> {
    const db = this.database.db;
    let deliveries = 0;
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const result = await db
        .deleteFrom('webhook_deliveries')
        .where('delivery_key', 'in', (eb) =>
          eb
            .selectFrom('webhook_deliveries')
            .select('delivery_key')
            .where('received_at', '<', cutoff)
            .limit(BATCH),
        )
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      deliveries += n;
      if (n < BATCH) break;
    }
    const newestSucceeded = await db
      .selectFrom('reconciliation_runs')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    const keep = Number(newestSucceeded?.id ?? 0);
    let runs = 0;
    for (let i = 0; i < MAX_BATCHES; i += 1) {
      const result = await db
        .deleteFrom('reconciliation_runs')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('reconciliation_runs')
            .select('id')
            .where('id', '!=', keep)
            // Finished runs, and "running" ones that began before the cutoff: no run lasts that
            // long, so their replica died and nobody will finish them.
            .where(sql<number>`coalesce(finished_at, started_at)`, '<', cutoff)
            .limit(BATCH),
        )
        .executeTakeFirst();
      const n = Number(result.numDeletedRows);
      runs += n;
      if (n < BATCH) break;
    }
    // A closed session opens nothing; a day's grace keeps it for whoever looks into a sign-out.
    const closedBefore = this.clock.now().getTime() - DAY_MS;
    const closed = await db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<', closedBefore), eb('ended_at', '<', closedBefore)]),
      )
      .executeTakeFirst();
    return { slot, cutoff, deliveries, runs, sessions: Number(closed.numDeletedRows) };
  }

  /** Takes `slot` for this replica: true when it advanced the job's slot (nobody ran it yet). */
  private async claim(slot: number, now: number): Promise<boolean> {
    const db = this.database.db;
    await db
      .insertInto('ledger_jobs')
      .values({ name: RETENTION_JOB, slot: -1, owner: null, started_at: null, finished_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const claimed = await db
      .updateTable('ledger_jobs')
      .set({ slot, owner: this.owner, started_at: now, finished_at: null, result: null })
      .where('name', '=', RETENTION_JOB)
      .where('slot', '<', slot)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }
}

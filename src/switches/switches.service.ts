import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { DatabaseUnavailableError } from '../database/database-errors';
import { SwitchFlipRow, SwitchName } from '../database/database.types';
import { isSwitchName, SWITCH_NAMES, SwitchesRepository, SwitchRow } from './switches.repository';

export interface SwitchState {
  name: SwitchName;
  value: boolean;
  /** `environment`: never flipped, the start-up variable (ENABLE_CONNECTOR, DRY_RUN) applies. */
  source: 'database' | 'environment';
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** How often the stored values are read again: a flip on another replica applies within this. */
export const SWITCH_REFRESH_MS = 2_000;

const ENV_NAMES: Record<SwitchName, string> = {
  enableConnector: 'ENABLE_CONNECTOR',
  dryRun: 'DRY_RUN',
};

/**
 * The kill switch (`enableConnector`) and dry run (`dryRun`), flipped at run time and shared by
 * every replica through the database. Readers are synchronous (the worker asks on every turn, the
 * pipeline before every write), so they read a cache that is loaded at start-up and refreshed
 * every SWITCH_REFRESH_MS; a flip updates this replica's cache at once.
 */
@Injectable()
export class SwitchesService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SwitchesService.name);
  private readonly defaults: Record<SwitchName, boolean>;
  private stored = new Map<SwitchName, SwitchRow>();
  /**
   * Bumped by every flip here: a refresh that read the table before the flip committed must not
   * put the old value back into the cache.
   */
  private version = 0;
  private failing = false;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;

  constructor(
    @Inject(syncConfig.KEY) config: ConfigType<typeof syncConfig>,
    private readonly repository: SwitchesRepository,
    private readonly clock: Clock,
  ) {
    this.defaults = { enableConnector: config.enableConnector, dryRun: config.dryRun };
  }

  async onModuleInit(): Promise<void> {
    // A failed first read keeps the environment's values (and warns); the timer retries.
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), SWITCH_REFRESH_MS);
    // Never what keeps the process (or a test run) alive.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Before the database handle closes (DatabaseService, on application shutdown).
    await this.refreshing;
  }

  get enableConnector(): boolean {
    return this.stateOf('enableConnector').value;
  }

  get dryRun(): boolean {
    return this.stateOf('dryRun').value;
  }

  /**
   * The kill switch as stored right now: one fresh read (not the cache, which may be up to
   * SWITCH_REFRESH_MS old), asked right before a new Revel order is created, so an order is never
   * created after a flip on any replica returned. When the database cannot be read, the cached
   * value answers.
   */
  async enableConnectorNow(): Promise<boolean> {
    await this.load();
    return this.enableConnector;
  }

  states(): SwitchState[] {
    return SWITCH_NAMES.map((name) => this.stateOf(name));
  }

  /**
   * Reads the stored values again. Never rejects: when the database cannot be read the last known
   * values stay, with one warning until it can be read again.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Stores the value and records the flip in one transaction; applies here at once. */
  async flip(name: SwitchName, value: boolean, actor: string): Promise<SwitchState[]> {
    if (!isSwitchName(name)) throw new Error(`unknown switch ${String(name)}`);
    const at = this.clock.now().getTime();
    await this.repository.flip({
      name,
      value,
      at,
      actor,
      correlationId: currentCorrelationId() ?? null,
    });
    this.version += 1;
    this.apply(
      new Map(this.stored).set(name, {
        name,
        value: value ? 1 : 0,
        updated_at: at,
        updated_by: actor,
      }),
    );
    return this.states();
  }

  recentFlips(limit: number): Promise<SwitchFlipRow[]> {
    return this.repository.recentFlips(limit);
  }

  private async load(): Promise<void> {
    const version = this.version;
    let rows: SwitchRow[];
    try {
      rows = await this.repository.list();
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        const detail = error instanceof DatabaseUnavailableError ? error.detail : String(error);
        this.logger.warn(
          { err: detail, switches: this.states().map((s) => `${s.name}=${String(s.value)}`) },
          'switches could not be read; keeping the last known values until the database answers',
        );
      }
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.logger.log('switches can be read again');
    }
    if (version !== this.version) return;
    this.apply(new Map(rows.map((row) => [row.name, row])));
  }

  /** Replaces the cache, saying which switch changed (here, or on another replica). */
  private apply(next: Map<SwitchName, SwitchRow>): void {
    const before = this.states();
    this.stored = next;
    for (const state of this.states()) {
      if (before.find((b) => b.name === state.name)?.value === state.value) continue;
      this.logger.log(
        { switch: state.name, value: state.value, updatedBy: state.updatedBy },
        `switch ${state.name} is now ${String(state.value)}` +
          (state.source === 'database'
            ? ` (flipped by ${state.updatedBy ?? 'unknown'}; ${ENV_NAMES[state.name]} is only the default)`
            : ''),
      );
    }
  }

  private stateOf(name: SwitchName): SwitchState {
    const row = this.stored.get(name);
    if (!row) {
      return {
        name,
        value: this.defaults[name],
        source: 'environment',
        updatedAt: null,
        updatedBy: null,
      };
    }
    return {
      name,
      value: row.value !== 0,
      source: 'database',
      updatedAt: new Date(row.updated_at),
      updatedBy: row.updated_by,
    };
  }
}

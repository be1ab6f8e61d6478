import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kysely } from 'kysely';
import { ClsServiceManager } from 'nestjs-cls';
import { Clock, ManualClock } from '../common/clock';
import { runWithCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { DatabaseUnavailableError } from '../database/database-errors';
import { createKysely, DatabaseService, migrate } from '../database/database.service';
import { Database } from '../database/database.types';
import { SwitchesRepository, SwitchRow } from './switches.repository';
import { SWITCH_REFRESH_MS, SwitchesService } from './switches.service';

const dir = mkdtempSync(join(tmpdir(), 'switches-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENV = { enableConnector: true, dryRun: false };

describe(SwitchesService.name, () => {
  let db: Kysely<Database>;
  let file = 0;
  const clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));
  const started: SwitchesService[] = [];

  /** One replica's service; `init: false` leaves onModuleInit to the test. */
  async function replica(options: { init?: boolean } = {}): Promise<SwitchesService> {
    const moduleRef = await Test.createTestingModule({
      providers: [
        SwitchesService,
        SwitchesRepository,
        { provide: DatabaseService, useValue: { db } },
        { provide: syncConfig.KEY, useValue: ENV },
        { provide: Clock, useValue: clock },
      ],
    }).compile();
    const service = moduleRef.get(SwitchesService);
    if (options.init !== false) await service.onModuleInit();
    started.push(service);
    return service;
  }

  beforeEach(async () => {
    db = createKysely(`sqlite:${join(dir, `switches-${++file}.db`)}`);
    await migrate(db, 'sqlite');
  });

  afterEach(async () => {
    for (const service of started.splice(0)) await service.onModuleDestroy();
    await db.destroy();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('should answer the environment’s values while nothing was flipped', async () => {
    const switches = await replica();
    expect(switches.enableConnector).toBe(true);
    expect(switches.dryRun).toBe(false);
    expect(switches.states()).toEqual([
      {
        name: 'enableConnector',
        value: true,
        source: 'environment',
        updatedAt: null,
        updatedBy: null,
      },
      { name: 'dryRun', value: false, source: 'environment', updatedAt: null, updatedBy: null },
    ]);
  });

  it('should read a flip made on another replica at once when asked right before an order is created', async () => {
    const here = await replica();
    const there = await replica();
    await there.flip('enableConnector', false, 'bob');
    // The cache here still holds the old value until its next refresh; the fresh read does not.
    expect(here.enableConnector).toBe(true);
    expect(await here.enableConnectorNow()).toBe(false);
    expect(here.enableConnector).toBe(false);
  });

  it('should apply a flip here at once, store it, and record it with its actor and correlation id', async () => {
    const switches = await replica();
    const cls = ClsServiceManager.getClsService();
    const states = await runWithCorrelationId(cls, { id: 'req-flip1' }, () =>
      switches.flip('dryRun', true, 'alice'),
    );
    expect(switches.dryRun).toBe(true);
    expect(states[1]).toEqual({
      name: 'dryRun',
      value: true,
      source: 'database',
      updatedAt: clock.now(),
      updatedBy: 'alice',
    });
    expect(await db.selectFrom('switches').selectAll().execute()).toEqual([
      { name: 'dryRun', value: 1, updated_at: clock.now().getTime(), updated_by: 'alice' },
    ]);

    clock.advance(1000);
    await switches.flip('enableConnector', false, 'api');
    await switches.flip('dryRun', false, 'api');
    expect(switches.enableConnector).toBe(false);
    expect(switches.dryRun).toBe(false);
    const flips = await switches.recentFlips(2);
    expect(flips.map((f) => [f.name, f.value, f.actor])).toEqual([
      ['dryRun', 0, 'api'],
      ['enableConnector', 0, 'api'],
    ]);
    const all = await switches.recentFlips(10);
    expect(all).toHaveLength(3);
    expect(all[2]).toMatchObject({
      name: 'dryRun',
      value: 1,
      actor: 'alice',
      at: clock.now().getTime() - 1000,
      correlation_id: 'req-flip1',
    });
  });

  it('should let another replica see a flip on its next refresh, and load it at start-up', async () => {
    const first = await replica();
    const second = await replica();
    await first.flip('enableConnector', false, 'api');
    expect(second.enableConnector).toBe(true);
    await second.refresh();
    expect(second.enableConnector).toBe(false);
    expect(second.states()[0]).toMatchObject({ source: 'database', updatedBy: 'api' });
    const third = await replica();
    expect(third.enableConnector).toBe(false);
  });

  it('should refresh every SWITCH_REFRESH_MS until destroyed', async () => {
    jest.useFakeTimers();
    const switches = await replica();
    const list = jest.spyOn(SwitchesRepository.prototype, 'list');
    jest.advanceTimersByTime(SWITCH_REFRESH_MS - 1);
    expect(list).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(list).toHaveBeenCalledTimes(1);
    await switches.refresh();
    await switches.onModuleDestroy();
    jest.advanceTimersByTime(SWITCH_REFRESH_MS * 3);
    expect(list).toHaveBeenCalledTimes(1);
  });

  it('should keep the last known values when the database cannot be read, warning once until it can', async () => {
    const switches = await replica();
    await switches.flip('dryRun', true, 'api');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const list = jest
      .spyOn(SwitchesRepository.prototype, 'list')
      .mockRejectedValue(new DatabaseUnavailableError(new Error('SQLITE_BUSY')));
    await switches.refresh();
    await switches.refresh();
    await switches.refresh();
    expect(switches.dryRun).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);

    // Back: the next failure warns again.
    list.mockRestore();
    await switches.refresh();
    jest
      .spyOn(SwitchesRepository.prototype, 'list')
      .mockRejectedValue(new DatabaseUnavailableError(new Error('SQLITE_BUSY')));
    await switches.refresh();
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('should start with the environment’s values when the database cannot be read at start-up', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest
      .spyOn(SwitchesRepository.prototype, 'list')
      .mockRejectedValue(new DatabaseUnavailableError(new Error('connection refused')));
    const switches = await replica();
    expect(switches.enableConnector).toBe(true);
    expect(switches.dryRun).toBe(false);
  });

  it('should not let a refresh that read before a flip undo it', async () => {
    const switches = await replica();
    let answer: (rows: SwitchRow[]) => void = () => undefined;
    jest.spyOn(SwitchesRepository.prototype, 'list').mockReturnValueOnce(
      new Promise<SwitchRow[]>((resolve) => {
        answer = resolve;
      }),
    );
    const refreshing = switches.refresh();
    await switches.flip('enableConnector', false, 'api');
    answer([]);
    await refreshing;
    expect(switches.enableConnector).toBe(false);
  });
});

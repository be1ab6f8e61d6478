import { describeEachDatabase, SpecDatabase, specDatabases } from '../../test/support/pg-schema';
import { ManualClock } from '../common/clock';
import { LedgerRepository } from './ledger.repository';

describeEachDatabase(specDatabases('ledger'), `${LedgerRepository.name} on $name`, (target) => {
  let ledger: LedgerRepository;
  const clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));

  let database: SpecDatabase;

  beforeAll(async () => {
    database = await target.open();
    ledger = new LedgerRepository(database.service, clock);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('should create one row per event however often it is queued', async () => {
    await Promise.all(
      Array.from({ length: 10 }, () => ledger.enqueue('1001', { reason: 'webhook' })),
    );
    const row = await ledger.get('1001');
    expect(row).toMatchObject({ event_id: '1001', state: 'PENDING', attempts: 0 });
    expect((await ledger.history('1001')).filter((h) => h.reason === 'QUEUED')).toHaveLength(1);
  });

  it('should let exactly one worker claim a due row, and fence the loser out', async () => {
    await ledger.enqueue('1002');
    const claims = await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map((w) => ledger.claim(w, 10, 60_000, '1002')),
    );
    const winners = claims.filter((c) => c.length === 1);
    expect(winners).toHaveLength(1);
    const owner = winners[0][0].lease_owner ?? '';
    const loser = ['w1', 'w2', 'w3', 'w4'].find((w) => w !== owner) ?? '';
    expect(await ledger.settle('1002', loser, { state: 'INJECTED', reason: 'INJECTED' })).toBe(
      false,
    );
    expect(
      await ledger.settle('1002', owner, {
        state: 'INJECTED',
        reason: 'INJECTED',
        revelOrderId: '77',
      }),
    ).toBe(true);
    expect(await ledger.get('1002')).toMatchObject({
      state: 'INJECTED',
      revel_order_id: '77',
      lease_owner: null,
    });
  });

  it('should hand an expired lease to the next worker and refuse the stale owner', async () => {
    await ledger.enqueue('1003');
    expect(await ledger.claim('old', 1, 5_000, '1003')).toHaveLength(1);
    expect(await ledger.claim('new', 1, 5_000, '1003')).toHaveLength(0);
    clock.advance(6_000);
    expect(await ledger.claim('new', 1, 5_000, '1003')).toHaveLength(1);
    expect(await ledger.saveProgress('1003', 'old', { orderId: 1 }, 5_000)).toBe(false);
    expect(await ledger.saveProgress('1003', 'new', { orderId: 1 }, 5_000, '1')).toBe(true);
    expect((await ledger.get('1003'))?.revel_order_id).toBe('1');
  });

  it('should not claim a held row before it is due, and claim it after', async () => {
    await ledger.enqueue('1004');
    const [row] = await ledger.claim('w', 1, 5_000, '1004');
    expect(row).toBeDefined();
    const due = clock.now().getTime() + 3_600_000;
    await ledger.settle('1004', 'w', { state: 'HELD', reason: 'TOO_EARLY', nextAttemptAt: due });
    expect(await ledger.claim('w', 1, 5_000, '1004')).toHaveLength(0);
    clock.advance(3_600_001);
    expect(await ledger.claim('w', 1, 5_000, '1004')).toHaveLength(1);
  });

  it('should never re-arm an event that has its order, and re-arm a skipped one only when it changed', async () => {
    await ledger.enqueue('1005');
    await ledger.claim('w', 1, 5_000, '1005');
    await ledger.settle('1005', 'w', { state: 'INJECTED', reason: 'INJECTED', revelOrderId: '9' });
    await ledger.enqueue('1005', { reason: 'webhook' });
    expect((await ledger.get('1005'))?.state).toBe('INJECTED');

    await ledger.enqueue('1006');
    await ledger.claim('w', 1, 5_000, '1006');
    await ledger.settle('1006', 'w', {
      state: 'SKIPPED',
      reason: 'STATUS_NOT_ELIGIBLE',
      sourceUpdatedAt: 'v1',
    });
    await ledger.enqueue('1006', { onlyIfChanged: true, sourceUpdatedAt: 'v1' });
    expect((await ledger.get('1006'))?.state).toBe('SKIPPED');
    await ledger.enqueue('1006', { onlyIfChanged: true, sourceUpdatedAt: 'v2' });
    expect((await ledger.get('1006'))?.state).toBe('PENDING');
  });

  it('should record a webhook delivery once and queue its events in the same transaction', async () => {
    expect(await ledger.recordDelivery('key-1', 'UPDATE_EVENT', ['2001', '2002'], 'req-1')).toBe(
      true,
    );
    expect(await ledger.recordDelivery('key-1', 'UPDATE_EVENT', ['2001', '2002'], 'req-2')).toBe(
      false,
    );
    expect((await ledger.getMany(['2001', '2002'])).map((r) => r.state).sort()).toEqual([
      'PENDING',
      'PENDING',
    ]);
    expect((await ledger.get('2001'))?.correlation_id).toBe('req-1');
  });

  it('should give a reconciliation slot to one claimant only', async () => {
    const ids = await Promise.all(
      ['a', 'b', 'c'].map((o) => ledger.claimSlot(123, o, 48, `scheduled-${o}`, 60_000)),
    );
    expect(ids.filter((id) => id !== undefined)).toHaveLength(1);
    const id = ids.find((x) => x !== undefined) ?? 0;
    await ledger.finishRun(id, 'succeeded', { queried: 3 });
    expect(await ledger.lastRun('succeeded')).toMatchObject({ slot: 123, status: 'succeeded' });
  });

  it('should let another replica take over a slot whose runner died, and only after its lease', async () => {
    const first = await ledger.claimSlot(456, 'dies', 48, 'scheduled-1', 60_000);
    expect(first).toBeDefined();
    expect(await ledger.claimSlot(456, 'other', 48, 'scheduled-2', 60_000)).toBeUndefined();
    clock.advance(30_000);
    expect(await ledger.renewRunLease(first ?? 0, 'dies', 60_000)).toBe(true);
    clock.advance(59_000);
    expect(await ledger.claimSlot(456, 'other', 48, 'scheduled-2', 60_000)).toBeUndefined();
    clock.advance(2_000);
    const takeover = await ledger.claimSlot(456, 'other', 48, 'scheduled-2', 60_000);
    expect(takeover).toBe(first);
    expect(await ledger.renewRunLease(first ?? 0, 'dies', 60_000)).toBe(false);
    await ledger.finishRun(takeover ?? 0, 'succeeded', { queried: 0 });
    clock.advance(120_000);
    expect(await ledger.claimSlot(456, 'third', 48, 'scheduled-3', 60_000)).toBeUndefined();
  });

  it('should release a claimed row so that it is due again at once', async () => {
    await ledger.enqueue('1007');
    await ledger.claim('w', 1, 60_000, '1007');
    expect(await ledger.release('1007', 'w')).toBe(true);
    expect(await ledger.claim('other', 1, 60_000, '1007')).toHaveLength(1);
  });
});

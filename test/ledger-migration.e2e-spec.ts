import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { DatabaseService } from '../src/database/database.service';
import { SyncWorker } from '../src/sync/sync.worker';
import { Harness, startHarness, startTestSandboxes } from './support/harness';

/**
 * The migration steps of docs/deployment.md ("One ledger per Revel account"), followed as written:
 * the old deployment writes orders and leaves one half-written; it is stopped; its database is
 * copied; the new deployment starts on the copy. The copy keeps the ledger's identity, so the new
 * deployment completes the half-written order as its own and writes nothing twice: one order per
 * event, one payment each, no doubled item.
 */
describe('Moving a ledger to a new deployment (e2e)', () => {
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let old: Harness | undefined;
  let moved: Harness | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ledger-move-'));

  beforeAll(async () => {
    ({ tripleseat, revel } = await startTestSandboxes({ establishments: [4] }));
    old = await startHarness({ tripleseat, revel, databaseUrl: `sqlite:${join(dir, 'old.db')}` });
  });

  afterAll(async () => {
    await moved?.close();
    await old?.close();
    await Promise.allSettled([tripleseat?.close(), revel?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const shapes = (id: number) =>
    revel.ordersByLocalId(`Triple Seat_${id}`).map((order) => {
      const items = revel.orderItems(order.id);
      return {
        payments: revel.payments(order.id).length,
        items: items.length,
        distinctItemUuids: new Set(items.map((i) => i.uuid)).size,
        histories: revel.histories(order.id).length,
      };
    });

  it('should keep the identity in the copy and complete the old deployment’s half-written order once', async () => {
    if (!old) throw new Error('the old deployment did not start');
    const done = old.seedEvent({ id: 66000001 });
    const half = old.seedEvent({ id: 66000002 });
    const first = await old.api().post(`/api/sync/tripleseat?event_id=${done.id}`).expect(200);
    expect(first.body.events[0]).toMatchObject({ status: 'INJECTED' });
    // The second event's order is created with one item, then Revel refuses items for a while.
    revel.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 1_000, kind: 'status', status: 503, after: 1 },
    });
    const partial = await old.api().post(`/api/sync/tripleseat?event_id=${half.id}`).expect(200);
    expect(partial.body.events[0]).toMatchObject({ status: 'PENDING' });
    expect(shapes(66000002)).toMatchObject([{ payments: 0, items: 1 }]);
    const ledgerId = old.get(DatabaseService).ledgerId;

    // 1. Stop the old deployment. 2. Copy its database. 3. Start the new one on the copy.
    await old.close();
    old = undefined;
    for (const suffix of ['', '-wal', '-shm']) {
      const from = join(dir, `old.db${suffix}`);
      if (existsSync(from)) copyFileSync(from, join(dir, `new.db${suffix}`));
    }
    revel.faults.clear();
    moved = await startHarness({ tripleseat, revel, databaseUrl: `sqlite:${join(dir, 'new.db')}` });
    expect(moved.get(DatabaseService).ledgerId).toBe(ledgerId);

    moved.clock.advance(10 * 60_000);
    await moved.get(SyncWorker).tick();
    await moved.waitForState('66000002', ['INJECTED']);
    // The same events again, as TripleSeat or a reconciliation would send them.
    for (const id of [66000001, 66000002]) {
      const again = await moved.api().post(`/api/sync/tripleseat?event_id=${id}`).expect(200);
      expect(again.body.events[0]).toMatchObject({ status: 'INJECTED' });
    }
    const complete = { payments: 1, items: 2, distinctItemUuids: 2, histories: 1 };
    expect(shapes(66000001)).toEqual([complete]);
    expect(shapes(66000002)).toEqual([complete]);
    expect(revel.unknownFields()).toEqual([]);
  });
});

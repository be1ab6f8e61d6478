import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { DatabaseService } from '../src/database/database.service';
import { SyncWorker } from '../src/sync/sync.worker';
import { until } from './reliability/support';
import { Harness, startHarness, startTestSandboxes } from './support/harness';

/**
 * docs/deployment.md, 'One ledger per Revel account': each ledger has an identity, and record UUIDs
 * derive from it. Two deployments with separate databases pointed at one Revel account (a
 * misconfiguration, or a migration with both running) must never finish or add to each other's
 * orders: the second sees the first one's order as foreign (ALREADY_EXISTS) and writes nothing to
 * it. Two apps, two SQLite files, one Revel.
 */
describe('Two ledgers against one Revel account (e2e)', () => {
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let first: Harness;
  let second: Harness;

  beforeAll(async () => {
    ({ tripleseat, revel } = await startTestSandboxes({ pageSize: 5 }));
    first = await startHarness({ tripleseat, revel });
    second = await startHarness({ tripleseat, revel });
  });

  afterAll(async () => {
    // In reverse: each harness restores the environment it found.
    await second?.close();
    await first?.close();
    await Promise.allSettled([tripleseat?.close(), revel?.close()]);
  });

  const sync = async (h: Harness, eventId: number) =>
    (await h.api().post(`/api/sync/tripleseat?event_id=${eventId}`).expect(200)).body as {
      events: { status: string; reason: string; revelOrderId: string | null }[];
    };

  /** Every order's payments and items, for the "never two payments, never a doubled item" check. */
  function orderShapes(localId: string) {
    return revel.ordersByLocalId(localId).map((order) => {
      const items = revel.orderItems(order.id);
      return {
        id: order.id,
        payments: revel.payments(order.id).length,
        items: items.length,
        distinctItemUuids: new Set(items.map((i) => i.uuid)).size,
        histories: revel.histories(order.id).length,
      };
    });
  }

  it('should give each database a ledger id of its own', () => {
    const a = first.get(DatabaseService).ledgerId;
    const b = second.get(DatabaseService).ledgerId;
    expect(a).not.toBe(b);
  });

  it('should have the second ledger report ALREADY_EXISTS for the first one’s order and add nothing', async () => {
    const event = first.seedEvent({ id: 64000001 });
    const written = await sync(first, event.id as number);
    expect(written.events[0]).toMatchObject({ status: 'INJECTED' });

    const again = await sync(second, event.id as number);
    expect(again.events[0]).toMatchObject({
      status: 'ALREADY_EXISTS',
      revelOrderId: written.events[0].revelOrderId,
    });
    expect(orderShapes('Triple Seat_64000001')).toEqual([
      {
        id: Number(written.events[0].revelOrderId),
        payments: 1,
        items: 2,
        distinctItemUuids: 2,
        histories: 1,
      },
    ]);
  });

  it('should never complete a partial order the other ledger left, and let its writer complete it', async () => {
    const event = first.seedEvent({ id: 64000002 });
    // The first ledger writes the order and its first item, then Revel refuses items for a while.
    revel.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 1_000, kind: 'status', status: 503, after: 1 },
    });
    const partial = await sync(first, event.id as number);
    expect(partial.events[0]).toMatchObject({ status: 'PENDING', reason: 'UPSTREAM_RETRYABLE' });
    expect(orderShapes('Triple Seat_64000002')).toMatchObject([{ payments: 0, items: 1 }]);

    // The second ledger meets the half-written order: not its own, so it leaves it alone.
    const other = await sync(second, event.id as number);
    expect(other.events[0]).toMatchObject({ status: 'ALREADY_EXISTS' });
    expect(orderShapes('Triple Seat_64000002')).toMatchObject([{ payments: 0, items: 1 }]);

    revel.faults.clear();
    first.clock.advance(5_000);
    await first.get(SyncWorker).tick();
    await first.waitForState('64000002', ['INJECTED']);
    const [order] = orderShapes('Triple Seat_64000002');
    expect(order).toMatchObject({ payments: 1, items: 2, distinctItemUuids: 2, histories: 1 });
  });

  it('should never give an order two payments or a doubled item when both ledgers get the same webhooks', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => 64000100 + i);
    for (const id of ids) first.seedEvent({ id });
    const deliveries = ids.flatMap((id) =>
      [first, second].map((h) =>
        h.webhook({ webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id } }),
      ),
    );
    const answers = await Promise.all(deliveries);
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);

    const settled = ['INJECTED', 'ALREADY_EXISTS'];
    for (const id of ids) {
      const states = await until(
        `event ${id} settled in both ledgers`,
        async () => {
          const rows = await Promise.all(
            [first, second].map(async (h) => {
              const res = await h.api().get(`/api/sync/events/${id}`);
              return res.status === 200 ? String((res.body as { state: string }).state) : '';
            }),
          );
          return rows.every((s) => settled.includes(s)) ? rows : undefined;
        },
        30_000,
        100,
      );
      const orders = orderShapes(`Triple Seat_${id}`);
      for (const { id: _orderId, ...shape } of orders) {
        expect({ event: id, ...shape }).toEqual({
          event: id,
          payments: 1,
          items: 2,
          distinctItemUuids: 2,
          histories: 1,
        });
      }
      // Each ledger wrote at most its own order; a ledger that found another's reports it.
      expect(states.filter((s) => s === 'INJECTED')).toHaveLength(orders.length);
      expect(orders.length).toBeGreaterThanOrEqual(1);
      if (orders.length === 1) expect([...states].sort()).toEqual(['ALREADY_EXISTS', 'INJECTED']);
    }
  });
});

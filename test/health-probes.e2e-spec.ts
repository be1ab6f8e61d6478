import { DateTime } from 'luxon';
import request from 'supertest';
import { LedgerRepository } from '../src/database/ledger.repository';
import { ReconciliationScheduler } from '../src/sync/reconciliation.scheduler';
import { Harness, startHarness } from './support/harness';

interface HealthBody {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
  details: Record<string, { status: string }>;
}

/**
 * The three probes answer three questions: `/health/live` the process, `/health/ready` whether this
 * replica can take traffic (its ledger, its shutdown), `/health` everything worth an alert. An
 * outage of TripleSeat longer than two reconciliation intervals is an alert, never a reason to
 * refuse TripleSeat's own webhooks.
 */
describe('Health probes by purpose (e2e against the sandboxes)', () => {
  let h: Harness;
  let scheduler: ReconciliationScheduler;

  beforeAll(async () => {
    // 08:00 at the Los Angeles site: the five slots the test moves through stay on the event's day.
    const morning = DateTime.now().setZone('America/Los_Angeles').set({ hour: 8, minute: 0 });
    h = await startHarness({ env: { RECONCILE_ENABLED: 'true' }, now: morning.toJSDate() });
    scheduler = h.get(ReconciliationScheduler);
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Runs the current slot; the start-up run may still hold the scheduler, so waits it out. */
  const runSlot = async (): Promise<string> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = await scheduler.tick();
      if (result !== 'busy' || Date.now() > deadline) return result;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const probe = async (path: string) => {
    const res = await request(h.url).get(path);
    return { status: res.status, body: res.body as HealthBody };
  };

  it('should answer all three 200 after a successful reconciliation, each with only its own checks', async () => {
    h.clock.advance(scheduler.intervalMs);
    expect(await runSlot()).toBe('ran');

    const live = await probe('/health/live');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(Object.keys(live.body.details)).toEqual([]);

    const ready = await probe('/health/ready');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.details).sort()).toEqual(['database', 'draining']);

    const monitoring = await probe('/health');
    expect(monitoring.status).toBe(200);
    expect(Object.keys(monitoring.body.details).sort()).toEqual([
      'database',
      'reconciliation',
      'revel',
      'tripleseat',
      'worker',
    ]);
  });

  it('should stay ready and accept webhooks through a TripleSeat outage longer than two intervals, while /health answers 503 naming the reconciliation', async () => {
    h.tripleseat.faults.add({ path: '/v1', errorRate: 1, errorStatus: 503 });
    try {
      // Three slots in a row fail against the outage: the last success is over 2 × interval old.
      for (let slot = 0; slot < 3; slot += 1) {
        h.clock.advance(scheduler.intervalMs);
        expect(await runSlot()).toBe('failed');
      }
      const lastFailed = await h.get(LedgerRepository).lastRun();
      expect(lastFailed?.status).toBe('failed');

      const ready = await probe('/health/ready');
      expect(ready).toMatchObject({ status: 200, body: { status: 'ok' } });

      const event = h.seedEvent({ id: 68000001 });
      const delivery = await h.webhook({
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: { id: event.id },
      });
      expect(delivery.status).toBe(200);
      expect(delivery.body).toMatchObject({ reason: 'QUEUED' });

      const monitoring = await probe('/health');
      expect(monitoring.status).toBe(503);
      expect(monitoring.body.status).toBe('error');
      expect(monitoring.body.error?.reconciliation.status).toBe('down');
      expect(monitoring.body.error?.tripleseat).toMatchObject({
        status: 'down',
        message: 'tripleseat did not answer (503)',
      });
      expect(monitoring.body.info?.database.status).toBe('up');
      expect(monitoring.body.info?.revel.status).toBe('up');
    } finally {
      h.tripleseat.faults.clear();
    }

    // TripleSeat back: the next slot succeeds, and the delivered event gets its order.
    h.clock.advance(scheduler.intervalMs);
    expect(await runSlot()).toBe('ran');
    expect((await probe('/health')).status).toBe(200);
    const row = await h.waitForState('68000001', ['INJECTED'], 30_000);
    expect(row.state).toBe('INJECTED');
  });
});

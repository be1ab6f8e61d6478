import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invoiceDocument } from '../sandbox/tripleseat.fixtures';
import { createKysely } from '../src/database/database.service';
import { Harness, startHarness } from './support/harness';

/**
 * docs/deployment.md, 'Shutdown': shutdown stops taking work and finishes or releases what is in
 * flight, and says so in one line. An event whose Revel items are slow is still being written when
 * the app closes: it is given a few seconds, then stops at its next saved step and its row is
 * released (due at once, its progress kept), so the next replica resumes the order instead of
 * waiting for the lease.
 */
describe('Worker shutdown (e2e)', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-shutdown-'));
    h = await startHarness({
      databaseUrl: `sqlite:${join(dir, 'sync.db')}`,
      env: { UPSTREAM_TIMEOUT_MS: '5000' },
    });
  });

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should release an event still writing after the finish window, and log exactly one line', async () => {
    h.seedEvent({
      id: 66000001,
      documents: [
        invoiceDocument({
          title: 'Invoice',
          lines: ['TRIPLE OG', 'MAPLE BAR', 'SUGA DADDY', 'FUDGY WUDGY', 'HEY BLONDIE'].map(
            (name) => ({ name, quantity: 2, price: '3.00' }),
          ),
        }),
      ],
    });
    h.revel.faults.add({ method: 'POST', path: '/resources/OrderItem/', latencyMs: 1_800 });
    const queued = await h.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 66000001 },
    });
    expect(queued.body).toMatchObject({ reason: 'QUEUED' });
    await h.waitForState('66000001', ['IN_PROGRESS']);

    await h.close();

    const lines = h.logs.filter((line) => line.includes('shut down:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('shut down: finished 0 events in flight, released 1');
    const db = createKysely(`sqlite:${join(dir, 'sync.db')}`);
    try {
      const row = await db
        .selectFrom('sync_events')
        .selectAll()
        .where('event_id', '=', '66000001')
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'PENDING', lease_owner: null, attempts: 0 });
      const progress = JSON.parse(row.progress ?? '{}') as {
        orderId?: number;
        itemsDone?: number[];
      };
      expect(progress.orderId).toBeDefined();
      expect(progress.itemsDone?.length).toBeGreaterThan(0);
      expect(progress.itemsDone?.length).toBeLessThan(5);
    } finally {
      await db.destroy();
    }
  }, 60_000);
});

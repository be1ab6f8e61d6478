import { runCli } from '../src/cli/cli';
import { Harness, SECRETS, startHarness } from './support/harness';

describe('operator CLI (e2e against the running service)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['--url', h.url, ...args], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      interactive: false,
      env: { SYNC_API_TOKEN: SECRETS.apiToken },
    });
    return { code, out, err };
  }

  it('should sync one event and show its status with history', async () => {
    h.seedEvent({ id: 63000001 });
    const sync = await cli('sync', '63000001');
    expect(sync.code).toBe(0);
    expect(sync.out[0]).toBe(
      'single: queried 1, created 1, injected 1, already synced 0, skipped 0, failed 0',
    );
    const order = h.revel.ordersByLocalId('Triple Seat_63000001')[0];
    expect(sync.out.join('\n')).toContain(String(order.id));

    const status = await cli('status', '63000001');
    expect(status.code).toBe(0);
    expect(status.out[0]).toBe(`event 63000001: INJECTED (INJECTED), Revel order ${order.id}`);
    expect(status.out.some((l) => l.includes('PENDING') && l.includes('QUEUED'))).toBe(true);
    // A settled event has no next attempt.
    expect(status.out.join('\n')).not.toContain('next attempt');

    const again = await cli('sync', '63000001');
    expect(again.out[0]).toBe(
      'single: queried 1, created 0, injected 0, already synced 1, skipped 0, failed 0',
    );
    expect(again.out.join('\n')).toMatch(/63000001\s+INJECTED\s+INJECTED\s+\d+\s+alreadySynced/);
  });

  it('should list FAILED events and retry one to success', async () => {
    h.seedEvent({ id: 63000002 });
    h.revel.faults.add({
      method: 'POST',
      path: '/resources/Order/',
      next: { count: 1, kind: 'status', status: 400 },
    });
    const first = await cli('sync', '63000002');
    expect(first.code).toBe(1);
    expect(first.out.join('\n')).toContain('UPSTREAM_PERMANENT');
    const failedStatus = await cli('status', '63000002');
    expect(failedStatus.out[0]).toBe('event 63000002: FAILED (UPSTREAM_PERMANENT)');
    expect(failedStatus.out.join('\n')).not.toContain('next attempt');

    const failed = await cli('failed');
    expect(failed.code).toBe(0);
    expect(failed.out[0]).toMatch(/^event\s+date\s+reason/);
    expect(
      failed.out.some((l) => l.startsWith('63000002') && l.includes('UPSTREAM_PERMANENT')),
    ).toBe(true);

    const retry = await cli('retry', '63000002');
    expect(retry.code).toBe(0);
    expect(retry.out[0]).toContain('created 1, injected 1');
    expect(h.revel.ordersByLocalId('Triple Seat_63000002')).toHaveLength(1);
    expect((await cli('failed')).out).toEqual(['no FAILED events']);
  });

  it('should reconcile with progress and print the summary', async () => {
    for (let i = 0; i < 6; i += 1) h.seedEvent({ id: 63000010 + i });
    h.tripleseat.faults.add({ path: '/v1/events/6300001', latencyMs: 150 });
    const run = await cli('reconcile', '--hours', '24');
    h.tripleseat.faults.clear();
    expect(run.code).toBe(0);
    const summary = run.out.find((l) => l.startsWith('bulk:'));
    expect(run.out[0]).toMatch(
      /^run \d+ started \(correlation id cli-[\w-]+\): GET \/api\/sync\/runs\/\d+$/,
    );
    expect(summary).toMatch(
      /^bulk: queried \d+, created [6-9]\d*, injected \d+, already synced \d+/,
    );
    expect(run.out.some((l) => /^progress \d+\/\d+$/.test(l))).toBe(true);
    expect(run.out.filter((l) => /^progress /.test(l)).pop()).toMatch(/^progress (\d+)\/\1$/);
    for (let i = 0; i < 6; i += 1)
      expect(h.revel.ordersByLocalId(`Triple Seat_${63000010 + i}`)).toHaveLength(1);
  });

  it('should explain bad usage and a wrong token', async () => {
    const bad = await cli('reconcile', '--hours', '0');
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toContain('--hours must be a whole number between 1 and 720');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['--url', h.url, '--token', 'wrong-token-wrong-token', 'status', '1'],
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        interactive: false,
        env: {},
      },
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('HTTP 401');
  });
});

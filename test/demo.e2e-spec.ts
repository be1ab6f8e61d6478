import { Writable } from 'node:stream';
import { runDemo } from '../scripts/demo';

/**
 * `npm run demo -- --exit` in-process: the README's end-to-end command must keep working, and every
 * seeded event must end as it was meant to, with exactly one Revel order per eligible event.
 */
describe('npm run demo (e2e)', () => {
  it('should run the whole scenario, end every event in its expected state and shut down', async () => {
    const printed: string[] = [];
    const logs: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const started = Date.now();
    const result = await runDemo({
      exit: true,
      port: 0,
      out: (text) => printed.push(text),
      logStream,
    });
    const output = printed.join('');
    if (!result.ok) {
      throw new Error(`demo reported problems:\n${output}\nservice logs:\n${logs.join('')}`);
    }

    expect(result.problems).toEqual([]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(
      Object.fromEntries(result.outcomes.map((o) => [o.scenario, `${o.state}/${o.reason}`])),
    ).toEqual({
      'today, discount': 'INJECTED/INJECTED',
      'today, service charge, tax and room fee': 'INJECTED/INJECTED',
      tomorrow: 'HELD/TOO_EARLY',
      yesterday: 'SKIPPED/EVENT_DAY_PASSED',
      'today, tentative': 'SKIPPED/STATUS_NOT_ELIGIBLE',
      'unmapped location': 'SKIPPED/LOCATION_NOT_MAPPED',
      'unknown items only': 'SKIPPED/NO_ITEMS_MATCHED',
      'reconciliation only': 'INJECTED/INJECTED',
      'packing-slip item': 'INJECTED/INJECTED',
    });
    for (const o of result.outcomes) {
      expect(o).toMatchObject({ state: o.expectedState, reason: o.expectedReason, problems: [] });
    }

    // Exactly one order per eligible event, each the one the ledger points at.
    const injected = result.outcomes.filter((o) => o.expectedState === 'INJECTED');
    expect(result.orders).toHaveLength(injected.length);
    for (const o of injected) {
      const orders = result.orders.filter((r) => r.localId === `Triple Seat_${o.eventId}`);
      expect(orders).toHaveLength(1);
      expect(String(orders[0].id)).toBe(o.revelOrderId);
      expect(orders[0].finalTotal).toBe(o.finalTotal);
    }
    const byScenario = (name: string) => {
      const outcome = result.outcomes.find((o) => o.scenario === name);
      return result.orders.find((r) => r.localId === `Triple Seat_${outcome?.eventId}`);
    };
    expect(byScenario('today, discount')).toMatchObject({
      subtotal: '54.40',
      discount: '4.40',
      finalTotal: '50.00',
    });
    // Food 60.00; a room fee (not food, not ordered), a service charge and a tax on the invoice.
    expect(byScenario('today, service charge, tax and room fee')).toMatchObject({
      subtotal: '60.00',
      surcharge: '83.46',
      finalTotal: '143.46',
    });
    expect(result.emails).toBeGreaterThanOrEqual(injected.length);

    expect(output).toContain('TripleSeat events → ledger');
    expect(output).toContain('Revel orders in the sandbox');
    // The reconciliation finds the one event no webhook announced: it writes that order, and the
    // orders the webhooks wrote are already synced, not counted again.
    expect(output).toMatch(
      /run \d+: queried \d+; created 1 \(orders this run wrote\), already synced 3 /,
    );
    // With --exit the service is gone once this prints: nothing invites the reader to call it.
    expect(output).not.toContain('try:');
    expect(output).not.toContain('curl');
    expect(output).not.toContain(`Authorization: Bearer ${result.apiToken}`);
    expect(output.trimEnd().endsWith('shut down.')).toBe(true);
  });

  it('should print the console’s address and a sign-in token that opens it, while serving', async () => {
    const printed: string[] = [];
    const result = await runDemo({
      port: 0,
      out: (text) => printed.push(text),
      logStream: new Writable({ write: (_chunk, _enc, done) => done() }),
    });
    try {
      const output = printed.join('');
      const line = new RegExp(
        `console +(http://127\\.0\\.0\\.1:\\d+/console) +\\(sign in with the token (\\S+)\\)`,
      ).exec(output);
      expect(line).not.toBeNull();
      const [, consoleUrl, token] = line ?? [];
      expect(token).toBe(result.apiToken);
      const signIn = await fetch(`${consoleUrl}/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(signIn.status).toBe(303);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
      const board = await fetch(consoleUrl, { headers: { cookie } });
      expect(board.status).toBe(200);
      const html = await board.text();
      const today = result.outcomes.find((o) => o.scenario === 'today, discount');
      expect(html).toContain(`data-event-id="${today?.eventId}"`);
    } finally {
      await result.close();
    }
  });
});

import { connect } from 'node:net';
import { LedgerRepository } from '../src/database/ledger.repository';
import { Harness, startHarness } from './support/harness';

const MAX_EVENT_IDS = 20;
const UNSIGNED_PER_MINUTE = 2;

/** Sends only a request's head and resolves with the status line's code and when it came. */
function headOnly(
  url: string,
  head: string,
): Promise<{ status?: number; afterMs: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    let received = '';
    let settled = false;
    const socket = connect(Number(port), hostname);
    const finish = () => {
      if (settled) return;
      settled = true;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve({
        status: match ? Number(match[1]) : undefined,
        afterMs: Date.now() - started,
        text: received,
      });
      socket.destroy();
    };
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => socket.write(head));
  });
}

/**
 * The webhook's edges: the unsigned budget is decided before the body is read; one delivery queues
 * at most WEBHOOK_MAX_EVENT_IDS events; and a delivery naming many events does not hold the worker
 * until its last one is done.
 */
describe('Webhook edges (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        TRUST_PROXY: 'loopback',
        WORKER_CONCURRENCY: '1',
        WEBHOOK_MAX_EVENT_IDS: String(MAX_EVENT_IDS),
        WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE: String(UNSIGNED_PER_MINUTE),
        HTTP_BODY_TIMEOUT_MS: '5000',
      },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('should answer 429 to an address whose unsigned budget is spent before reading its body', async () => {
    const from = '192.0.2.50';
    for (let i = 0; i < UNSIGNED_PER_MINUTE; i += 1) {
      const res = await fetch(`${h.url}/webhooks/tripleseat`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': from,
          'x-signature': 'sha256=00',
        },
        body: '{"webhook_trigger_type":"UPDATE_EVENT","event":{"id":1}}',
      });
      expect(res.status).toBe(401);
    }
    // A declared 1 MiB body of which not one byte is sent: the answer comes without waiting for it.
    const answer = await headOnly(
      h.url,
      'POST /webhooks/tripleseat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `X-Forwarded-For: ${from}\r\nX-Signature: sha256=00\r\nContent-Length: 1048576\r\n\r\n`,
    );
    expect(answer.status).toBe(429);
    expect(answer.text).toMatch(/\r\nretry-after: [1-9]\d*\r\n/i);
    expect(answer.afterMs).toBeLessThan(2_000);
    // TripleSeat's signed deliveries from another address are not affected.
    const signed = await h.webhook({
      webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
      event: { id: 2 },
    });
    expect(signed.status).toBe(200);
  });

  it('should process an ordinary event before a delivery naming many is done', async () => {
    const bulk = Array.from({ length: MAX_EVENT_IDS }, (_, i) => 71_000_001 + i);
    for (const id of bulk) h.seedEvent({ id });
    h.seedEvent({ id: 71_000_100 });

    const many = await h.webhook({
      webhook_trigger_type: 'UPDATE_BOOKING',
      booking: { id: 9001, event_ids: bulk },
    });
    expect(many.body).toMatchObject({ reason: 'QUEUED' });
    const one = await h.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 71_000_100 },
    });
    expect(one.body).toMatchObject({ reason: 'QUEUED' });

    await h.waitForState('71000100', ['INJECTED']);
    const rows = await h.get(LedgerRepository).getMany(bulk.map(String));
    const done = rows.filter((row) => row.state === 'INJECTED').length;
    // One worker slot: the ordinary event went in after at most a few of the bulk, not after all.
    expect(done).toBeLessThanOrEqual(5);
    for (const id of bulk) await h.waitForState(String(id), ['INJECTED']);
  }, 120_000);

  it("should de-duplicate a booking delivery's event ids, queue at most WEBHOOK_MAX_EVENT_IDS and say the rest are left to reconciliation", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => 72_000_001 + i);
    const before = h.logs.length;
    const res = await h.webhook({
      webhook_trigger_type: 'UPDATE_BOOKING',
      booking: { id: 9002, event_ids: [...ids, ...ids.slice(0, 10), String(ids[0])] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      reason: 'QUEUED',
      eventIds: ids.slice(0, MAX_EVENT_IDS).map(String),
      deferredEventIds: 30 - MAX_EVENT_IDS,
    });
    expect(String((res.body as { message?: string }).message)).toContain('left to reconciliation');
    expect(h.logs.slice(before).join('')).toContain(
      `webhook named 30 events; ${MAX_EVENT_IDS} queued (WEBHOOK_MAX_EVENT_IDS), 10 left to reconciliation`,
    );
    const rows = await h.get(LedgerRepository).getMany(ids.map(String));
    expect(rows.map((row) => Number(row.event_id)).sort()).toEqual(ids.slice(0, MAX_EVENT_IDS));
  });
});

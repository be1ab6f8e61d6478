import { connect, Socket } from 'node:net';
import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

/** What came back on a raw socket, and when. */
interface RawAnswer {
  status?: number;
  head: string;
  /** Milliseconds from the first byte sent to the answer's status line (or to the close). */
  afterMs: number;
  closed: boolean;
}

/**
 * Sends `head` (request line and headers), then body chunks every `everyMs` until the server answers
 * or closes, or `maxMs` pass; never sends more than `chunks`.
 */
function rawExchange(
  url: string,
  head: string,
  chunks: Buffer[],
  everyMs: number,
  maxMs: number,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const socket: Socket = connect(Number(port), hostname);
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve({
        status: match ? Number(match[1]) : undefined,
        head: received.split('\r\n\r\n')[0],
        afterMs: Date.now() - started,
        closed,
      });
      socket.destroy();
    };
    const giveUp = setTimeout(() => finish(false), maxMs);
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.includes('\r\n\r\n')) finish(false);
    });
    socket.on('close', () => finish(true));
    // The server may reset a connection whose body it refused; what it answered first counts.
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      socket.write(head);
      let next = 0;
      const send = () => {
        if (settled || next >= chunks.length) return;
        socket.write(chunks[next]);
        next += 1;
        timer = setTimeout(send, everyMs);
      };
      send();
    });
    socket.on('timeout', () => reject(new Error('socket timeout')));
  });
}

describe('Request bounds (e2e)', () => {
  let h: Harness;
  const BODY_TIMEOUT_MS = 1_500;

  beforeAll(async () => {
    h = await startHarness({ env: { HTTP_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('should refuse a body declaring 10 GB at once, on the webhook and on any other route, without reading it', async () => {
    for (const path of ['/webhooks/tripleseat', '/api/sync/tripleseat', '/no/such/route']) {
      const answer = await rawExchange(
        h.url,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${10 * 1024 ** 3}\r\n\r\n`,
        // The client keeps sending; the answer must not wait for it.
        Array.from({ length: 50 }, () => Buffer.alloc(64 * 1024, 0x20)),
        20,
        10_000,
      );
      expect({ path, status: answer.status }).toEqual({ path, status: 413 });
      expect(answer.afterMs).toBeLessThan(1_000);
      expect(answer.head.toLowerCase()).toContain('connection: close');
      expect(answer.head.toLowerCase()).toContain('x-correlation-id');
    }
  });

  it('should still answer 413 for a chunked body that grows past 1 MiB, as soon as it does', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const chunked = (data: Buffer) =>
      Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
    const answer = await rawExchange(
      h.url,
      'POST /webhooks/tripleseat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      Array.from({ length: 40 }, () => chunked(chunk)),
      50,
      10_000,
    );
    expect(answer.status).toBe(413);
    // Five chunks pass the limit; forty would take two seconds.
    expect(answer.afterMs).toBeLessThan(1_500);
  });

  it('should cut off a body that trickles in, at the body deadline', async () => {
    const answer = await rawExchange(
      h.url,
      'POST /webhooks/tripleseat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n',
      // One byte every 200 ms: the whole body would take 200 s.
      Array.from({ length: 1000 }, () => Buffer.from('{')),
      200,
      20_000,
    );
    expect(answer.status).toBe(408);
    expect(answer.afterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 100);
    expect(answer.afterMs).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
  });

  it('should accept a body that arrives within the deadline', async () => {
    const body = JSON.stringify({
      webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
      event: { id: 7100001 },
    });
    const res = await h.webhook(null, { rawBody: body });
    expect(res.status).toBe(200);
  });

  it('should parse no JSON for an unknown route or an unauthenticated call, even a 1 MiB body', async () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      // Not valid JSON on purpose: a parse would answer 400, and could only be slow.
      const big = `{"pad": "${'x'.repeat(1024 * 1024 - 64)}`;
      const unknown = await request(h.url)
        .post('/no/such/route')
        .set('Content-Type', 'application/json')
        .send(big);
      expect(unknown.status).toBe(404);
      const unauthenticated = await request(h.url)
        .post('/api/sync/tripleseat?event_id=1')
        .set('Content-Type', 'application/json')
        .send(big);
      expect(unauthenticated.status).toBe(401);
      const authenticated = await request(h.url)
        .post('/api/sync/tripleseat?event_id=abc')
        .set('Authorization', `Bearer ${SECRETS.apiToken}`)
        .set('Content-Type', 'application/json')
        .send(big);
      // The route takes no body: a bad query is what it answers, not a JSON error.
      expect(authenticated.status).toBe(400);
      expect(JSON.stringify(authenticated.body)).not.toContain('not valid JSON');
      const serverParses = parse.mock.calls.filter(([text]) => String(text).length > 100_000);
      expect(serverParses).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });

  it('should bound how long a client may take to send its headers', () => {
    const server = h.app.getHttpServer() as import('node:http').Server;
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(10_000 + BODY_TIMEOUT_MS);
  });
});

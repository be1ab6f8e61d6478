import type { Server } from 'node:http';
import { connect, Socket } from 'node:net';
import { Harness, startHarness } from './support/harness';

/** A socket from `localAddress` (any of 127.0.0.0/8 on Linux) that has connected. */
function open(url: string, localAddress: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with how long after `since` the socket closed, and whether an answer came first. */
function closed(socket: Socket, since: number): Promise<{ afterMs: number; answer: string }> {
  let answer = '';
  socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    if (socket.destroyed) resolve({ afterMs: Date.now() - since, answer });
    socket.once('close', () => resolve({ afterMs: Date.now() - since, answer }));
  });
}

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const HEAD = 'POST /webhooks/tripleseat HTTP/1.1\r\nHost: x\r\n';

// First in the file: the edge's module-level logger writes to the first app of the process.
describe('Connection caps (e2e)', () => {
  const PER_ADDRESS = 5;
  const MAX = 12;
  let h: Harness;
  const held: Socket[] = [];

  beforeAll(async () => {
    h = await startHarness({
      env: {
        HTTP_MAX_CONNECTIONS: String(MAX),
        HTTP_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      },
    });
  });

  afterEach(() => {
    for (const socket of held.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    await h?.close();
  });

  const server = () => h.app.getHttpServer() as Server;

  it('should close connections over the cap of one address at once, while a signed delivery from another goes through', async () => {
    const before = await connections(server());
    for (let i = 0; i < PER_ADDRESS; i += 1) {
      const socket = await open(h.url, '127.0.0.2');
      socket.write(HEAD);
      held.push(socket);
    }
    await until(async () => (await connections(server())) >= before + PER_ADDRESS, 'the holders');

    const started = Date.now();
    const over = await open(h.url, '127.0.0.2');
    over.write(HEAD);
    const refused = await closed(over, started);
    expect(refused.afterMs).toBeLessThan(2_000);
    expect(refused.answer).toBe('');

    const delivery = await h.webhook({
      webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
      event: { id: 1 },
    });
    expect(delivery.status).toBe(200);
    await until(
      () =>
        Promise.resolve(h.logs.some((line) => line.includes('HTTP_MAX_CONNECTIONS_PER_ADDRESS'))),
      'the refusal in the log',
    );
  });

  it('should close connections over HTTP_MAX_CONNECTIONS, and take new ones once some end', async () => {
    let from = 3;
    while ((await connections(server())) < MAX) {
      const socket = await open(h.url, `127.0.0.${from}`);
      socket.write(HEAD);
      held.push(socket);
      if (held.length % (PER_ADDRESS - 1) === 0) from += 1;
      await until(
        async () => (await connections(server())) >= Math.min(MAX, held.length),
        'a holder',
      );
    }
    const started = Date.now();
    const over = await open(h.url, '127.0.0.40');
    over.write(HEAD);
    expect((await closed(over, started)).afterMs).toBeLessThan(2_000);

    for (const socket of held.splice(0, 2)) socket.destroy();
    await until(async () => (await connections(server())) < MAX - 1, 'room');
    const delivery = await h.webhook({
      webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
      event: { id: 2 },
    });
    expect(delivery.status).toBe(200);
  });
});

describe('The header deadline, enforced (e2e)', () => {
  const HEADERS_TIMEOUT_MS = 1_000;
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it("should cut a client trickling its headers near the deadline, not at Node's 30 s check", async () => {
    const socket = await open(h.url, '127.0.0.1');
    const started = Date.now();
    const end = closed(socket, started);
    socket.write(HEAD);
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: a\r\n');
    }, 100);
    try {
      const { afterMs, answer } = await end;
      expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS * 2.5);
      if (answer) expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });
});

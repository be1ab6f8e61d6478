import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { verifyTripleSeatSignature } from '../src/tripleseat/webhook-signature';
import {
  fixtureEvent,
  LOGIN_PAGE_HTML,
  RESOURCE_OWNER_NOT_FOUND,
  TripleSeatSandbox,
} from './tripleseat.sandbox';

const CLIENT_ID = 'sandbox-client';
const CLIENT_SECRET = 'sandbox-secret';
const SIGNING_KEY = 'whsec_sandbox';

interface Answer {
  status: number;
  body: unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The answer as text, with its content type: for the HTML sign-in page. */
async function callText(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, init);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text: await res.text(),
  };
}

describe(TripleSeatSandbox.name, () => {
  let sandbox: TripleSeatSandbox;
  let bearer: string;

  async function token(): Promise<string> {
    const answer = await call(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    return (answer.body as { access_token: string }).access_token;
  }

  const search = (query: string) =>
    call(`${sandbox.apiBaseUrl}/events/search.json?${query}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });

  beforeAll(async () => {
    sandbox = await TripleSeatSandbox.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      webhookSigningKey: SIGNING_KEY,
      pageSize: 2,
    });
  });

  beforeEach(async () => {
    sandbox.reset();
    [
      fixtureEvent({ id: 1, event_date_iso8601: '2025-12-01', status: 'CLOSED' }),
      fixtureEvent({ id: 2, event_date_iso8601: '2025-12-02', status: 'definite' }),
      fixtureEvent({ id: 3, event_date_iso8601: '2025-12-03', status: 'closed' }),
      fixtureEvent({ id: 4, event_date: '12/04/2025', status: 'LOST' }),
      fixtureEvent({ id: 5, event_date_iso8601: '2026-01-05', status: 'CLOSED' }),
    ].forEach((e) => sandbox.upsertEvent(e));
    bearer = await token();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('should build fixtures whose date fields agree, unless a date is garbled on purpose', () => {
    expect(fixtureEvent({ event_date_iso8601: '2026-03-07' })).toMatchObject({
      event_date: '03/07/2026',
      event_start: '03/07/2026 6:00 PM',
    });
    expect(fixtureEvent({ event_date: '03/08/2026' })).toMatchObject({
      event_date_iso8601: '2026-03-08',
    });
    expect(fixtureEvent({ event_date: 'next tuesday' })).toMatchObject({
      event_date: 'next tuesday',
      event_date_iso8601: null,
    });
    expect(fixtureEvent().documents).toEqual([
      expect.objectContaining({ title: 'Proposal', deleted_at: expect.any(String) }),
      expect.objectContaining({ title: 'Invoice', deleted_at: null }),
    ]);
  });

  it('should bind to loopback and expose its URLs', () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.apiBaseUrl).toBe(`${sandbox.url}/v1`);
    expect(sandbox.tokenUrl).toBe(`${sandbox.url}/oauth2/token`);
  });

  it('should refuse to bind anything but loopback', async () => {
    await expect(
      TripleSeatSandbox.start({ clientId: 'a', clientSecret: 'b', host: '0.0.0.0' }),
    ).rejects.toThrow(/refusing/);
  });

  it('should issue bearer tokens and refuse wrong credentials', async () => {
    const wrong = await call(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=nope`,
    });

    expect(wrong).toEqual({ status: 401, body: { error: 'invalid_client' } });
    expect(sandbox.tokensIssued).toBe(1);
  });

  it('should answer the token request with the recorded token shape (test/fixtures)', async () => {
    const issued = await call(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`,
    });
    const recorded = JSON.parse(
      readFileSync(
        join(__dirname, '..', 'test', 'fixtures', 'tripleseat', 'oauth2-token.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;

    expect(issued.status).toBe(200);
    const body = issued.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(Object.keys(recorded).sort());
    expect(body).toMatchObject({ token_type: recorded.token_type, expires_in: 7200 });
  });

  it('should answer 401 without credentials, with an unknown or a revoked token', async () => {
    const url = `${sandbox.apiBaseUrl}/events/1.json`;

    expect((await call(url)).status).toBe(401);
    expect((await call(url, { headers: { authorization: 'Bearer made-up' } })).status).toBe(401);
    expect((await call(url, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
    sandbox.revokeTokens();
    expect((await call(url, { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(401);
  });

  it('should serve an event, a 404 for an unknown one, and the path without .json', async () => {
    const headers = { authorization: `Bearer ${bearer}` };

    const found = await call(`${sandbox.apiBaseUrl}/events/3.json`, { headers });
    const bare = await call(`${sandbox.apiBaseUrl}/events/3`, { headers });
    const missing = await call(`${sandbox.apiBaseUrl}/events/42.json`, { headers });

    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      event: { id: 3, status: 'closed', event_date: '12/03/2025' },
    });
    expect(bare.body).toEqual(found.body);
    expect(missing.status).toBe(404);
  });

  it('should refuse OAuth 1.0 and any other non-bearer authorization (shut down 2026-07-01)', async () => {
    const url = `${sandbox.apiBaseUrl}/events/1.json`;
    const oauth1 =
      'OAuth oauth_consumer_key="sandbox-client", oauth_nonce="abc", ' +
      'oauth_signature="x", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", ' +
      'oauth_version="1.0"';

    const answer = await call(url, { headers: { authorization: oauth1 } });

    expect(answer).toEqual({ status: 401, body: { error: 'unauthorized' } });
    expect(sandbox.requests().at(-1)).toMatchObject({ auth: 'other', status: 401 });
  });

  describe('GET /v1/events.json', () => {
    const list = (query: string) =>
      call(`${sandbox.apiBaseUrl}/events.json${query}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });

    it('should list every event by id, a page at a time, as {total_pages, results}', async () => {
      const page1 = await list('?page=1');
      const page3 = await list('?page=3');
      const beyond = await list('?page=4');
      const noPage = await list('');

      expect(page1).toEqual({
        status: 200,
        body: {
          total_pages: 3,
          results: [expect.objectContaining({ id: 1 }), expect.objectContaining({ id: 2 })],
        },
      });
      expect(page3.body).toEqual({ total_pages: 3, results: [expect.objectContaining({ id: 5 })] });
      expect(beyond.body).toEqual({ total_pages: 3, results: [] });
      expect(noPage.body).toEqual(page1.body);
      expect(sandbox.count('GET /v1/events.json')).toBe(4);
    });

    it('should strip financial detail from listed events', async () => {
      const listed = (await list('?page=1')).body as { results: Record<string, unknown>[] };
      const documents = listed.results[0].documents as Record<string, unknown>[];

      expect(documents.length).toBeGreaterThan(0);
      for (const doc of documents) {
        expect(doc).toHaveProperty('title');
        expect(doc).not.toHaveProperty('line_items');
        expect(doc).not.toHaveProperty('financials');
      }
    });

    it('should refuse a page that is not a positive integer, and answer 401 without a token', async () => {
      expect((await list('?page=0')).status).toBe(400);
      expect((await list('?page=x')).status).toBe(400);
      expect((await call(`${sandbox.apiBaseUrl}/events.json?page=1`)).status).toBe(401);
    });
  });

  describe('go-live failure switches (upstream-facts §1.1)', () => {
    const form = (secret = CLIENT_SECRET) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: secret,
      }).toString(),
    });

    it('setAccountLinked(false): issues tokens, then refuses every /v1 call as "Token resource owner not found"', async () => {
      sandbox.setAccountLinked(false);
      const fresh = await call(sandbox.tokenUrl, form());
      const freshToken = (fresh.body as { access_token: string }).access_token;
      const headers = { authorization: `Bearer ${freshToken}` };

      const event = await call(`${sandbox.apiBaseUrl}/events/1.json`, { headers });
      const listed = await call(`${sandbox.apiBaseUrl}/events.json?page=1`, { headers });
      const searched = await call(`${sandbox.apiBaseUrl}/events/search.json`, { headers });
      const unknownToken = await call(`${sandbox.apiBaseUrl}/events/1.json`, {
        headers: { authorization: 'Bearer made-up' },
      });

      expect(fresh.status).toBe(200);
      expect(freshToken).toEqual(expect.any(String));
      for (const answer of [event, listed, searched]) {
        expect(answer).toEqual({ status: 401, body: RESOURCE_OWNER_NOT_FOUND });
      }
      expect(RESOURCE_OWNER_NOT_FOUND).toEqual({ error: 'Token resource owner not found' });
      expect(unknownToken).toEqual({ status: 401, body: { error: 'invalid_token' } });

      sandbox.setAccountLinked(true);
      expect((await call(`${sandbox.apiBaseUrl}/events/1.json`, { headers })).status).toBe(200);
    });

    it('setHtmlLogin(true): the token endpoint and every /v1 call answer a 200 HTML sign-in page', async () => {
      sandbox.setHtmlLogin(true);
      const headers = { authorization: `Bearer ${bearer}` };

      const token = await callText(sandbox.tokenUrl, form());
      const event = await callText(`${sandbox.apiBaseUrl}/events/1.json`, { headers });
      const unauthenticated = await callText(`${sandbox.apiBaseUrl}/events.json?page=1`);

      for (const answer of [token, event, unauthenticated]) {
        expect(answer.status).toBe(200);
        expect(answer.type).toMatch(/^text\/html/);
        expect(answer.text).toBe(LOGIN_PAGE_HTML);
      }
      sandbox.setHtmlLogin(false);
      expect((await call(`${sandbox.apiBaseUrl}/events/1.json`, { headers })).status).toBe(200);
    });

    it('a wrong secret gets 401 invalid_client at the token endpoint', async () => {
      expect(await call(sandbox.tokenUrl, form('wrong'))).toEqual({
        status: 401,
        body: { error: 'invalid_client' },
      });
    });

    it('should be switchable over /__sandbox and undone by reset()', async () => {
      const admin = `${sandbox.url}/__sandbox`;
      const post = (path: string, body: unknown) =>
        call(`${admin}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      const unlinked = await post('/account-linked', { linked: false });
      const html = await post('/html-login', { enabled: true });
      const bad = await post('/html-login', { enabled: 'yes' });
      const now = await call(`${admin}/switches`);

      expect(unlinked).toEqual({ status: 200, body: { accountLinked: false, htmlLogin: false } });
      expect(html).toEqual({ status: 200, body: { accountLinked: false, htmlLogin: true } });
      expect(bad.status).toBe(400);
      expect(now.body).toEqual({ accountLinked: false, htmlLogin: true });
      expect(sandbox.switches()).toEqual({ accountLinked: false, htmlLogin: true });

      sandbox.reset();
      expect(sandbox.switches()).toEqual({ accountLinked: true, htmlLogin: false });
    });
  });

  it('should page search results as {results, total_pages}', async () => {
    const page1 = await search('page=1');
    const page3 = await search('page=3');

    expect(page1.body).toEqual({
      results: [expect.objectContaining({ id: 1 }), expect.objectContaining({ id: 2 })],
      total_pages: 3,
    });
    expect(page3.body).toEqual({ results: [expect.objectContaining({ id: 5 })], total_pages: 3 });
  });

  it('should filter by event date range (inclusive) and status, any case, comma list', async () => {
    const ids = (answer: Answer) =>
      (answer.body as { results: { id: number }[] }).results.map((e) => e.id);

    const december = await search('event_start_date=12/02/2025&event_end_date=12/04/2025');
    const closed = await search('status=Closed');
    const both = await search(
      'status=closed,LOST&event_start_date=12/01/2025&event_end_date=12/31/2025',
    );
    const none = await search('event_start_date=01/01/2030');

    expect(ids(december)).toEqual([2, 3]);
    expect(ids(closed)).toEqual([1, 3]);
    expect((closed.body as { total_pages: number }).total_pages).toBe(2);
    expect(ids(both)).toEqual([1, 3]);
    expect(none.body).toEqual({ results: [], total_pages: 0 });
  });

  it('should sort by order and sort_direction', async () => {
    const answer = await search('sort_direction=desc');
    expect((answer.body as { results: { id: number }[] }).results.map((e) => e.id)).toEqual([5, 4]);
  });

  it('should refuse dates that are not MM/DD/YYYY', async () => {
    expect((await search('event_start_date=2025-12-01')).status).toBe(400);
    expect((await search('event_end_date=02/30/2025')).status).toBe(400);
  });

  it('should record every API request with its route, query, auth and correlation id', async () => {
    await call(`${sandbox.apiBaseUrl}/events/search.json?status=closed`, {
      headers: { authorization: `Bearer ${bearer}`, 'x-correlation-id': 'req-123' },
    });
    await call(`${sandbox.apiBaseUrl}/events/1.json`);

    const [tokenCall, searchCall, unauthenticated] = sandbox.requests();
    expect(tokenCall).toMatchObject({ route: 'POST /oauth2/token', auth: 'none', status: 200 });
    expect(searchCall).toMatchObject({
      route: 'GET /v1/events/search.json',
      query: { status: 'closed' },
      correlationId: 'req-123',
      auth: 'bearer',
      status: 200,
    });
    expect(unauthenticated).toMatchObject({
      route: 'GET /v1/events/:id.json',
      auth: 'none',
      status: 401,
    });
    expect(sandbox.countsByRoute()).toEqual({
      'POST /oauth2/token': 1,
      'GET /v1/events/search.json': 1,
      'GET /v1/events/:id.json': 1,
    });
  });

  it('should be drivable over HTTP through /__sandbox without auth or faults', async () => {
    const admin = `${sandbox.url}/__sandbox`;
    const json = { 'content-type': 'application/json' };
    await call(`${admin}/faults`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify([{ path: 're:^/v1/events/\\d+', errorRate: 1, errorStatus: 503 }]),
    });

    const upsert = await call(`${admin}/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify([fixtureEvent({ id: 77 }), fixtureEvent({ id: 78 })]),
    });
    const faulted = await call(`${sandbox.apiBaseUrl}/events/77.json`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    const rules = await call(`${admin}/faults`);
    const removed = await fetch(`${admin}/events/78`, { method: 'DELETE' });
    const listed = await call(`${admin}/events`);
    const log = await call(`${admin}/requests`);

    expect(upsert).toEqual({ status: 200, body: { upserted: 2 } });
    expect(faulted.status).toBe(503);
    expect(rules.body).toMatchObject({
      rules: [{ path: expect.stringMatching(/^re:/), errorRate: 1 }],
    });
    expect(removed.status).toBe(204);
    expect((listed.body as { events: { id: number }[] }).events.map((e) => e.id)).toContain(77);
    expect(sandbox.events().some((e) => e.id === 78)).toBe(false);
    expect((log.body as { counts: Record<string, number> }).counts).toEqual({
      'POST /oauth2/token': 1,
      'GET /v1/events/:id.json': 1,
    });
  });

  it('should seed events over POST /__sandbox/events from one event, an array or {events}', async () => {
    const events = `${sandbox.url}/__sandbox/events`;
    const post = (body: string, type?: string) =>
      call(events, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body,
      });

    const one = await post(JSON.stringify(fixtureEvent({ id: 81 })), 'application/json');
    const many = await post(JSON.stringify([fixtureEvent({ id: 82 }), fixtureEvent({ id: 83 })]));
    // `curl -d` without -H sends application/x-www-form-urlencoded: still read as JSON.
    const wrapped = await post(
      JSON.stringify({ events: [fixtureEvent({ id: 84 })] }),
      'application/x-www-form-urlencoded',
    );
    const noId = await post(JSON.stringify({ name: 'no id' }), 'application/json');
    const notJson = await post('id=85', 'application/x-www-form-urlencoded');

    expect([one, many, wrapped]).toEqual([
      { status: 200, body: { upserted: 1 } },
      { status: 200, body: { upserted: 2 } },
      { status: 200, body: { upserted: 1 } },
    ]);
    expect(sandbox.events().map((e) => e.id)).toEqual(expect.arrayContaining([81, 82, 83, 84]));
    expect(noId.status).toBe(400);
    expect(JSON.stringify(noId.body)).toContain('every event needs an id');
    expect(notJson.status).toBe(400);
  });

  describe('sendWebhook', () => {
    let receiver: Server;
    let receiverUrl: string;
    let received: { raw: Buffer; headers: IncomingHttpHeaders }[];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({ raw: Buffer.concat(chunks), headers: req.headers });
          res.writeHead(200, {
            'content-type': 'application/json',
            'x-correlation-id': 'req-echo',
          });
          res.end(JSON.stringify({ ok: true }));
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/tripleseat`;
    });

    beforeEach(() => {
      received = [];
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    const delivery = { webhook_trigger_type: 'UPDATE_EVENT', event: { id: 1, status: 'CLOSED' } };

    it('should sign the raw body as t=…,v1=… and return the answer', async () => {
      const answer = await sandbox.sendWebhook(receiverUrl, delivery, { timestamp: 1_766_944_560 });

      expect(answer).toMatchObject({ status: 200, body: { ok: true } });
      expect(answer.headers['x-correlation-id']).toBe('req-echo');
      const [{ raw, headers }] = received;
      expect(raw.toString()).toBe(JSON.stringify(delivery));
      expect(headers['x-signature']).toMatch(/^t=1766944560,v1=[0-9a-f]{64}$/);
      expect(
        verifyTripleSeatSignature(
          raw,
          headers['x-signature'] as string,
          SIGNING_KEY,
          1_766_944_560,
          300,
        ),
      ).toEqual({ ok: true, form: 't_v1', keyIndex: 0, timestamp: 1_766_944_560 });
    });

    it('should send a bare signature, a custom raw body, another key, or none', async () => {
      await sandbox.sendWebhook(receiverUrl, undefined, { format: 'bare', rawBody: '{"a": 1}' });
      await sandbox.sendWebhook(receiverUrl, delivery, { key: 'other' });
      await sandbox.sendWebhook(receiverUrl, delivery, { signature: null });

      const [bare, otherKey, unsigned] = received;
      expect(bare.raw.toString()).toBe('{"a": 1}');
      expect(
        verifyTripleSeatSignature(
          bare.raw,
          bare.headers['x-signature'] as string,
          SIGNING_KEY,
          0,
          300,
        ),
      ).toEqual({ ok: true, form: 'hex', keyIndex: 0 });
      expect(
        verifyTripleSeatSignature(
          otherKey.raw,
          otherKey.headers['x-signature'] as string,
          SIGNING_KEY,
          Math.floor(Date.now() / 1000),
          300,
        ),
      ).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
      expect(unsigned.headers['x-signature']).toBeUndefined();
    });

    it.each([
      ['v1', /^t=\d+,v1=[0-9a-f]{64}$/, 't_v1'],
      ['bare', /^[0-9a-f]{64}$/, 'hex'],
      ['base64', /^[A-Za-z0-9+/]{43}=$/, 'base64'],
      ['sha256-hex', /^sha256=[0-9a-f]{64}$/, 'sha256_hex'],
      ['sha256-base64', /^sha256=[A-Za-z0-9+/]{43}=$/, 'sha256_base64'],
    ] as const)('should sign in format %s', async (format, shape, form) => {
      await sandbox.sendWebhook(receiverUrl, delivery, { format });

      const [{ raw, headers }] = received;
      const header = headers['x-signature'] as string;
      expect(header).toMatch(shape);
      expect(
        verifyTripleSeatSignature(raw, header, SIGNING_KEY, Math.floor(Date.now() / 1000), 300),
      ).toMatchObject({ ok: true, form });
    });
  });
});

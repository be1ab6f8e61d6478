/**
 * Bad input, property-based (fast-check, bounded runs): whatever arrives at the webhook or the
 * sync API, the service answers with a 4xx or a 2xx (a 5xx only as the documented webhook 503),
 * keeps running, and a rejected request never changes the ledger. Forged, stale and misdirected
 * signatures are always 401.
 */
import fc from 'fast-check';
import {
  signTripleSeatPayload,
  signTripleSeatPayloadBare,
} from '../../src/tripleseat/webhook-signature';
import { LedgerRepository } from '../../src/database/ledger.repository';
import { Harness, SECRETS, startHarness } from '../support/harness';
import { printFigures, rawRequest, TRIGGERS } from './support';

const RUNS = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 300);
/** Share of RUNS per property. */
const share = (fraction: number) => Math.max(10, Math.round(RUNS * fraction));

interface Snapshot {
  rows: number;
  deliveries: number;
}

describe('reliability: bad input (fast-check, SQLite)', () => {
  let h: Harness;
  let ledger: LedgerRepository;
  const statuses = new Map<string, number>();
  const tally = (what: string, status: number) =>
    statuses.set(`${what} ${status}`, (statuses.get(`${what} ${status}`) ?? 0) + 1);

  beforeAll(async () => {
    // Wrong tokens here test the API's own answers; the lockout that follows many of them is
    // tested on its own (test/one-lockout.e2e-spec.ts), so its budget is out of this run's reach.
    h = await startHarness({
      env: { LOG_LEVEL: 'warn', CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES: '1000' },
    });
    ledger = h.get(LedgerRepository);
    h.seedEvent({ id: 74_000_001 });
  });

  afterAll(async () => {
    const rows = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b));
    printFigures(`Bad input (${RUNS} runs in all)`, rows);
    await h?.close();
  });

  async function snapshot(): Promise<Snapshot> {
    const byState = await ledger.countByState();
    return {
      rows: Object.values(byState).reduce((sum, n) => sum + n, 0),
      deliveries: await ledger.countDeliveries(),
    };
  }

  const webhookUrl = () => `${h.url}/webhooks/tripleseat`;
  const signed = (raw: Buffer | string) =>
    signTripleSeatPayload(raw, SECRETS.signingKey, Math.floor(Date.now() / 1000));

  async function post(raw: Buffer | string, signature: string | string[] | undefined) {
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
    if (signature !== undefined) headers['x-signature'] = signature;
    return rawRequest(webhookUrl(), { headers, body: raw });
  }

  async function stillAlive(): Promise<void> {
    const res = await rawRequest(`${h.url}/health/live`, { method: 'GET' });
    expect(res.status).toBe(200);
  }

  // ---- generators ----

  const wrongId = fc.oneof(
    fc.anything(),
    fc.constantFrom(0, -1, 1.5, 2 ** 63, '0', '01', ' 7 ', '1e3', '', 'NaN', null, [], {}, true),
  );
  const trigger = fc.oneof(fc.constantFrom(...TRIGGERS, 'DELETE_EVENT', ''), fc.string());
  const shapedBody = fc.record(
    {
      webhook_trigger_type: fc.oneof(trigger, fc.anything()),
      type: fc.anything(),
      event: fc.oneof(fc.record({ id: wrongId, updated_at: fc.anything() }), fc.anything()),
      booking: fc.oneof(
        fc.record({ event_id: wrongId, event_ids: fc.oneof(fc.array(wrongId), fc.anything()) }),
        fc.anything(),
      ),
      object: fc.anything(),
    },
    { requiredKeys: [] },
  );
  // Nesting beyond ~2 000 levels is its own test below (a known failure, see there).
  const deepNesting = fc.integer({ min: 1, max: 1_000 }).map((depth) => {
    const inner = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return `{"webhook_trigger_type":"UPDATE_EVENT","event":{"id":${inner}}}`;
  });
  const deepArrays = fc.integer({ min: 1, max: 1_000 }).map((depth) => {
    const inner = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    return `{"webhook_trigger_type":"UPDATE_BOOKING","booking":{"event_ids":${inner}}}`;
  });
  const hugeString = fc
    .integer({ min: 100_000, max: 1_300_000 })
    .map(
      (size) =>
        `{"webhook_trigger_type":"UPDATE_EVENT","event":{"id":"74000001","note":"${'x'.repeat(size)}"}}`,
    );
  const anyBody: fc.Arbitrary<Buffer | string> = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
    shapedBody.map((v) => JSON.stringify(v) ?? ''),
    fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ unit: 'binary', maxLength: 500 }),
    deepNesting,
    deepArrays,
    hugeString,
  );

  it('should answer any signed body with 200/400/413 (or the documented 503), never crash, and change nothing when it rejects', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, async (raw) => {
        const before = await snapshot();
        const res = await post(raw, signed(raw));
        tally('webhook signed body →', res.status);
        expect([200, 400, 413, 503]).toContain(res.status);
        if (res.status !== 200) {
          expect(await snapshot()).toEqual(before);
        } else {
          const body = JSON.parse(res.text) as { reason: string; eventId?: string };
          if (body.reason === 'QUEUED')
            expect(await ledger.get(String(body.eventId))).toBeDefined();
        }
      }),
      { numRuns: share(0.4) },
    );
    await stillAlive();
  }, 240_000);

  it('should answer a signed body nested 2 000–200 000 levels deep with 400 or 413, not 500', async () => {
    // Regression found by this suite at 8231ae9: class-transformer's plainToInstance in
    // parseDelivery (src/webhook/webhook-payload.ts) recursed once per level and overflowed the
    // stack from about 2 000 levels, in any field, known or not: a 500, and TripleSeat re-sends.
    const shapes = (depth: number) => [
      `{"webhook_trigger_type":"UPDATE_BOOKING","booking":{"event_ids":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
      `{"webhook_trigger_type":"UPDATE_EVENT","event":{"id":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`,
      `{"webhook_trigger_type":"UPDATE_EVENT","extra":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)},"event":{"id":74000001}}`,
    ];
    const answers: string[] = [];
    for (const depth of [2_000, 5_000, 20_000, 200_000]) {
      for (const raw of shapes(depth)) {
        const before = await snapshot();
        const res = await post(raw, signed(raw));
        tally('webhook deeply nested →', res.status);
        answers.push(`${depth}:${res.status}`);
        if (res.status !== 200) expect(await snapshot()).toEqual(before);
      }
    }
    expect(answers.filter((a) => !/:(200|400|413)$/.test(a))).toEqual([]);
    await stillAlive();
  }, 60_000);

  it('should reject garbage, repeated and missing X-Signature headers with 401 and change nothing', async () => {
    const printable = fc
      .string({ unit: 'binary-ascii', maxLength: 300 })
      .map((s) => s.replace(/[^\x20-\x7e]/g, ''));
    const header = (raw: string): fc.Arbitrary<string | string[] | undefined> =>
      fc.oneof(
        printable,
        fc.constant(undefined),
        fc.constant(''),
        printable.map((g) => `t=${Math.floor(Date.now() / 1000)},v1=${g}`),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        // The right signature, sent twice or next to garbage: an ambiguous header is refused.
        fc
          .tuple(printable, fc.boolean())
          .map(([g, first]): string[] => (first ? [signed(raw), g] : [g, signed(raw)])),
        fc.constant<string[]>([signed(raw), signed(raw)]),
      );
    const valid = fc
      .integer({ min: 74_100_000, max: 74_199_999 })
      .map((id) => JSON.stringify({ webhook_trigger_type: 'UPDATE_EVENT', event: { id } }));
    await fc.assert(
      fc.asyncProperty(
        valid.chain((raw) => fc.tuple(fc.constant(raw), header(raw))),
        async ([raw, signature]) => {
          const before = await snapshot();
          const res = await post(raw, signature);
          tally('webhook bad header →', res.status);
          expect(res.status).toBe(401);
          expect(await snapshot()).toEqual(before);
        },
      ),
      { numRuns: share(0.15) },
    );
    await stillAlive();
  }, 120_000);

  it('should reject stale, future, misdirected and wrongly keyed signatures with 401, and answer a replay within the window as a duplicate', async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const forgery = fc.oneof(
      // 10 s clear of the 300 s window: the clock moves between signing here and checking there,
      // and the exact boundary is covered by the signature unit spec.
      fc.integer({ min: 310, max: 10_000_000 }).map((age) => ({
        kind: 'stale',
        sign: (raw: string) => signTripleSeatPayload(raw, SECRETS.signingKey, now() - age),
      })),
      fc.integer({ min: 310, max: 10_000_000 }).map((ahead) => ({
        kind: 'future',
        sign: (raw: string) => signTripleSeatPayload(raw, SECRETS.signingKey, now() + ahead),
      })),
      fc.string({ minLength: 1 }).map((other) => ({
        kind: 'other body',
        sign: (raw: string) => signTripleSeatPayload(`${raw}${other}`, SECRETS.signingKey, now()),
      })),
      fc.string({ minLength: 1 }).map((other) => ({
        kind: 'other body (bare)',
        sign: (raw: string) => signTripleSeatPayloadBare(`${other}${raw}`, SECRETS.signingKey),
      })),
      fc.string({ minLength: 1 }).map((key) => ({
        kind: 'other key',
        sign: (raw: string) => signTripleSeatPayload(raw, `${SECRETS.signingKey}${key}`, now()),
      })),
    );
    let id = 74_200_000;
    await fc.assert(
      fc.asyncProperty(forgery, async ({ kind, sign }) => {
        id += 1;
        const raw = JSON.stringify({ webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id } });
        const before = await snapshot();
        const res = await post(raw, sign(raw));
        tally(`webhook forged (${kind}) →`, res.status);
        expect(res.status).toBe(401);
        expect(await snapshot()).toEqual(before);
        expect(await ledger.get(String(id))).toBeUndefined();
      }),
      { numRuns: share(0.15) },
    );

    // A genuine delivery replayed inside the window is recognised, not queued again.
    const raw = JSON.stringify({ webhook_trigger_type: 'UPDATE_EVENT', event: { id: 74_000_001 } });
    const signature = signed(raw);
    const first = await post(raw, signature);
    expect(first.status).toBe(200);
    const before = await snapshot();
    for (let i = 0; i < 5; i += 1) {
      const replay = await post(raw, signature);
      tally('webhook replay in window →', replay.status);
      expect(replay.status).toBe(200);
      expect(JSON.parse(replay.text)).toMatchObject({ reason: 'DUPLICATE_DELIVERY' });
    }
    expect(await snapshot()).toEqual(before);
    await stillAlive();
  }, 120_000);

  it('should answer any query string or path of the sync API with a 2xx or 4xx and change nothing when it rejects', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => {
        try {
          return encodeURIComponent(s);
        } catch {
          return 'x';
        }
      }),
      fc.constantFrom(
        '%',
        '%E0%A4%A',
        '%ZZ',
        '%00',
        '0',
        '-1',
        '1e3',
        '721',
        '720',
        '1',
        '99999999999999999999',
        '[]',
        '{}',
        '',
      ),
      fc.integer().map(String),
    );
    const key = fc.oneof(
      fc.constantFrom(
        'event_id',
        'hours_back',
        'limit',
        'event_id[]',
        'hours_back[a]',
        '__proto__',
        'constructor',
      ),
      fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
    );
    const query = fc
      .array(fc.tuple(key, value), { maxLength: 4 })
      .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
    const target = fc.oneof(
      fc
        .tuple(fc.constantFrom('GET', 'POST'), query)
        .map(([m, q]) => ({ method: m, path: `/api/sync/tripleseat${q}` })),
      value.map((v) => ({ method: 'GET', path: `/api/sync/events/${v || 'x'}` })),
      query.map((q) => ({ method: 'GET', path: `/api/sync/runs${q}` })),
    );
    const auth = fc.oneof(
      { weight: 4, arbitrary: fc.constant(`Bearer ${SECRETS.apiToken}`) },
      fc.constantFrom(
        undefined,
        'Bearer',
        `Bearer ${SECRETS.apiToken}x`,
        `bearer ${SECRETS.apiToken.slice(1)}`,
        'Basic Zm9vOmJhcg==',
      ),
    );
    await fc.assert(
      fc.asyncProperty(target, auth, async ({ method, path }, authorization) => {
        const before = await snapshot();
        const headers: Record<string, string> = {};
        if (authorization !== undefined) headers.authorization = authorization;
        const res = await rawRequest(`${h.url}${path}`, { method, headers, timeoutMs: 60_000 });
        tally(`api ${method} →`, res.status);
        // A valid bulk query starts a run in the background (202): let it finish, so that it
        // cannot change the ledger under a later iteration's comparison of the ledger with its
        // earlier state.
        const location = res.headers.location;
        if (res.status === 202 && typeof location === 'string') {
          for (let i = 0; i < 600; i += 1) {
            const run = await rawRequest(`${h.url}${location}`, {
              method: 'GET',
              headers: { authorization: `Bearer ${SECRETS.apiToken}` },
            });
            if (!run.text.includes('"status":"running"')) break;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        // Without the token: 401 (or 400 for a path express cannot even decode, e.g. `%`).
        if (authorization !== `Bearer ${SECRETS.apiToken}`)
          expect([400, 401]).toContain(res.status);
        if (res.status >= 400) expect(await snapshot()).toEqual(before);
      }),
      { numRuns: share(0.3) },
    );
    await stillAlive();
  }, 240_000);
});

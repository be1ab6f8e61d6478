/**
 * Secrets: real service processes run with known, distinctive secrets through a full flow —
 * orders written under 5xx faults, a revoked TripleSeat token, forged webhooks, wrong API tokens,
 * wrong TripleSeat and Revel credentials (401s from the sandboxes), a refused SMTP login, and a
 * start-up with invalid configuration — and no secret, plain or encoded, may appear in any log
 * line or any response.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureProducts, RevelSandbox } from '../../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../../sandbox/tripleseat.sandbox';
import { AppProcess, freePort, serviceEnv } from '../support/app-process';
import { LOCATIONS } from '../support/harness';
import { SmtpCapture } from '../support/smtp-capture';
import { eligibleEvent, printFigures, prng, until, webhookBody } from './support';

const GOOD = {
  tsClientId: 'ts-client-secrets-spec',
  tsClientSecret: 'Zq7-TSCLIENTSECRET-5f1e2d3c4b5a6978',
  signingKey: 'Zq7-WEBHOOKKEY-0a9b8c7d6e5f4321',
  revelKey: 'Zq7-REVELKEY-11aa22bb',
  revelSecret: 'Zq7-REVELSECRET-33cc44dd55ee',
  apiToken: 'Zq7-APITOKEN-66ff77aa88bb99cc00dd11',
  smtpPass: 'Zq7-SMTPPASS-0d1e/2f3a+x',
};
const WRONG = {
  tsClientSecret: 'Zq7-WRONGTSSECRET-abcdef012345',
  revelSecret: 'Zq7-WRONGREVELSECRET-543210fedcba',
  smtpPass: 'Zq7-WRONGSMTPPASS-9988',
  shortToken: 'Zq7-SHORTtok',
};

/** Every form a secret could leak in: plain, URL-encoded, base64 (alone and as user:pass). */
function leakForms(): { name: string; form: string }[] {
  const pairs: [string, string][] = [
    ...Object.entries(GOOD).filter(([k]) => k !== 'tsClientId'),
    ...Object.entries(WRONG),
  ];
  const forms: { name: string; form: string }[] = [];
  for (const [name, value] of pairs) {
    forms.push({ name, form: value });
    forms.push({ name: `${name} (url-encoded)`, form: encodeURIComponent(value) });
    forms.push({ name: `${name} (base64)`, form: Buffer.from(value).toString('base64') });
  }
  for (const secret of [GOOD.tsClientSecret, WRONG.tsClientSecret]) {
    const basic = Buffer.from(`${GOOD.tsClientId}:${secret}`).toString('base64');
    forms.push({ name: 'TripleSeat basic credentials (base64)', form: basic });
  }
  forms.push({ name: 'Revel key:secret', form: `${GOOD.revelKey}:${GOOD.revelSecret}` });
  return forms;
}

describe('reliability: secrets never reach a log line or a response', () => {
  let dir: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let smtp: SmtpCapture;
  let smtpPort: number;
  let locationsFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-secrets-'));
    locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    tripleseat = await TripleSeatSandbox.start({
      clientId: GOOD.tsClientId,
      clientSecret: GOOD.tsClientSecret,
      webhookSigningKey: GOOD.signingKey,
    });
    revel = await RevelSandbox.start({ apiKey: GOOD.revelKey, apiSecret: GOOD.revelSecret });
    revel.seedProducts(4, fixtureProducts());
    revel.seedProducts(9, fixtureProducts());
    smtp = new SmtpCapture({ auth: { user: 'notify', pass: GOOD.smtpPass } });
    ({ port: smtpPort } = await smtp.start());
  });

  afterAll(async () => {
    await AppProcess.killAll();
    await Promise.all([tripleseat?.close(), revel?.close(), smtp?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  function start(
    name: string,
    secrets: Partial<typeof GOOD>,
    maxAttempts = 2,
  ): Promise<AppProcess> {
    const s = { ...GOOD, ...secrets };
    return AppProcess.start({
      databaseUrl: `sqlite:${join(dir, `${name}.db`)}`,
      tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
      tripleseatTokenUrl: tripleseat.tokenUrl,
      revelUrl: revel.url,
      locationsFile,
      smtpUrl: `smtp://notify:${encodeURIComponent(s.smtpPass)}@127.0.0.1:${smtpPort}`,
      overrides: {
        LOG_LEVEL: 'trace',
        TRIPLESEAT_CLIENT_ID: s.tsClientId,
        TRIPLESEAT_CLIENT_SECRET: s.tsClientSecret,
        TRIPLESEAT_WEBHOOK_SIGNING_KEY: s.signingKey,
        REVEL_API_KEY: s.revelKey,
        REVEL_API_SECRET: s.revelSecret,
        SYNC_API_TOKEN: s.apiToken,
        MAX_ATTEMPTS: String(maxAttempts),
      },
    });
  }

  it('should keep every secret out of logs and responses through success, faults and auth failures', async () => {
    const started = Date.now();
    const responses: string[] = [];
    const call = async (base: string, path: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${path}`, init);
      const text = await res.text();
      const headers: string[] = [];
      res.headers.forEach((v, k) => headers.push(`${k}: ${v}`));
      responses.push(`${res.status} ${headers.join('\n')}\n${text}`);
      return { status: res.status, text };
    };
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    const hook = async (base: string, body: unknown, key = GOOD.signingKey) => {
      const res = await tripleseat.sendWebhook(`${base}/webhooks/tripleseat`, body, { key });
      responses.push(`${res.status} ${JSON.stringify(res.headers)}\n${JSON.stringify(res.body)}`);
      return res;
    };

    const random = prng(7);
    const events = [0, 1, 2, 3, 4].map((i) => eligibleEvent(75_000_000 + i, random));
    events.forEach(({ event }) => tripleseat.upsertEvent(event));
    const [e1, e2, e3, e4, e5] = events.map(({ expected }) => expected.eventId);

    const [good, badRevel, badTs] = await Promise.all([
      start('good', {}, 30),
      start('bad-revel', { revelSecret: WRONG.revelSecret, smtpPass: WRONG.smtpPass }),
      start('bad-tripleseat', { tsClientSecret: WRONG.tsClientSecret }),
    ]);

    // The happy path under 5xx and 429 faults on both upstreams.
    revel.faults.set([
      { errorRate: 0.3, errorStatus: 503, rateLimitRate: 0.1, retryAfterSeconds: 0 },
    ]);
    tripleseat.faults.set([{ errorRate: 0.2, errorStatus: 500 }]);
    for (const id of [e1, e2, e3]) expect((await hook(good.url, webhookBody(id))).status).toBe(200);
    const injected = async (base: string, id: string, token = GOOD.apiToken) =>
      until(
        `event ${id} to settle`,
        async () => {
          const res = await call(base, `/api/sync/events/${id}`, bearer(token));
          const state = res.status === 200 ? (JSON.parse(res.text) as { state: string }).state : '';
          return ['INJECTED', 'FAILED', 'SKIPPED'].includes(state) ? state : undefined;
        },
        // Generous: 30% 503s and 10% 429s mean many retries, and CI shares two cores.
        90_000,
        200,
      );
    for (const id of [e1, e2, e3]) expect(await injected(good.url, id)).toBe('INJECTED');
    revel.faults.clear();
    tripleseat.faults.clear();

    // A revoked token mid-run: the client re-authenticates with its secret.
    tripleseat.revokeTokens();
    expect(
      (
        await call(good.url, `/api/sync/tripleseat?event_id=${e4}`, {
          method: 'POST',
          ...bearer(GOOD.apiToken),
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(good.url, '/api/sync/tripleseat?hours_back=24&wait=25', bearer(GOOD.apiToken)))
        .status,
    ).toBe(200);
    expect((await call(good.url, '/api/sync/runs', bearer(GOOD.apiToken))).status).toBe(200);
    // Forged webhooks and wrong tokens.
    expect((await hook(good.url, webhookBody(e5), WRONG.tsClientSecret)).status).toBe(401);
    expect((await call(good.url, '/api/sync/runs', bearer(WRONG.shortToken))).status).toBe(401);
    expect((await call(good.url, '/api/sync/runs', bearer(`${GOOD.apiToken}x`))).status).toBe(401);
    expect((await call(good.url, '/health/ready')).status).toBeLessThan(600);

    // Wrong Revel secret: 401 from Revel, FAILED, and a failure mail the SMTP server refuses.
    expect((await hook(badRevel.url, webhookBody(e5))).status).toBe(200);
    expect(await injected(badRevel.url, e5)).toBe('FAILED');
    const manual = await call(badRevel.url, `/api/sync/tripleseat?event_id=${e5}`, {
      method: 'POST',
      ...bearer(GOOD.apiToken),
    });
    expect(manual.status).toBe(200);
    // Wrong TripleSeat secret: the token request is refused.
    expect((await hook(badTs.url, webhookBody(e5))).status).toBe(200);
    expect(await injected(badTs.url, e5)).toBe('FAILED');
    await call(badTs.url, `/api/sync/tripleseat?event_id=${e5}`, {
      method: 'POST',
      ...bearer(GOOD.apiToken),
    });
    await call(badTs.url, `/api/sync/events/${e5}`, bearer(GOOD.apiToken));
    await until(
      'the refused SMTP login to be logged',
      () => (badRevel.output().some((l) => /e-mail not sent/.test(l)) ? true : undefined),
      15_000,
    );

    // SIGTERM: shutdown flushes the mail and logs on the way out.
    for (const app of [good, badRevel, badTs]) app.kill('SIGTERM');
    await Promise.all([good, badRevel, badTs].map((app) => app.waitForExit(25_000)));

    // Start-up with invalid configuration (a too-short API token among other problems).
    const port = await freePort();
    const broken = AppProcess.spawn(
      serviceEnv({
        databaseUrl: `sqlite:${join(dir, 'broken.db')}`,
        tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
        tripleseatTokenUrl: tripleseat.tokenUrl,
        revelUrl: 'not a url',
        locationsFile,
        port,
        overrides: {
          SYNC_API_TOKEN: WRONG.shortToken,
          TRIPLESEAT_CLIENT_SECRET: GOOD.tsClientSecret,
          REVEL_API_SECRET: GOOD.revelSecret,
          SMTP_URL: `smtp://notify:${GOOD.smtpPass}@127.0.0.1:bad`,
        },
      }),
      port,
    );
    const exit = await broken.waitForExit(30_000);
    expect(exit.code).not.toBe(0);
    // It names the problem (so its output was captured and scanned), not the value.
    expect(broken.output().join('\n')).toMatch(/SYNC_API_TOKEN/);

    // The flow really used the secrets: orders, a mail over the authenticated session, 401s.
    expect(
      revel.orders().filter((o) => [e1, e2, e3, e4].includes(String(o.local_id).slice(12))),
    ).toHaveLength(4);
    expect(smtp.messages.some((m) => m.user === 'notify')).toBe(true);
    expect(revel.requests().some((r) => r.status === 401)).toBe(true);
    expect(tripleseat.requests().some((r) => r.status === 401)).toBe(true);

    const sources = [
      ...[good, badRevel, badTs, broken].flatMap((app, i) =>
        app.output().map((line) => ({
          where: `process ${['good', 'bad-revel', 'bad-ts', 'broken'][i]}`,
          line,
        })),
      ),
      ...responses.map((line) => ({ where: 'response', line })),
    ];
    const leaks: string[] = [];
    for (const { name, form } of leakForms()) {
      for (const { where, line } of sources) {
        if (line.includes(form)) leaks.push(`${name} in ${where}: ${line.slice(0, 300)}`);
      }
    }

    printFigures('Secrets', [
      ['processes', 4],
      ['log lines scanned', sources.length - responses.length],
      ['responses scanned', responses.length],
      ['secret forms checked', leakForms().length],
      [
        'Revel 401s / TripleSeat 401s',
        `${revel.requests().filter((r) => r.status === 401).length} / ${tripleseat.requests().filter((r) => r.status === 401).length}`,
      ],
      ['leaks found', leaks.length],
      ['wall time (s)', ((Date.now() - started) / 1000).toFixed(1)],
    ]);
    expect(leaks).toEqual([]);
  }, 150_000);
});

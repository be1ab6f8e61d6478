import { spawn } from 'node:child_process';
import request from 'supertest';
import { invoiceDocument } from '../sandbox/tripleseat.fixtures';
import { runCli } from '../src/cli/cli';
import { API_TOKEN_SECURITY, OPENAPI_PATH } from '../src/openapi';
import type { DoctorCheck, DoctorReport } from '../src/doctor/doctor.types';
import { REPO_ROOT } from './support/app-process';
import { Harness, SECRETS, startHarness } from './support/harness';

const TOKEN = 'TripleSeat token';
const EVENTS_PAGE = 'TripleSeat events page';
const RECENT = 'TripleSeat recent event';
const LOCAL_ID = 'Revel local_id lookup';
const EST_LA = 'Revel establishment: Pinkbox Tropicana (31883)';
const ITEMS_LA = 'Line items: Pinkbox Tropicana (31883)';
const EST_SG = 'Revel establishment: Pinkbox St George (40009)';
const ITEMS_SG = 'Line items: Pinkbox St George (40009)';

function row(report: DoctorReport, check: string): DoctorCheck {
  const found = report.checks.find((c) => c.check === check);
  if (!found) {
    throw new Error(`no "${check}" row in ${report.checks.map((c) => c.check).join(', ')}`);
  }
  return found;
}

function expectNoSecrets(text: string, ...extra: string[]): void {
  for (const secret of [
    SECRETS.tsClientSecret,
    SECRETS.revelKey,
    SECRETS.revelSecret,
    SECRETS.apiToken,
    SECRETS.signingKey,
    ...extra,
  ]) {
    expect(text).not.toContain(secret);
  }
}

async function doctor(h: Harness): Promise<DoctorReport> {
  const res = await h.api().get('/api/doctor').expect(200);
  expectNoSecrets(JSON.stringify(res.body));
  return res.body as DoctorReport;
}

async function cli(h: Harness): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['--url', h.url, 'doctor'], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    interactive: false,
    env: { SYNC_API_TOKEN: SECRETS.apiToken },
  });
  return { code, out, err };
}

describe('go-live doctor (e2e against the sandboxes)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  afterEach(() => {
    h.tripleseat.setAccountLinked(true);
    h.tripleseat.setHtmlLogin(false);
  });

  it('should pass every check against the sandboxes with a real-shaped recent event', async () => {
    const event = h.seedEvent({
      id: 64000001,
      documents: [
        invoiceDocument({
          id: 296901,
          title: 'Invoice',
          lines: [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60', menuItemId: 5001 },
            { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
            { name: 'Room Rental', price: '150.00', category: 'Room Rental' },
          ],
          billing: [{ description: 'Sales Tax', value: '8.375%', amount: '4.56' }],
        }),
      ],
    });
    // Not preferred: a status the sync skips, and a location the map does not know.
    h.seedEvent({ id: 64000002, status: 'DEFINITE' });
    h.seedEvent({ id: 64000003, location_id: 99999, site_id: 99999 });

    const report = await doctor(h);
    expect(report.checks.map((c) => c.check)).toEqual([
      TOKEN,
      EVENTS_PAGE,
      RECENT,
      EST_LA,
      ITEMS_LA,
      EST_SG,
      ITEMS_SG,
      LOCAL_ID,
    ]);
    for (const c of report.checks) {
      expect({ check: c.check, ok: c.ok, fix: c.fix }).toEqual({
        check: c.check,
        ok: true,
        fix: '',
      });
    }
    expect(report.ok).toBe(true);
    expect(row(report, EVENTS_PAGE).detail).toMatch(
      /GET \/v1\/events\.json\?page=1 answered 3 events/,
    );
    const recent = row(report, RECENT).detail;
    expect(recent).toContain(`event ${event.id}`);
    expect(recent).toContain('document 296901 "Invoice"');
    expect(recent).toContain('2 lines resolve');
    expect(recent).toContain('1 venue line left off: Room Rental');
    expect(row(report, EST_LA).detail).toMatch(/^establishment 4 ".*": 15 active products$/);
    expect(row(report, ITEMS_LA).detail).toMatch(/^2 recent events checked: every line resolves/);
    expect(row(report, ITEMS_SG).detail).toContain('nothing to check');
    expect(row(report, LOCAL_ID).detail).toContain('"Triple Seat_64000001"');
    expect(row(report, LOCAL_ID).detail).toContain('no order carries it yet');
    // Read-only: nothing was written to Revel.
    expect(h.revel.orders()).toHaveLength(0);
    expect(
      h.tripleseat.requests().every((r) => r.method === 'GET' || r.path === '/oauth2/token'),
    ).toBe(true);
  });

  it('should be documented in OpenAPI as a token-protected GET that answers 200', async () => {
    const res = await request(h.url).get(`/${OPENAPI_PATH}-json`).expect(200);
    const doc = res.body as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: object }>>;
    };
    const op = doc.paths['/api/doctor'].get;
    expect(op.security).toEqual([{ [API_TOKEN_SECURITY]: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '429']);
  });

  it('should answer 401 without the bearer token', async () => {
    await request(h.url).get('/api/doctor').expect(401);
    await request(h.url).get('/api/doctor').set('Authorization', 'Bearer wrong-token').expect(401);
  });

  it('should print the table from `cli doctor` and exit 0', async () => {
    const run = await cli(h);
    expect(run.err).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.out[0]).toMatch(/^check\s+ok\s+detail\s+fix$/);
    const tokenLine = run.out.find((l) => l.startsWith(TOKEN));
    expect(tokenLine).toMatch(/^TripleSeat token\s+ok\s+\S/);
    // Aligned: the ok column starts at the same offset on every row.
    const okColumn = run.out[0].indexOf(' ok ') + 1;
    for (const line of run.out.slice(1, -1))
      expect(line.slice(okColumn, okColumn + 4)).toMatch(/^(ok|FAIL)/);
    expect(run.out.at(-1)).toBe('all 8 checks passed');
    expectNoSecrets(run.out.join('\n'));
  });

  it('should run as `npm run cli -- doctor` and exit 0', async () => {
    const child = spawn('npm', ['run', '--silent', 'cli', '--', '--url', h.url, 'doctor'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SYNC_API_TOKEN: SECRETS.apiToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^check\s+ok\s+detail\s+fix\n/);
    expect(stdout).toContain('all 8 checks passed');
  });

  it('should name line items that would not resolve, and the CLI should exit 1', async () => {
    h.seedEvent({
      id: 64000010,
      documents: [
        invoiceDocument({
          title: 'Invoice',
          lines: [{ name: 'UNICORN CRULLER', quantity: 3, price: '4.00' }],
        }),
      ],
    });
    try {
      const report = await doctor(h);
      expect(report.ok).toBe(false);
      const items = row(report, ITEMS_LA);
      expect(items.ok).toBe(false);
      expect(items.detail).toContain('"UNICORN CRULLER" (event 64000010');
      expect(items.fix).toContain('LOCATIONS_FILE "31883".products');
      const run = await cli(h);
      expect(run.code).toBe(1);
      expect(run.out.some((l) => l.startsWith(ITEMS_LA) && l.includes('FAIL'))).toBe(true);
      expect(run.out.at(-1)).toMatch(/^\d+ of 8 checks failed$/);
    } finally {
      h.tripleseat.removeEvent(64000010);
    }
  });

  it('should name the HTML login page', async () => {
    h.tripleseat.setHtmlLogin(true);
    const report = await doctor(h);
    expect(report.ok).toBe(false);
    const token = row(report, TOKEN);
    expect(token.ok).toBe(false);
    expect(token.detail).toContain('HTML login page');
    expect(token.fix).toContain('TRIPLESEAT_OAUTH_TOKEN_URL');
    expect(row(report, EVENTS_PAGE)).toMatchObject({
      ok: false,
      detail: `skipped: ${TOKEN} failed`,
    });
    expect(row(report, ITEMS_LA)).toMatchObject({ ok: false, detail: `skipped: ${RECENT} failed` });
    // Revel is checked all the same.
    expect(row(report, EST_LA).ok).toBe(true);
    expect(row(report, LOCAL_ID).ok).toBe(true);
  });

  it('should name the unlinked account ("Token resource owner not found")', async () => {
    h.tripleseat.setAccountLinked(false);
    const report = await doctor(h);
    expect(report.ok).toBe(false);
    expect(row(report, TOKEN).ok).toBe(true);
    const page = row(report, EVENTS_PAGE);
    expect(page.ok).toBe(false);
    expect(page.detail).toContain('Token resource owner not found');
    expect(page.detail).toContain('not linked');
    expect(page.fix).toContain('link the OAuth application to the account in TripleSeat');
    expect(row(report, RECENT)).toMatchObject({
      ok: false,
      detail: `skipped: ${EVENTS_PAGE} failed`,
    });
  });
});

describe('go-live doctor with a wrong TripleSeat secret (e2e)', () => {
  const wrongSecret = 'not-the-secret-0a1b2c3d';
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { TRIPLESEAT_CLIENT_SECRET: wrongSecret } });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should fail the token row naming the client credentials, and skip what depends on it', async () => {
    const res = await h.api().get('/api/doctor').expect(200);
    expectNoSecrets(JSON.stringify(res.body), wrongSecret);
    const report = res.body as DoctorReport;
    expect(report.ok).toBe(false);
    const token = row(report, TOKEN);
    expect(token.ok).toBe(false);
    expect(token.detail).toContain('refused the client credentials');
    expect(token.fix).toContain('TRIPLESEAT_CLIENT_SECRET');
    expect(row(report, EVENTS_PAGE)).toEqual({
      check: EVENTS_PAGE,
      ok: false,
      detail: `skipped: ${TOKEN} failed`,
      fix: `fix "${TOKEN}" first`,
    });
    expect(row(report, RECENT).detail).toBe(`skipped: ${EVENTS_PAGE} failed`);
    expect(h.tripleseat.count('GET /v1/events.json')).toBe(0);
  });
});

import type { Browser, Cookie, Locator, Page } from 'playwright-core';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { DatabaseService } from '../src/database/database.service';
import { SyncWorker } from '../src/sync/sync.worker';
import { axeViolations, launchBrowser, openPage, type WatchedPage } from './support/browser';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * The operator console in a real Chromium, against the real app and the sandboxes: what an
 * operator does on a bad day (an event Revel refused, one whose only item maps to no product),
 * with the CSP on (a blocked inline script or style fails the test as a console error), the
 * session cookie, CSRF, the switches and accessibility (axe, serious and critical rules).
 *
 * The tests share one browser and one signed-in context and run in order: each builds on the
 * state the one before left.
 */

const LA = '31883';
/** A: Revel refuses its order until the fault is cleared. B: its one line maps to no product. */
const EVENT_A = 67100001;
const EVENT_B = 67100002;
/** Seeded in dry run. */
const EVENT_C = 67100003;
/** Seeded in TripleSeat only: an anonymous sync of it must leave no trace. */
const EVENT_X = 67100004;
const UNMATCHED_LINE = 'Kale Smoothie';
/** The fixture catalogue's MAPLE BAR; MAPLE BARS (702) also matches the search. */
const MAPLE_BAR = { id: 590, name: 'MAPLE BAR' };

const SIGN_IN = '/console/sign-in';
const SIGNED_IN_PAGES = (id: number) => [
  '/console',
  `/console/events/${id}`,
  '/console/mappings',
  '/console/switches',
  '/console/health',
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const webhookBody = (id: number) => ({
  webhook_trigger_type: 'STATUS_CHANGE_EVENT',
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
});

/** `path → status location-path` of a request whose redirect is not followed. */
async function answerOf(
  url: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; location: string | null }> {
  const res = await fetch(`${url}${path}`, { ...init, redirect: 'manual' });
  await res.arrayBuffer();
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location, url).pathname : null };
}

const pathOf = (page: Page) => new URL(page.url()).pathname;

async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Opens the page and checks it answered 200 without being sent elsewhere (e.g. to sign-in). */
async function visit(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  const wanted = new URL(path, page.url()).pathname;
  expect({ path, status: res?.status(), landed: pathOf(page) }).toEqual({
    path,
    status: 200,
    landed: wanted,
  });
}

describe('operator console in a real browser (e2e)', () => {
  let h: Harness;
  let browser: Browser;
  let main: WatchedPage;
  /** The session cookie(s) sign-in set, kept to replay after sign-out. */
  let sessionCookies: Cookie[] = [];

  /** The ledger row as the API shows it (404 → undefined). */
  const ledger = async (id: number): Promise<Record<string, unknown> | undefined> => {
    const res = await h.api().get(`/api/sync/events/${id}`);
    return res.status === 200 ? (res.body as Record<string, unknown>) : undefined;
  };

  /** Reloads the event page until its `[data-state]` shows one of the states. */
  const waitForPageState = async (id: number, states: string[], timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    let shown = '';
    for (;;) {
      await visit(main.page, `/console/events/${id}`);
      shown = await textOf(main.page.locator('[data-state]').first());
      if (states.some((s) => shown.toUpperCase().includes(s))) return shown;
      if (Date.now() > deadline) {
        const row = await ledger(id);
        const text = await textOf(main.page.locator('main'));
        throw new Error(
          `event page ${id} shows "${shown}", not ${states.join('/')}; ledger: ` +
            `${JSON.stringify({ state: row?.state, reason: row?.reason, detail: row?.detail, history: row?.history })}; ` +
            `page: ${text.slice(0, 600)}`,
        );
      }
      await sleep(250);
    }
  };

  const seed = (id: number, name: string, lines: Parameters<typeof invoiceDocument>[0]['lines']) =>
    h.seedEvent({
      id,
      name,
      location_id: Number(LA),
      site_id: 15691,
      documents: [invoiceDocument({ title: 'Invoice', lines })],
    });

  beforeAll(async () => {
    h = await startHarness({
      env: {
        CONSOLE_ENABLED: 'true',
        // One try per step and per event: a refused order write ends FAILED at once.
        UPSTREAM_MAX_ATTEMPTS: '1',
        MAX_ATTEMPTS: '1',
      },
    });
    browser = await launchBrowser();
    main = await openPage(browser, h.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  afterEach(() => {
    // No CSP violation, script error or failed asset on any page a test visited.
    expect(main?.takeProblems() ?? []).toEqual([]);
  });

  it('should send every page to sign-in without a session, and refuse an anonymous sync', async () => {
    h.seedEvent({ id: EVENT_X, name: 'Anonymous probe' });
    const answers = await Promise.all(
      SIGNED_IN_PAGES(EVENT_X).map(async (path) => ({ path, ...(await answerOf(h.url, path)) })),
    );
    for (const a of answers) {
      expect(a).toEqual({ path: a.path, status: expect.any(Number), location: SIGN_IN });
      expect([302, 303]).toContain(a.status);
    }

    const post = await answerOf(h.url, `/console/events/${EVENT_X}/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'forged' }).toString(),
    });
    expect([401, 403, 302, 303]).toContain(post.status);
    if (post.status === 302 || post.status === 303) expect(post.location).toBe(SIGN_IN);
    // A worker turn has looked at the ledger since, with nothing in flight.
    await h.get(SyncWorker).idle();
    expect(await ledger(EVENT_X)).toBeUndefined();
    expect(h.revel.ordersByLocalId(`Triple Seat_${EVENT_X}`)).toHaveLength(0);
  });

  it('should refuse a wrong token and sign in with the right one, with a strict session cookie', async () => {
    const { page, context } = main;
    await visit(page, SIGN_IN);
    const token = page.getByLabel('Sign-in token');
    expect(await token.getAttribute('type')).toBe('password');
    expect(await token.getAttribute('name')).toBe('token');
    const before = await context.cookies(`${h.url}/console`);

    await token.fill('not-the-console-token-0000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await textOf(page.getByRole('alert'))).not.toBe('');
    expect(pathOf(page)).toBe(SIGN_IN);
    // The refused sign-in's own 4xx is the one error Chromium may log here.
    expect(
      main
        .takeProblems()
        .filter(
          (p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p),
        ),
    ).toEqual([]);

    await page.getByLabel('Sign-in token').fill(SECRETS.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/console');
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Today and the next 7 days');

    const seen = new Set(before.map((c) => `${c.name}=${c.value}`));
    sessionCookies = (await context.cookies(`${h.url}/console`)).filter(
      (c) => !seen.has(`${c.name}=${c.value}`),
    );
    expect(sessionCookies.length).toBeGreaterThan(0);
    const now = Date.now() / 1000;
    for (const c of sessionCookies) {
      expect({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }).toEqual({
        name: c.name,
        httpOnly: true,
        sameSite: 'Strict',
      });
      // A dated cookie, not a browser-session one (-1), ending within the session's 12 hours.
      expect(c.expires).toBeGreaterThan(now);
      expect(c.expires).toBeLessThanOrEqual(now + 12 * 3600 + 60);
    }
  });

  it('should show the header on every signed-in page', async () => {
    const { page } = main;
    for (const path of SIGNED_IN_PAGES(EVENT_X).filter((p) => !p.includes('/events/'))) {
      await visit(page, path);
      for (const link of ['Board', 'Mappings', 'Switches', 'Health']) {
        expect({
          path,
          link,
          count: await page.getByRole('link', { name: link, exact: true }).count(),
        }).toEqual({ path, link, count: 1 });
      }
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
      const banner = await textOf(page.locator('[data-switches]'));
      expect(banner).toContain('Dry run: off');
      expect(banner).toContain('Connector: on');
    }
    await visit(page, '/console/health');
    for (const heading of [
      'Reconciliation',
      'Backlog',
      'Failures in the last 24 hours',
      'Go-live checks',
    ]) {
      expect({
        heading,
        count: await page.getByRole('heading', { name: heading, exact: true }).count(),
      }).toEqual({ heading, count: 1 });
    }
  });

  it('should list a failed and a skipped event on the board, and find one by name', async () => {
    // Every order create is refused (503) until the fault is cleared; no other write is touched.
    h.revel.faults.add({
      method: 'POST',
      path: '/resources/Order/',
      errorRate: 1,
      errorStatus: 503,
    });
    seed(EVENT_A, 'Alvarez retirement party', [{ name: 'TRIPLE OG', quantity: 12, price: '3.60' }]);
    seed(EVENT_B, 'Wellness Co. lunch', [{ name: UNMATCHED_LINE, quantity: 10, price: '6.50' }]);
    expect((await h.webhook(webhookBody(EVENT_A))).status).toBe(200);
    expect((await h.webhook(webhookBody(EVENT_B))).status).toBe(200);
    const a = await h.waitForState(String(EVENT_A), ['FAILED', 'INJECTED', 'SKIPPED']);
    const b = await h.waitForState(String(EVENT_B), ['FAILED', 'INJECTED', 'SKIPPED']);
    expect(a.state).toBe('FAILED');
    expect(b).toMatchObject({ state: 'SKIPPED', reason: 'NO_ITEMS_MATCHED' });

    const { page } = main;
    await visit(page, '/console');
    for (const [id, state] of [
      [EVENT_A, 'FAILED'],
      [EVENT_B, 'SKIPPED'],
    ] as const) {
      const row = page.locator(`tr[data-event-id="${id}"]`);
      expect({ id, rows: await row.count() }).toEqual({ id, rows: 1 });
      expect(await textOf(row.locator('[data-state]'))).toContain(state);
      expect(await row.locator(`a[href="/console/events/${id}"]`).count()).toBe(1);
    }

    // The filter form, as an operator uses it.
    expect(await page.getByLabel('State').locator('xpath=self::select').count()).toBe(1);
    expect(await page.getByLabel('Location').locator('xpath=self::select').count()).toBe(1);
    const dates = page.getByLabel('Dates').locator('xpath=self::select');
    for (const value of ['week', 'all']) {
      expect({ value, count: await dates.locator(`option[value="${value}"]`).count() }).toEqual({
        value,
        count: 1,
      });
    }
    const search = page.getByLabel('Search');
    expect(await search.getAttribute('name')).toBe('q');
    await search.fill('Wellness');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('q') === 'Wellness');
    expect(await page.locator(`tr[data-event-id="${EVENT_B}"]`).count()).toBe(1);
    expect(await page.locator(`tr[data-event-id="${EVENT_A}"]`).count()).toBe(0);
  });

  it('should retry the failed event once Revel is back, and write its order', async () => {
    const { page } = main;
    await visit(page, `/console/events/${EVENT_A}`);
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toContain(String(EVENT_A));
    expect(await textOf(page.locator('[data-state]').first())).toContain('FAILED');
    expect(h.revel.ordersByLocalId(`Triple Seat_${EVENT_A}`)).toHaveLength(0);

    h.revel.faults.clear();
    // A 503 on create leaves its outcome unknown: the service creates again only once the settle
    // window (REVEL_WRITE_SETTLE_SECONDS, off in the harness) of wall-clock time has passed.
    await sleep(1_500);
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await waitForPageState(EVENT_A, ['INJECTED']);
    const orders = h.revel.ordersByLocalId(`Triple Seat_${EVENT_A}`);
    expect(orders).toHaveLength(1);
    expect(await textOf(page.locator('[data-revel-order-id]').first())).toContain(
      String(orders[0].id),
    );
    // Retry is for FAILED and SKIPPED events; an injected one offers a resync instead.
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resync order' }).count()).toBe(1);
  });

  it('should map an unmatched line to a Revel product found by name, then retry the event into Revel', async () => {
    const { page } = main;
    await visit(page, `/console/events/${EVENT_B}`);
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toContain(String(EVENT_B));
    expect(await textOf(page.locator('[data-state]').first())).toContain('SKIPPED');
    for (const name of ['Sync now', 'Retry', 'Preview']) {
      const button = page.getByRole('button', { name, exact: true });
      expect({ name, count: await button.count() }).toEqual({ name, count: 1 });
      const form = button.locator('xpath=ancestor::form[1]');
      const method = ((await form.getAttribute('method')) ?? 'get').toLowerCase();
      // A preview only reads, so a GET form is fine for it; what changes anything is a POST form
      // carrying the session's CSRF token.
      if (name !== 'Preview') expect({ name, method }).toEqual({ name, method: 'post' });
      if (method === 'post') {
        expect({
          name,
          csrf: await form.locator('input[type="hidden"][name="_csrf"]').count(),
        }).toEqual({ name, csrf: 1 });
      }
    }
    await page.getByRole('heading', { name: 'Unmatched items' }).waitFor();
    expect(await textOf(page.locator('main'))).toContain(UNMATCHED_LINE);

    const find = page.getByLabel(`Find a Revel product for ${UNMATCHED_LINE}`);
    await find.click();
    await find.pressSequentially('maple', { delay: 60 });
    const mapTo = page.getByRole('button', { name: `Map to ${MAPLE_BAR.name}`, exact: true });
    await mapTo.waitFor();
    expect(await page.getByRole('button', { name: /^Map to / }).count()).toBeGreaterThanOrEqual(1);
    await mapTo.click();

    // The choice is stored as a mapping for the location, shown on the page and on /console/mappings.
    await page.getByRole('button', { name: `Map to ${MAPLE_BAR.name}`, exact: true }).waitFor({
      state: 'detached',
    });
    await page.waitForLoadState();
    expect(await textOf(page.locator('main'))).toContain(MAPLE_BAR.name);
    const mappings = await h.api().get(`/api/mappings?location=${LA}`).expect(200);
    expect(mappings.body.mappings).toEqual([
      expect.objectContaining({ location: LA, productId: MAPLE_BAR.id }),
    ]);
    await visit(page, '/console/mappings');
    const rows = page.locator('tr').filter({ hasText: MAPLE_BAR.name });
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    expect(await rows.first().getByRole('button', { name: 'Remove' }).count()).toBe(1);

    await visit(page, `/console/events/${EVENT_B}`);
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await waitForPageState(EVENT_B, ['INJECTED']);
    const orders = h.revel.ordersByLocalId(`Triple Seat_${EVENT_B}`);
    expect(orders).toHaveLength(1);
    expect(await textOf(page.locator('[data-revel-order-id]').first())).toContain(
      String(orders[0].id),
    );
    const items = h.revel.orderItems(orders[0].id);
    expect(items.map((i) => [String(i.product), Number(i.quantity)])).toEqual([
      [expect.stringMatching(new RegExp(`/Product/${MAPLE_BAR.id}/?$`)), 10],
    ]);
  });

  it('should turn dry run on for every page and the pipeline, record the flip, and turn it off', async () => {
    const { page } = main;
    await visit(page, '/console/switches');
    expect(await textOf(page.locator('[data-switches]'))).toContain('Dry run: off');
    await page.getByRole('button', { name: 'Turn dry run on' }).click();
    await page.getByRole('button', { name: 'Turn dry run off' }).waitFor();
    for (const path of SIGNED_IN_PAGES(EVENT_B)) {
      await visit(page, path);
      const banner = await textOf(page.locator('[data-switches]'));
      expect({ path, dryRunOn: banner.includes('Dry run: on') }).toEqual({ path, dryRunOn: true });
      expect(banner).toContain('Connector: on');
    }

    seed(EVENT_C, 'Dry-run tasting', [{ name: 'TRIPLE OG', quantity: 6, price: '3.60' }]);
    expect((await h.webhook(webhookBody(EVENT_C))).status).toBe(200);
    const c = await h.waitForState(String(EVENT_C), ['DRY_RUN', 'INJECTED', 'FAILED', 'SKIPPED']);
    expect(c.state).toBe('DRY_RUN');
    expect(h.revel.ordersByLocalId(`Triple Seat_${EVENT_C}`)).toHaveLength(0);

    const db = h.get(DatabaseService).db;
    const sessions = await db
      .selectFrom('console_sessions')
      .select('label')
      .where('ended_at', 'is', null)
      .execute();
    expect(sessions).toHaveLength(1);
    await visit(page, '/console/switches');
    const flips = page.locator('tr').filter({ hasText: sessions[0].label });
    expect(await flips.count()).toBeGreaterThanOrEqual(1);

    await page.getByRole('button', { name: 'Turn dry run off' }).click();
    await page.getByRole('button', { name: 'Turn dry run on' }).waitFor();
    expect(await textOf(page.locator('[data-switches]'))).toContain('Dry run: off');
    expect(
      await page.locator('tr').filter({ hasText: sessions[0].label }).count(),
    ).toBeGreaterThanOrEqual(2);
  });

  it('should refuse a signed-in POST without the CSRF token, or with a wrong one, and change nothing', async () => {
    const before = await ledger(EVENT_A);
    expect(before?.state).toBe('INJECTED');
    const forms: Record<string, string>[] = [{}, { _csrf: 'not-the-token' }];
    for (const form of forms) {
      const res = await main.context.request.post(`${h.url}/console/events/${EVENT_A}/sync`, {
        form,
        maxRedirects: 0,
      });
      expect({ form, status: res.status() }).toEqual({ form, status: 403 });
    }
    await h.get(SyncWorker).idle();
    expect(await ledger(EVENT_A)).toEqual(before);
    expect(h.revel.ordersByLocalId(`Triple Seat_${EVENT_A}`)).toHaveLength(1);
  });

  it('should send a strict CSP with every page, and enforce it', async () => {
    const { page } = main;
    for (const path of [...SIGNED_IN_PAGES(EVENT_B), `/console/events/${EVENT_B}/preview`]) {
      const res = await page.goto(path);
      const csp = res?.headers()['content-security-policy'] ?? '';
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((d) => d[0])
          .map(([name, ...values]) => [name, values] as const),
      );
      const scripts = directives.get('script-src') ?? directives.get('default-src') ?? [];
      const styles = directives.get('style-src') ?? directives.get('default-src') ?? [];
      expect({ path, scripts, styles }).toEqual({
        path,
        scripts: expect.not.arrayContaining(["'unsafe-inline'"]),
        styles: expect.not.arrayContaining(["'unsafe-inline'"]),
      });
      expect({ path, scripts }).toEqual({
        path,
        scripts: expect.not.arrayContaining(["'unsafe-eval'"]),
      });
      expect({ path, scripts: scripts.length > 0 }).toEqual({ path, scripts: true });
    }
    expect(main.takeProblems()).toEqual([]);

    // What an injected inline script or style would meet: refused, and reported on the console.
    await expect(page.addScriptTag({ content: 'globalThis.__injected = true;' })).rejects.toThrow(
      /Content Security Policy/,
    );
    await expect(page.addStyleTag({ content: 'body { display: none; }' })).rejects.toThrow(
      /Content Security Policy/,
    );
    expect(await page.evaluate(() => (globalThis as { __injected?: boolean }).__injected)).toBe(
      undefined,
    );
    const reported = main.takeProblems();
    expect(reported.length).toBeGreaterThanOrEqual(2);
    for (const p of reported) expect(p).toMatch(/Content Security Policy/);
  });

  it('should pass axe (no serious or critical violations) on every page', async () => {
    // axe is injected as a script, which the console's CSP refuses: a context of its own that
    // bypasses the CSP, holding the same session. The CSP itself is proven by `main`.
    const signedIn = await openPage(browser, h.url, {
      bypassCSP: true,
      cookies: await main.context.cookies(`${h.url}/console`),
    });
    const anonymous = await openPage(browser, h.url, { bypassCSP: true });
    try {
      const found: string[] = [];
      for (const path of [
        ...SIGNED_IN_PAGES(EVENT_B),
        `/console/events/${EVENT_A}`,
        `/console/events/${EVENT_B}/preview`,
      ]) {
        await visit(signedIn.page, path);
        found.push(...(await axeViolations(signedIn.page)));
      }
      await visit(anonymous.page, SIGN_IN);
      found.push(...(await axeViolations(anonymous.page)));
      expect(found).toEqual([]);
      expect([...signedIn.takeProblems(), ...anonymous.takeProblems()]).toEqual([]);
    } finally {
      await signedIn.context.close();
      await anonymous.context.close();
    }
    // And every page once more with the CSP on: no violation, no script error.
    for (const path of [...SIGNED_IN_PAGES(EVENT_B), `/console/events/${EVENT_A}`]) {
      await visit(main.page, path);
    }
  });

  it('should sign out, after which the old cookie opens nothing', async () => {
    const { page } = main;
    await visit(page, '/console');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === SIGN_IN || u.pathname === '/console');
    await page.goto('/console');
    expect(pathOf(page)).toBe(SIGN_IN);

    const cookie = sessionCookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const replay = await answerOf(h.url, '/console', { headers: { cookie } });
    expect([302, 303]).toContain(replay.status);
    expect(replay.location).toBe(SIGN_IN);
    const replayedPost = await answerOf(h.url, `/console/events/${EVENT_A}/sync`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect([401, 403, 302, 303]).toContain(replayedPost.status);

    const replayed = await openPage(browser, h.url, { cookies: sessionCookies });
    try {
      await replayed.page.goto('/console');
      expect(pathOf(replayed.page)).toBe(SIGN_IN);
    } finally {
      await replayed.context.close();
    }
  });
});

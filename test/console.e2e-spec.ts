import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { webhookBody } from './reliability/support';
import { Harness, SECRETS, startHarness } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';

/**
 * The operator console over plain HTTP: who may see and change what (sessions, CSRF, throttling,
 * the off switch), what the board shows, and a mapping made in one replica's console used by
 * another's next attempt. The real-browser walk-through is console-browser.e2e-spec.ts.
 */

interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

async function call(
  h: Harness,
  path: string,
  init: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie) headers.cookie = init.cookie;
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(`${h.url}${path}`, {
    method: init.form ? 'POST' : 'GET',
    headers,
    body,
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function signIn(h: Harness, token = SECRETS.apiToken): Promise<string> {
  const res = await call(h, '/console/sign-in', { form: { token, next: '/console' } });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/^console_session=/);
  return cookie.split(';')[0];
}

const csrfOf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

const todayEvent = (
  h: Harness,
  id: number,
  lines: { name: string; quantity: number; price: string; menuItemId?: number }[],
  extra = {},
) =>
  h.seedEvent({ id, event_date: h.todayLA(), documents: [invoiceDocument({ lines })], ...extra });

describe('operator console over HTTP (e2e against the sandboxes)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: { TRUST_PROXY: 'loopback', CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES: '3' },
    });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should send every page to sign-in without a session, and refuse every action', async () => {
    for (const path of [
      '/console',
      '/console/events/1',
      '/console/mappings',
      '/console/switches',
      '/console/health',
    ]) {
      const res = await call(h, path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/console/sign-in?next=${encodeURIComponent(path)}`);
    }
    const event = todayEvent(h, 67000001, [{ name: 'TRIPLE OG', quantity: 2, price: '2.00' }]);
    await h.webhook(webhookBody(event.id));
    await h.waitForState(String(event.id), ['INJECTED']);
    const before = await h.api().get(`/api/sync/events/${event.id}`).expect(200);

    for (const path of [
      `/console/events/${event.id}/sync`,
      `/console/events/${event.id}/resync`,
      '/console/switches/dryRun',
      '/console/mappings',
      '/console/sign-out',
    ]) {
      const res = await call(h, path, { form: { _csrf: 'x', value: 'true' } });
      expect(res.status).toBe(401);
      expect(res.text).toContain('Sign in first');
    }
    const htmx = await call(h, `/console/products?event=${event.id}&line=0&q=og`, {
      headers: { 'hx-request': 'true' },
    });
    expect(htmx.status).toBe(401);
    expect(htmx.headers.get('hx-redirect')).toBe('/console/sign-in');

    const after = await h.api().get(`/api/sync/events/${event.id}`).expect(200);
    expect(after.body).toEqual(before.body);
    const switches = await h.api().get('/api/switches').expect(200);
    expect((switches.body as { flips: unknown[] }).flips).toEqual([]);
  });

  it('should sign in with the token into a signed, HttpOnly, SameSite=Strict session cookie that expires', async () => {
    const page = await call(h, '/console/sign-in');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.text).not.toMatch(/<script>|<style>|style="|https?:\/\/(?!127)/);

    const res = await call(h, '/console/sign-in', {
      form: { token: SECRETS.apiToken, next: '/console/health' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/health');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)?.[1] ?? '');
    expect(expires - Date.now()).toBeGreaterThan(11 * 3_600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3_600_000 + 5_000);
    expect(cookie).not.toMatch(/Secure/);

    // Behind a TLS-terminating proxy (TRUST_PROXY), the cookie is Secure.
    const tls = await call(h, '/console/sign-in', {
      form: { token: SECRETS.apiToken },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(tls.headers.get('set-cookie')).toMatch(/Secure/);

    // Only a path inside the console is followed after sign-in.
    const away = await call(h, '/console/sign-in', {
      form: { token: SECRETS.apiToken, next: '//evil.example/x' },
    });
    expect(away.headers.get('location')).toBe('/console');

    // A cookie altered by one character opens nothing.
    const value = cookie.split(';')[0];
    const forged = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    expect((await call(h, '/console', { cookie: forged })).status).toBe(303);
    expect((await call(h, '/console', { cookie: value })).status).toBe(200);
  });

  it('should refuse a change without the CSRF token, with a wrong one, or from another site, and change nothing', async () => {
    const cookie = await signIn(h);
    const page = await call(h, '/console/switches', { cookie });
    const csrf = csrfOf(page.text);
    expect(csrf).toHaveLength(43);

    const attempts: { form: Record<string, string>; headers?: Record<string, string> }[] = [
      { form: { value: 'true' } },
      { form: { value: 'true', _csrf: 'A'.repeat(43) } },
      { form: { value: 'true', _csrf: csrf }, headers: { origin: 'http://evil.example' } },
    ];
    for (const attempt of attempts) {
      const res = await call(h, '/console/switches/dryRun', { cookie, ...attempt });
      expect(res.status).toBe(403);
    }
    let switches = await h.api().get('/api/switches').expect(200);
    expect(switches.body).toMatchObject({
      switches: [
        { name: 'enableConnector', value: true },
        { name: 'dryRun', value: false },
      ],
      flips: [],
    });

    // Behind a trusted proxy that rewrites Host, the page's origin is the forwarded host.
    const proxied = await call(h, '/console/switches/dryRun', {
      cookie,
      form: { value: 'false', _csrf: csrf },
      headers: { origin: 'https://console.example', 'x-forwarded-host': 'console.example' },
    });
    expect(proxied.status).toBe(303);
    // Even a sign-in from another site's page is refused.
    const foreign = await call(h, '/console/sign-in', {
      form: { token: SECRETS.apiToken },
      headers: { origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();

    // Another session's token is not this one's.
    const other = await signIn(h);
    const otherCsrf = csrfOf((await call(h, '/console/switches', { cookie: other })).text);
    expect(
      (
        await call(h, '/console/switches/dryRun', {
          cookie,
          form: { value: 'true', _csrf: otherCsrf },
        })
      ).status,
    ).toBe(403);

    const ok = await call(h, '/console/switches/dryRun', {
      cookie,
      form: { value: 'true', _csrf: csrf },
    });
    expect(ok.status).toBe(303);
    switches = await h.api().get('/api/switches').expect(200);
    const body = switches.body as {
      switches: { name: string; value: boolean; updatedBy: string }[];
      flips: { actor: string }[];
    };
    expect(body.switches[1]).toMatchObject({ name: 'dryRun', value: true });
    expect(body.flips[0].actor).toMatch(/^session [0-9a-f]{8}$/);
    const shown = await call(h, '/console/switches', { cookie });
    expect(shown.text).toContain(body.flips[0].actor);
    expect(shown.text).toContain('Dry run: on');
    expect(
      (await call(h, '/console/switches/dryRun', { cookie, form: { value: 'false', _csrf: csrf } }))
        .status,
    ).toBe(303);
  });

  it('should show today and the next 7 days per location, with held-until in the site’s zone, and filter and search', async () => {
    const cookie = await signIn(h);
    const today = todayEvent(h, 67000101, [{ name: 'TRIPLE OG', quantity: 4, price: '2.50' }], {
      name: 'Garcia rehearsal dinner',
    });
    const soon = h.seedEvent({
      id: 67000102,
      name: 'Okafor birthday',
      event_date: h.dayLA(3),
      documents: [invoiceDocument({ lines: [{ name: 'TRIPLE OG', quantity: 1, price: '2.00' }] })],
    });
    const later = h.seedEvent({
      id: 67000103,
      name: 'Lindqvist gala',
      event_date: h.dayLA(12),
      documents: [invoiceDocument({ lines: [{ name: 'TRIPLE OG', quantity: 1, price: '2.00' }] })],
    });
    for (const e of [today, soon, later]) await h.webhook(webhookBody(e.id));
    await h.waitForState(String(today.id), ['INJECTED']);
    await h.waitForState(String(soon.id), ['HELD']);
    await h.waitForState(String(later.id), ['HELD']);

    const board = await call(h, '/console', { cookie });
    expect(board.status).toBe(200);
    expect(board.text).toContain('Pinkbox Tropicana');
    expect(board.text).toContain('data-event-id="67000101"');
    expect(board.text).toContain('Garcia rehearsal dinner');
    expect(board.text).toContain('data-event-id="67000102"');
    expect(board.text).not.toContain('data-event-id="67000103"');
    const row = (id: number, html: string) =>
      new RegExp(`<tr data-event-id="${id}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
    expect(row(67000101, board.text)).toContain('INJECTED');
    expect(row(67000101, board.text)).toContain('10.00');
    const held = row(67000102, board.text);
    expect(held).toContain('HELD');
    expect(held).toContain('Waiting for the event day to start at the site.');
    // Held until midnight at the site, shown in the site's zone.
    expect(held).toMatch(/00:00 (PST|PDT)/);

    const all = await call(h, '/console?range=all', { cookie });
    expect(all.text).toContain('data-event-id="67000103"');
    const heldOnly = await call(h, '/console?range=all&state=HELD', { cookie });
    expect(heldOnly.text).toContain('data-event-id="67000103"');
    expect(heldOnly.text).not.toContain('data-event-id="67000101"');
    const byName = await call(h, '/console?range=all&q=lindqvist', { cookie });
    expect(byName.text).toContain('data-event-id="67000103"');
    expect(byName.text).not.toContain('data-event-id="67000102"');
    const byId = await call(h, '/console?range=all&q=67000102', { cookie });
    expect(byId.text).toContain('data-event-id="67000102"');
    expect(byId.text).not.toContain('data-event-id="67000103"');
    const elsewhere = await call(h, '/console?range=all&location=40009', { cookie });
    expect(elsewhere.text).not.toContain('data-event-id="67000101"');
    // A search is taken literally, not as a pattern.
    expect((await call(h, '/console?range=all&q=%25', { cookie })).text).not.toContain(
      'data-event-id',
    );
  });

  it('should show an event’s history, order make-up and correlation ids, and sync it now', async () => {
    const cookie = await signIn(h);
    const event = todayEvent(h, 67000201, [
      { name: 'TRIPLE OG', quantity: 3, price: '2.00' },
      { name: 'Mystery Cruller', quantity: 2, price: '5.00' },
    ]);
    const hook = await h.webhook(webhookBody(event.id));
    await h.waitForState(String(event.id), ['INJECTED']);
    const page = await call(h, `/console/events/${event.id}`, { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-state="INJECTED"');
    expect(page.text).toMatch(/data-revel-order-id="\d+"/);
    expect(page.text).toContain('TRIPLE OG');
    expect(page.text).toContain('Unmatched items');
    expect(page.text).toContain('Find a Revel product for Mystery Cruller');
    expect(page.text).toContain('What the surcharge or discount is made of');
    expect(page.text).toContain(hook.headers['x-correlation-id']);
    expect(page.text).toContain('Resync order');

    const csrf = csrfOf(page.text);
    const synced = await call(h, `/console/events/${event.id}/sync`, {
      cookie,
      form: { _csrf: csrf },
    });
    expect(synced.status).toBe(303);
    expect(synced.headers.get('location')).toBe(`/console/events/${event.id}?notice=synced`);
    // An event with its order is never written twice.
    expect(h.revel.ordersByLocalId(`Triple Seat_${event.id}`)).toHaveLength(1);

    const missing = await call(h, '/console/events/99999999', { cookie });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('is not in the ledger');
  });

  it('should search the establishment’s active products and map an unmatched line in place, then retry it into an order', async () => {
    const cookie = await signIn(h);
    const event = todayEvent(h, 67000301, [
      { name: 'Kale Smoothie', quantity: 3, price: '4.00', menuItemId: 7788 },
    ]);
    await h.webhook(webhookBody(event.id));
    await h.waitForState(String(event.id), ['SKIPPED']);
    const page = await call(h, `/console/events/${event.id}`, { cookie });
    expect(page.text).toContain('data-state="SKIPPED"');
    expect(page.text).toContain('None of the items matched a POS product');
    expect(page.text).not.toContain('Resync order');
    const attention = await call(h, '/console?range=all&attention=1', { cookie });
    expect(attention.text).toContain(`data-event-id="${event.id}"`);
    expect(attention.text).not.toContain('data-event-id="67000101"');

    const found = await call(h, `/console/products?event=${event.id}&line=0&q=fudgy`, {
      cookie,
      headers: { 'hx-request': 'true' },
    });
    expect(found.status).toBe(200);
    expect(found.text).toContain('Map to FUDGY WUDGY');
    expect(found.text).not.toContain('<html');
    // Without JavaScript, the same search renders in the page.
    const noScript = await call(h, `/console/events/${event.id}?line=0&q=fudgy`, { cookie });
    expect(noScript.text).toContain('Map to FUDGY WUDGY');

    const csrf = csrfOf(page.text);
    const bad = await call(h, '/console/mappings', {
      cookie,
      form: {
        _csrf: csrf,
        location: '31883',
        kind: 'menuItem',
        menuItemId: '7788',
        productId: '999999',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('productId: 999999 is not an active product');

    const mapped = await call(h, '/console/mappings', {
      cookie,
      form: {
        _csrf: csrf,
        location: '31883',
        kind: 'menuItem',
        menuItemId: '7788',
        productId: '592',
        returnTo: `/console/events/${event.id}#unmatched`,
      },
    });
    expect(mapped.status).toBe(303);
    expect(mapped.headers.get('location')).toBe(
      `/console/events/${event.id}?notice=mapped#unmatched`,
    );
    const list = await h.api().get('/api/mappings?location=31883').expect(200);
    expect((list.body as { mappings: unknown[] }).mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'menuItem', menuItemId: '7788', productId: 592 }),
      ]),
    );
    expect((await call(h, '/console/mappings', { cookie })).text).toContain('FUDGY WUDGY');

    const retried = await call(h, `/console/events/${event.id}/retry`, {
      cookie,
      form: { _csrf: csrf },
    });
    expect(retried.status).toBe(303);
    const after = await call(h, `/console/events/${event.id}`, { cookie });
    expect(after.text).toContain('data-state="INJECTED"');
    const orders = h.revel.ordersByLocalId(`Triple Seat_${event.id}`);
    expect(orders).toHaveLength(1);
    expect(h.revel.orderItems(orders[0].id)[0].product).toMatch(/\/Product\/592\/?$/);

    const removed = await call(h, '/console/mappings/remove', {
      cookie,
      form: { _csrf: csrf, location: '31883', kind: 'menuItem', source: '7788' },
    });
    expect(removed.status).toBe(303);
    expect((await call(h, '/console/mappings', { cookie })).text).not.toContain('menu item 7788');
  });

  it('should show health at a glance: reconciliation, backlog, failures and the go-live checks', async () => {
    const cookie = await signIn(h);
    const page = await call(h, '/console/health', { cookie });
    expect(page.status).toBe(200);
    for (const heading of [
      'Reconciliation',
      'Backlog',
      'Failures in the last 24 hours',
      'Go-live checks',
    ]) {
      expect(page.text).toContain(heading);
    }
    const ran = await call(h, '/console/health/checks', {
      cookie,
      form: { _csrf: csrfOf(page.text) },
    });
    expect(ran.status).toBe(303);
    const checked = await call(h, '/console/health', { cookie });
    expect(checked.text).toContain('TripleSeat token');
    expect(checked.text).toContain('passed');
  });

  it('should end the session on sign-out, on every page, for the old cookie too', async () => {
    const cookie = await signIn(h);
    const page = await call(h, '/console', { cookie });
    const out = await call(h, '/console/sign-out', { cookie, form: { _csrf: csrfOf(page.text) } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/console/sign-in');
    expect(out.headers.get('set-cookie')).toMatch(/console_session=;/);
    expect((await call(h, '/console', { cookie })).status).toBe(303);
    expect(
      (
        await call(h, '/console/switches/dryRun', {
          cookie,
          form: { _csrf: csrfOf(page.text), value: 'true' },
        })
      ).status,
    ).toBe(401);
  });

  it('should throttle wrong tokens per address, refusing even the right one until the window passes', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await call(h, '/console/sign-in', { form: { token: `wrong-token-${i}` } });
      expect(res.status).toBe(401);
      expect(res.text).toContain('role="alert"');
      expect(res.text).toContain('That token is not valid.');
    }
    const blocked = await call(h, '/console/sign-in', { form: { token: SECRETS.apiToken } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('set-cookie')).toBeNull();
  });
});

describe('console settings (e2e)', () => {
  it('should answer 404 on every console route when CONSOLE_ENABLED=false', async () => {
    const h = await startHarness({ env: { CONSOLE_ENABLED: 'false' } });
    try {
      for (const path of ['/console', '/console/sign-in', '/console/assets/console.css']) {
        expect((await call(h, path)).status).toBe(404);
      }
      expect(
        (await call(h, '/console/sign-in', { form: { token: SECRETS.apiToken } })).status,
      ).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('should take CONSOLE_TOKEN instead of SYNC_API_TOKEN when it is set', async () => {
    const consoleToken = 'console-token-e2e-abcdef0123456789';
    const h = await startHarness({ env: { CONSOLE_TOKEN: consoleToken } });
    try {
      expect(
        (await call(h, '/console/sign-in', { form: { token: SECRETS.apiToken } })).status,
      ).toBe(401);
      const cookie = await signIn(h, consoleToken);
      expect((await call(h, '/console', { cookie })).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

if (!TEST_DATABASE_URL) warnPostgresSkipped('console mappings across replicas');
// CI sets TEST_DATABASE_URL (.ci/run), so this half always runs there.
const onPostgres = TEST_DATABASE_URL ? describe : describe.skip;

onPostgres('a mapping made in one replica’s console (PostgreSQL)', () => {
  let schema: PgSchema;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'console');
    a = await startHarness({ databaseUrl: schema.url, env: { WORKER_POLL_MS: '60000' } });
    b = await startHarness({ databaseUrl: schema.url, tripleseat: a.tripleseat, revel: a.revel });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await schema?.drop();
  });

  it('should be used by the next attempt on another replica, with no restart', async () => {
    const event = todayEvent(b, 67000401, [
      { name: 'Ube Cruller', quantity: 5, price: '3.00', menuItemId: 8899 },
    ]);
    const first = await b.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    expect((first.body as { events: { status: string }[] }).events[0].status).toBe('SKIPPED');

    const cookie = await signIn(a);
    const eventPage = await call(a, `/console/events/${event.id}`, { cookie });
    const csrf = csrfOf(eventPage.text);
    const mapped = await call(a, '/console/mappings', {
      cookie,
      form: {
        _csrf: csrf,
        location: '31883',
        kind: 'menuItem',
        menuItemId: '8899',
        productId: '590',
      },
    });
    expect(mapped.status).toBe(303);

    const second = await b.api().post(`/api/sync/tripleseat?event_id=${event.id}`).expect(200);
    expect((second.body as { events: { status: string }[] }).events[0].status).toBe('INJECTED');
    const [order] = a.revel.ordersByLocalId(`Triple Seat_${event.id}`);
    expect(a.revel.orderItems(order.id).map((i) => i.product)).toEqual([
      expect.stringMatching(/\/Product\/590\/?$/),
    ]);
  });
});

import { DateTime } from 'luxon';
import type { Browser, Locator, Page } from 'playwright-core';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { axeViolations, launchBrowser, openPage, type WatchedPage } from './support/browser';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * The console follows an event held for lines that match no product (UNMATCHED_POLICY=hold), in
 * a real Chromium against the real app and sandboxes: the held event's page offers "Write without
 * these lines" and a live product search per line; mapping the line there writes the order with
 * both lines by itself, and the page then shows what the line maps to; another is written without
 * its line by the button; a future event's unmatched line is on the board and in its "needs
 * attention" count days ahead; an error page links back to its event. The tests run in order.
 */

const LA = '31883';
const HELD = 69200001;
const WITHOUT = 69200002;
const FUTURE = 69200003;
const LINE = 'Dozen Maple Glazed';
const FUTURE_LINE = 'Churro Bites';
/** The fixture catalogue's MAPLE BAR; MAPLE BARS (702) also matches the search. */
const MAPLE_BAR = { id: 590, name: 'MAPLE BAR' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const webhookBody = (id: number) => ({
  webhook_trigger_type: 'STATUS_CHANGE_EVENT',
  event: { id, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
});

async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

async function visit(page: Page, path: string): Promise<void> {
  const res = await page.goto(path);
  expect({ path, status: res?.status(), landed: new URL(page.url()).pathname }).toEqual({
    path,
    status: 200,
    landed: new URL(path, page.url()).pathname,
  });
}

describe('console for held events in a real browser (e2e)', () => {
  let h: Harness;
  let browser: Browser;
  let main: WatchedPage;

  const ledger = async (id: number): Promise<Record<string, unknown>> =>
    (await h.api().get(`/api/sync/events/${id}`).expect(200)).body as Record<string, unknown>;

  /** Reloads the event page until its state shows one of `states`. */
  const waitForPageState = async (id: number, states: string[], timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await visit(main.page, `/console/events/${id}`);
      const shown = await textOf(main.page.locator('[data-state]').first());
      if (states.includes(shown)) return shown;
      if (Date.now() > deadline)
        throw new Error(`event ${id} shows ${shown}; ledger ${JSON.stringify(await ledger(id))}`);
      await sleep(250);
    }
  };

  const seed = (id: number, lines: Parameters<typeof invoiceDocument>[0]['lines'], date?: string) =>
    h.seedEvent({
      id,
      name: `Held ${id}`,
      location_id: Number(LA),
      site_id: 15691,
      ...(date ? { event_date: date } : {}),
      documents: [invoiceDocument({ title: 'Invoice', lines })],
    });

  const heldOnItsDay = async (id: number, line: string) => {
    seed(id, [
      { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
      { name: line, quantity: 2, price: '15.00' },
    ]);
    await h.webhook(webhookBody(id));
    await h.waitForState(String(id), ['HELD']);
  };

  beforeAll(async () => {
    // The next 09:00 in Los Angeles: the day's deadline (15:00, before an 18:00 start) is hours
    // away. Never in the past: the console's session cookie expires by the service's clock, and a
    // clock more than a session behind real time would have the browser drop the cookie at once.
    const here = DateTime.now().setZone('America/Los_Angeles');
    const nine = here.set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const now = (nine < here ? nine.plus({ days: 1 }) : nine).toJSDate();
    h = await startHarness({ now, env: { CONSOLE_ENABLED: 'true', UNMATCHED_POLICY: 'hold' } });
    browser = await launchBrowser();
    main = await openPage(browser, h.url);
    await visit(main.page, '/console/sign-in');
    await main.page.getByLabel('Sign-in token').fill(SECRETS.apiToken);
    await main.page.getByRole('button', { name: 'Sign in' }).click();
    await main.page.waitForURL((u) => u.pathname === '/console');
    // The sign-in page's favicon request is the one 404 Chromium may log while signing in.
    expect(main.takeProblems().filter((p) => !p.includes('/favicon.ico'))).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  afterEach(() => {
    expect(main?.takeProblems() ?? []).toEqual([]);
  });

  it('should map a held line from its event page and write the order with both lines by itself', async () => {
    await heldOnItsDay(HELD, LINE);
    const { page } = main;
    await visit(page, `/console/events/${HELD}`);
    expect(await textOf(page.locator('[data-state]').first())).toBe('HELD');
    expect(await textOf(page.locator('main'))).toContain('UNMATCHED_ITEMS');
    expect(await page.getByRole('button', { name: 'Write without these lines' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resync order' }).count()).toBe(0);
    expect(await textOf(page.locator('#unmatched'))).toContain('written by itself');

    const find = page.getByLabel(`Find a Revel product for ${LINE}`);
    await find.click();
    await find.pressSequentially('maple', { delay: 60 });
    const mapTo = page.getByRole('button', { name: `Map to ${MAPLE_BAR.name}`, exact: true });
    await mapTo.waitFor();
    const clickedAt = Date.now();
    await mapTo.click();
    await page.waitForURL((u) => u.pathname === `/console/events/${HELD}`);

    // No Retry: the mapping makes the held event due, and the worker writes it.
    await waitForPageState(HELD, ['INJECTED']);
    expect(Date.now() - clickedAt).toBeLessThan(30_000);
    const orders = h.revel.ordersByLocalId(`Triple Seat_${HELD}`);
    expect(orders).toHaveLength(1);
    expect(
      h.revel
        .orderItems(orders[0].id)
        .map((i) => [i.product, Number(i.quantity)])
        .sort(),
    ).toEqual(
      [
        ['/resources/Product/579/', 8],
        [`/resources/Product/${MAPLE_BAR.id}/`, 2],
      ].sort(),
    );
    expect(Number(orders[0].final_total)).toBeCloseTo(58.8, 10);
    expect(h.revel.payments(orders[0].id).map((p) => String(p.amount))).toEqual(['58.80']);
    const mapped = await textOf(page.locator(`[data-mapped-line="${LINE}"]`));
    expect(mapped).toBe(`${LINE} now maps to ${MAPLE_BAR.name} #${MAPLE_BAR.id}`);

    // Resync is offered now, as a secondary action that says what it is for.
    const resync = page.locator('section[aria-labelledby="resync-h"]');
    expect(await textOf(resync)).toContain('a manager reopened at the POS');
    expect(await resync.getByRole('button', { name: 'Resync order' }).count()).toBe(1);
  });

  it('should write a held event without its unmatched line from the button, naming it', async () => {
    await heldOnItsDay(WITHOUT, 'Kale Smoothie');
    const { page } = main;
    await visit(page, `/console/events/${WITHOUT}`);
    await page.getByRole('button', { name: 'Write without these lines' }).click();
    await page.waitForURL((u) => u.pathname === `/console/events/${WITHOUT}`);
    expect(await textOf(page.locator('[data-state]').first())).toBe('INJECTED');
    expect(await textOf(page.locator('main'))).toContain('the kitchen must add them by hand');
    const orders = h.revel.ordersByLocalId(`Triple Seat_${WITHOUT}`);
    expect(orders).toHaveLength(1);
    expect(h.revel.orderItems(orders[0].id).map((i) => i.product)).toEqual([
      '/resources/Product/579/',
    ]);
    expect(String(orders[0].notes)).toContain(
      'NOT ON THIS ORDER, add by hand: 2 × Kale Smoothie (30.00)',
    );
  });

  it("should show a future event's unmatched line on the board and count it as needing attention days ahead", async () => {
    seed(FUTURE, [{ name: FUTURE_LINE, quantity: 4, price: '6.00' }], h.dayLA(3));
    await h.webhook(webhookBody(FUTURE));
    await h.waitForState(String(FUTURE), ['HELD']);
    const { page } = main;
    await visit(page, '/console');
    const row = page.locator(`tr[data-event-id="${FUTURE}"]`);
    expect(await textOf(row)).toContain(`${FUTURE_LINE} × 4`);
    expect(await textOf(row)).toContain('TOO_EARLY');
    const link = page.locator('.attention-link a');
    // The written-without event and the future one; the mapped one has no unmatched line left.
    expect(await textOf(link)).toBe('2 events need attention');
    await link.click();
    await page.waitForURL((u) => u.searchParams.get('attention') === '1');
    const rows = page.locator('tr[data-event-id]');
    const listed: (string | null)[] = [];
    for (let i = 0; i < (await rows.count()); i += 1)
      listed.push(await rows.nth(i).getAttribute('data-event-id'));
    expect(listed.sort()).toEqual([String(WITHOUT), String(FUTURE)].sort());

    await visit(page, `/console/events/${FUTURE}`);
    expect(await textOf(page.locator('#unmatched'))).toContain('There is time');
    expect(await page.getByLabel(`Find a Revel product for ${FUTURE_LINE}`).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Write without these lines' }).count()).toBe(0);
  });

  it('should link an error page back to its event, and pass axe on the pages of held events', async () => {
    const { page } = main;
    await visit(page, `/console/events/${FUTURE}`);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    // A mapping to a product the establishment does not have: 400, on a page that leads back.
    const res = await page.request.post('/console/mappings', {
      form: {
        _csrf: csrf,
        location: LA,
        kind: 'displayName',
        displayName: FUTURE_LINE,
        productId: '999999',
        returnTo: `/console/events/${FUTURE}#unmatched`,
      },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(400);
    const html = await res.text();
    expect(html).toContain('is not an active product');
    expect(html).toContain(`<a href="/console/events/${FUTURE}">Back to event ${FUTURE}</a>`);

    const checked = await openPage(browser, h.url, { bypassCSP: true });
    try {
      await checked.context.addCookies(await main.context.cookies(`${h.url}/console`));
      const found: string[] = [];
      for (const path of [`/console/events/${FUTURE}`, `/console/events/${HELD}`, '/console']) {
        await visit(checked.page, path);
        found.push(...(await axeViolations(checked.page)));
      }
      expect(found).toEqual([]);
      expect(checked.takeProblems()).toEqual([]);
    } finally {
      await checked.context.close();
    }
  });
});

import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { consoleZone } from '../src/console/console.views';
import { launchBrowser, openPage, type WatchedPage } from './support/browser';
import { Harness, LOCATIONS, SECRETS, startHarness } from './support/harness';

const EVENT = 69000001;
const PHONE = { width: 390, height: 844 };

/**
 * The console on a 390 px phone, in a real browser: no page is wider than the screen (tables
 * scroll in their own box, the header wraps), no request of any page answers 404 (the favicon
 * included), every time is in the one console zone, similarities are whole percentages and prices
 * have two decimals.
 */
describe('operator console on a phone (e2e, real browser)', () => {
  let h: Harness;
  let browser: Browser;
  let main: WatchedPage;
  let page: Page;
  /** Every response any page of the context got, as "status url". */
  const responses: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { CONSOLE_ENABLED: 'true' } });
    h.seedEvent({
      id: EVENT,
      name: 'A party with a rather long name that must wrap on a phone screen',
      location_id: 31883,
      site_id: 15691,
      documents: [
        invoiceDocument({
          title: 'Invoice',
          lines: [
            { name: 'TRIPLE OG', quantity: 12, price: '3.60' },
            { name: 'MAPLE BARZZ DELUXE', quantity: 4, price: '2.50' },
          ],
        }),
      ],
    });
    expect(
      (
        await h.webhook({
          webhook_trigger_type: 'STATUS_CHANGE_EVENT',
          event: { id: EVENT, status: 'CLOSED', site_id: 15691 },
        })
      ).status,
    ).toBe(200);
    await h.waitForState(String(EVENT), ['INJECTED'], 30_000);
    // A flip, so that the switches page shows a time.
    await h.api().put('/api/switches/dryRun').send({ value: true }).expect(200);
    await h.api().put('/api/switches/dryRun').send({ value: false }).expect(200);

    browser = await launchBrowser();
    main = await openPage(browser, h.url);
    page = main.page;
    await page.setViewportSize(PHONE);
    main.context.on('response', (r) => responses.push(`${r.status()} ${r.url()}`));
    await page.goto('/console/sign-in');
    await page.getByLabel('Sign-in token').fill(SECRETS.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/console');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const PAGES = [
    '/console',
    `/console/events/${EVENT}`,
    '/console/mappings',
    '/console/switches',
    '/console/health',
  ];

  it('should fit every page into 390 px, tables scrolling in their own box and the header wrapped', async () => {
    for (const path of PAGES) {
      const res = await page.goto(path);
      expect({ path, status: res?.status() }).toEqual({ path, status: 200 });
      const pageWidth = await page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
            .document.documentElement.scrollWidth,
      );
      const headerParts = await Promise.all(
        (await page.locator('header.top > *').all()).map(async (el) => {
          const box = await el.boundingBox();
          return {
            left: Math.floor(box?.x ?? -1),
            right: Math.ceil((box?.x ?? 0) + (box?.width ?? 1e6)),
          };
        }),
      );
      const layout = {
        pageWidth,
        headerParts,
        tablesOutsideScroll: await page.locator('main table:not(.table-scroll > table)').count(),
      };
      expect({ path, pageWidth: layout.pageWidth }).toEqual({ path, pageWidth: PHONE.width });
      expect({ path, outside: layout.tablesOutsideScroll }).toEqual({ path, outside: 0 });
      expect(layout.headerParts.length).toBeGreaterThanOrEqual(3);
      for (const part of layout.headerParts) {
        expect({ path, part, inside: part.left >= 0 && part.right <= PHONE.width }).toEqual({
          path,
          part,
          inside: true,
        });
      }
    }
    // The board and the event page do have tables: the check above was not vacuous.
    await page.goto(`/console/events/${EVENT}`);
    expect(await page.locator('main .table-scroll > table').count()).toBeGreaterThan(0);
  });

  it('should get no 404 for any request of any page, and serve the favicon', async () => {
    responses.length = 0;
    for (const path of PAGES) await page.goto(path);
    expect(responses.filter((r) => r.startsWith('404 '))).toEqual([]);
    const icon = await fetch(`${h.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    const linked = await fetch(`${h.url}/console/assets/favicon.svg`);
    expect(linked.status).toBe(200);
    expect(main.takeProblems()).toEqual([]);
  });

  it('should show every time in the one console zone, on the event and switches pages', async () => {
    const zone = consoleZone(Object.values(LOCATIONS));
    const abbreviation = DateTime.fromMillis(h.clock.now().getTime(), { zone }).toFormat('ZZZZ');
    const zones = new Map<string, string[]>();
    for (const path of [`/console/events/${EVENT}`, '/console/switches']) {
      await page.goto(path);
      const text = (await page.locator('main').textContent()) ?? '';
      // What follows each "yyyy, HH:mm ": the zone's name (cells may run into the next word).
      const found = [...text.matchAll(/\d{4}, \d{2}:\d{2} (\S{1,8})/g)].map((m) =>
        m[1].startsWith(abbreviation) ? abbreviation : m[1],
      );
      expect({ path, any: found.length > 0 }).toEqual({ path, any: true });
      zones.set(path, [...new Set(found)]);
    }
    expect(Object.fromEntries(zones)).toEqual({
      [`/console/events/${EVENT}`]: [abbreviation],
      '/console/switches': [abbreviation],
    });
  });

  it('should show the closest product as a whole percentage and product prices with two decimals', async () => {
    await page.goto(`/console/events/${EVENT}`);
    const closest = (await page.locator('main').textContent()) ?? '';
    expect(closest).toMatch(/\(similarity \d{1,3}%\)/);
    expect(closest).not.toMatch(/0\.\d{3,}/);

    const res = await main.context.request.get(
      `${h.url}/console/products?event=${EVENT}&line=0&q=${encodeURIComponent('MAPLE')}`,
    );
    expect(res.status()).toBe(200);
    const products = (await res.text()).replace(/\s+/g, ' ');
    expect(products).toContain('#590 · 2.50');
    const prices = [...products.matchAll(/#\d+ · ([\d.]+)/g)].map((m) => m[1]);
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.filter((p) => !/^\d+\.\d{2}$/.test(p))).toEqual([]);
  });
});

/**
 * `npx ts-node --transpile-only scripts/console-screenshots.ts`: the console's pictures for the docs.
 *
 * Starts the sandboxes, an SMTP receiver and the real service in-process (the e2e harness, which
 * also gives the Revel sandbox's fault injection), seeds a realistic day (orders written, one held
 * for tomorrow, one skipped because its items match no product, one Revel refused), signs in with
 * Chromium and writes docs/images/console-board.png and docs/images/console-event.png at 1280×800.
 * Needs Debian's Chromium at /usr/bin/chromium (or CHROMIUM_PATH).
 */
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import type { FixtureLine } from '../sandbox/tripleseat.fixtures';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { launchBrowser, openPage } from '../test/support/browser';
import { type Harness, SECRETS, startHarness } from '../test/support/harness';

const OUT_DIR = resolve(__dirname, '..', 'docs', 'images');
const LA = { location: 31883, site: 15691, zone: 'America/Los_Angeles' };
const DENVER = { location: 40009, site: 15692, zone: 'America/Denver' };
const SETTLED = ['INJECTED', 'HELD', 'SKIPPED', 'FAILED', 'DRY_RUN', 'ALREADY_EXISTS'];

interface Seed {
  id: number;
  name: string;
  site: typeof LA;
  dayOffset: number;
  guests: number;
  contact: [string, string, string];
  lines: FixtureLine[];
  grandTotal?: string;
  /** Revel refuses every order create while this event is processed. */
  revelDown?: boolean;
}

function seeds(base: number): Seed[] {
  return [
    {
      id: base + 1,
      name: 'Alvarez retirement party',
      site: LA,
      dayOffset: 0,
      guests: 40,
      contact: ['Marco', 'Alvarez', '(702) 555-0123'],
      lines: [
        { name: 'TRIPLE OG', quantity: 24, price: '3.60', menuItemId: 5001 },
        { name: 'CHOCOLATE RAINBOW RING', quantity: 12, price: '3.25' },
      ],
      revelDown: true,
    },
    {
      id: base + 2,
      name: 'Rivera rehearsal dinner',
      site: LA,
      dayOffset: 0,
      guests: 25,
      contact: ['Ana', 'Rivera', '(702) 555-0101'],
      lines: [
        { name: 'TRIPLE OG', quantity: 8, price: '3.60', menuItemId: 5001 },
        { name: 'MAPLE BAR', quantity: 8, price: '3.20' },
      ],
      grandTotal: '54.40',
    },
    {
      id: base + 3,
      name: 'Strip hotel welcome boxes',
      site: LA,
      dayOffset: 0,
      guests: 60,
      contact: ['Priya', 'Shah', '(702) 555-0166'],
      lines: [
        { name: 'PINK RAINBOW RING', quantity: 30, price: '2.25' },
        { name: "OL' FASHIONED", quantity: 30, price: '1.75' },
      ],
    },
    {
      id: base + 4,
      name: 'Wellness Co. lunch',
      site: LA,
      dayOffset: 0,
      guests: 18,
      contact: ['Jordan', 'Lee', '(702) 555-0188'],
      lines: [
        { name: 'Kale Smoothie', quantity: 10, price: '6.50' },
        { name: 'Avocado Toast', quantity: 10, price: '8.00' },
      ],
    },
    {
      id: base + 5,
      name: 'Okafor birthday brunch',
      site: LA,
      dayOffset: 1,
      guests: 30,
      contact: ['Chidi', 'Okafor', '(702) 555-0133'],
      lines: [{ name: 'FUDGY WUDGY', quantity: 24, price: '2.75' }],
    },
    {
      id: base + 6,
      name: 'Zion Outfitters team breakfast',
      site: DENVER,
      dayOffset: 0,
      guests: 12,
      contact: ['Dale', 'Hansen', '(435) 555-0177'],
      lines: [
        { name: 'SUGA DADDY', quantity: 12, price: '2.25' },
        { name: 'Hey Blondie', quantity: 12, price: '2.75' },
      ],
    },
    {
      id: base + 7,
      name: 'Dixie High booster club',
      site: DENVER,
      dayOffset: 3,
      guests: 50,
      contact: ['Rex', 'Cox', '(435) 555-0112'],
      lines: [{ name: 'OG', quantity: 48 }],
    },
  ];
}

function dayAt(h: Harness, zone: string, offsetDays: number): string {
  return DateTime.fromJSDate(h.clock.now())
    .setZone(zone)
    .plus({ days: offsetDays })
    .toFormat('MM/dd/yyyy');
}

async function seedDay(h: Harness): Promise<Map<string, number>> {
  const byName = new Map<string, number>();
  for (const s of seeds(68_000_000)) {
    const date = dayAt(h, s.site.zone, s.dayOffset);
    h.seedEvent({
      id: s.id,
      name: s.name,
      event_date: date,
      event_start: `${date} 6:00 PM`,
      event_end: `${date} 9:00 PM`,
      location_id: s.site.location,
      site_id: s.site.site,
      guest_count: s.guests,
      contact: {
        first_name: s.contact[0],
        last_name: s.contact[1],
        phone_numbers: [{ number: s.contact[2] }],
      },
      documents: [invoiceDocument({ title: 'Invoice', lines: s.lines, grandTotal: s.grandTotal })],
    });
    if (s.revelDown) {
      h.revel.faults.add({
        method: 'POST',
        path: '/resources/Order/',
        errorRate: 1,
        errorStatus: 503,
      });
    }
    const res = await h.webhook({
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: s.id, status: 'CLOSED', site_id: s.site.site, updated_at: `${date} 9:15 AM` },
    });
    if (res.status !== 200) throw new Error(`webhook for ${s.id}: HTTP ${res.status}`);
    const row = await h.waitForState(String(s.id), SETTLED);
    if (s.revelDown) h.revel.faults.clear();
    console.log(`  ${s.id}  ${String(row.state).padEnd(8)}  ${s.name}`);
    byName.set(s.name, s.id);
  }
  return byName;
}

async function main(): Promise<void> {
  const h = await startHarness({
    env: {
      LOG_LEVEL: 'warn',
      CONSOLE_ENABLED: 'true',
      // One try: the event Revel refuses ends FAILED at once instead of waiting for retries.
      UPSTREAM_MAX_ATTEMPTS: '1',
      MAX_ATTEMPTS: '1',
    },
  });
  const browser = await launchBrowser().catch(async (error: unknown) => {
    await h.close();
    throw error;
  });
  try {
    console.log(`service on ${h.url}; seeding events:`);
    const ids = await seedDay(h);
    const { page, context } = await openPage(browser, h.url);

    await page.goto('/console/sign-in');
    await page.getByLabel('Sign-in token').fill(SECRETS.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/console');

    mkdirSync(OUT_DIR, { recursive: true });
    const board = join(OUT_DIR, 'console-board.png');
    await page.screenshot({ path: board });
    console.log(`wrote ${board}`);

    // The event that needs an operator: its items match no product (state, why, actions, and
    // the start of the unmatched items with their product search).
    await page.goto(`/console/events/${String(ids.get('Wellness Co. lunch'))}`);
    const event = join(OUT_DIR, 'console-event.png');
    await page.screenshot({ path: event });
    console.log(`wrote ${event}`);
    await context.close();
  } finally {
    await browser.close();
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      `console screenshots failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);

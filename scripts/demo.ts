/**
 * `npm run demo`: the whole service end to end on one machine, with nothing to configure.
 *
 *   npm run demo                     run the scenario, print the outcome, keep serving until Ctrl-C
 *   npm run demo -- --exit           run it, print it, shut down; exit code 1 if any outcome is wrong
 *   npm run demo -- --port 3001      listen elsewhere (0 = any free port)
 *   npm run demo -- --db ./demo.db   keep the ledger in this SQLite file (a fresh temp file by default)
 *   npm run demo -- --verbose        the service's info-level logs instead of warnings only
 *
 * It starts the TripleSeat and Revel sandboxes and an SMTP receiver on loopback, starts the real
 * service in-process the way src/main.ts does, seeds TripleSeat events dated in each site's own
 * time zone, sends the signed webhooks TripleSeat would send (all but one event, which only the
 * reconciliation can find), waits for their orders, runs one reconciliation through the HTTP API
 * (its summary: the one order it created, the webhooks' orders already synced), waits for the ledger
 * to settle and prints what happened, checking every event against what it was meant to end as.
 */
import 'reflect-metadata';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DateTime } from 'luxon';
import type { DestinationStream } from 'pino';
import { type Sandboxes, startSandboxes } from '../sandbox/main';
import {
  type FixtureBillingTotal,
  type FixtureLine,
  fixtureBooking,
  fixtureEvent,
  invoiceDocument,
  type SandboxBooking,
  type SandboxDocument,
  type SandboxEvent,
} from '../sandbox/tripleseat.fixtures';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';
import { loadLocationsFile, type LocationMap } from '../src/config/locations';
import type { LedgerState } from '../src/database/database.types';
import type { RevelOrder } from '../src/revel/revel.types';
import { ReasonCode } from '../src/sync/reason-codes';
import type { SyncRunView } from '../src/sync/sync.types';
import { SmtpCapture } from '../test/support/smtp-capture';

export const DEMO_API_TOKEN = 'demo-sync-api-token-0123456789abcdef0123';
const SMTP_USER = 'notify';
const SMTP_PASS = 'demo-smtp-pass-0123456789';
export const DEMO_LOCATIONS_FILE = resolve(__dirname, '..', 'config', 'locations.example.json');
const LA = '31883';
const DENVER = '40009';
const UNMAPPED = '99999';
const SETTLED_TIMEOUT_MS = 30_000;
const MAIL_TIMEOUT_MS = 5_000;

export interface DemoOptions {
  /** Shut down after printing instead of serving until Ctrl-C. */
  exit?: boolean;
  /** The service's port on 127.0.0.1; 3000 by default, 0 for any free one. */
  port?: number;
  /** SQLite file (or a full DATABASE_URL); a fresh temp file by default. */
  db?: string;
  /** The service's info-level logs instead of warnings only. */
  verbose?: boolean;
  /** Where the demo's own output goes; stdout by default. */
  out?: (text: string) => void;
  /** Where the service's log lines go; stdout by default (as in production). */
  logStream?: DestinationStream;
}

export interface DemoOutcome {
  eventId: string;
  scenario: string;
  name: string;
  date: string;
  site: string;
  webhook: boolean;
  expectedState: LedgerState;
  expectedReason: string;
  state: string;
  reason: string;
  revelOrderId: string | null;
  /** The Revel order's final total, when there is an order. */
  finalTotal: string | null;
  /** What differs from the expectation; empty when the event ended as it should. */
  problems: string[];
}

export interface DemoOrder {
  id: number;
  localId: string;
  establishment: string;
  items: number;
  subtotal: string;
  discount: string;
  surcharge: string;
  finalTotal: string;
}

export interface DemoResult {
  ok: boolean;
  url: string;
  apiToken: string;
  outcomes: DemoOutcome[];
  orders: DemoOrder[];
  emails: number;
  /** Every problem found: per event and global. */
  problems: string[];
  /**
   * Shuts everything down (already done when `exit` was set). `appAlreadyClosed`: Nest's own
   * signal hooks closed the app; close only the rest.
   */
  close(opts?: { appAlreadyClosed?: boolean }): Promise<void>;
}

interface Scenario {
  scenario: string;
  event: SandboxEvent;
  booking?: SandboxBooking;
  site: string;
  webhook: boolean;
  expect: {
    state: LedgerState;
    reason: ReasonCode;
    /** For an injected event: the final total (the invoice's grand total) and item lines. */
    finalTotal?: string;
    items?: number;
  };
}

// ---- money, for display and checks (exact: decimal text → integer cents) ----

function toCents(value: unknown): number | undefined {
  const text =
    typeof value === 'number' ? value.toFixed(2) : typeof value === 'string' ? value.trim() : '';
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const fraction = (m[3] ?? '').padEnd(3, '0');
  // Round half up on the third decimal; Revel may send six.
  const cents =
    Number(m[2]) * 100 + Number(fraction.slice(0, 2)) + (Number(fraction[2]) >= 5 ? 1 : 0);
  return m[1] ? -cents : cents;
}

function money(value: unknown): string {
  const cents = toCents(value);
  if (cents === undefined) return '-';
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

// ---- output ----

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the scenario ----

function dayAt(timezone: string, offsetDays: number): string {
  return DateTime.now().setZone(timezone).plus({ days: offsetDays }).toFormat('MM/dd/yyyy');
}

/**
 * The event's documents as `GET /v1/events/{id}.json?show_financial=true` returns them: an old,
 * deleted proposal and the invoice with these lines, billing totals and grand total.
 */
function invoice(
  lines: FixtureLine[],
  grandTotal?: string,
  billing: FixtureBillingTotal[] = [],
): SandboxDocument[] {
  return [
    invoiceDocument({ title: 'Proposal', lines, deletedAt: '11/02/2026 10:15 AM' }),
    invoiceDocument({ title: 'Invoice', lines, billing, grandTotal }),
  ];
}

/** Event ids unique per run, so that a reused --db never mistakes this run's events for old ones. */
function baseEventId(): number {
  return 70_000_000 + (Math.floor(Date.now() / 1000) % 100_000) * 100;
}

function buildScenarios(locations: LocationMap): Scenario[] {
  const la = locations.get(LA);
  const denver = locations.get(DENVER);
  if (!la || !denver) throw new Error(`${DEMO_LOCATIONS_FILE} must map ${LA} and ${DENVER}`);
  const base = baseEventId();
  let n = 0;
  const nextId = () => base + ++n;
  const at = (loc: typeof la, siteId: number) => ({
    location_id: Number(loc.key),
    site_id: siteId,
  });
  const contact = (first: string, last: string, phone: string) => ({
    contact: { first_name: first, last_name: last, phone_numbers: [{ number: phone }] },
  });
  const event = (overrides: Partial<SandboxEvent>): SandboxEvent =>
    fixtureEvent({ id: nextId(), ...overrides });

  // No document has line items: the one item is in the booking's packing-slip field.
  const packingSlip = (): Scenario => {
    const packingId = nextId();
    const packingBookingId = base + 99;
    return {
      scenario: 'packing-slip item',
      site: la.name,
      webhook: true,
      event: fixtureEvent({
        id: packingId,
        name: 'Strip hotel welcome boxes',
        event_date: dayAt(la.timezone, 0),
        ...at(la, 15691),
        ...contact('Priya', 'Shah', '(702) 555-0166'),
        booking_id: packingBookingId,
        grand_total: '2.25',
        documents: [invoiceDocument({ title: 'Contract', lines: [] })],
      }),
      booking: fixtureBooking({
        id: packingBookingId,
        site_id: 15691,
        location_id: Number(LA),
        event_ids: [packingId],
        custom_fields: [
          { custom_field_name: 'Dietary notes', value: 'nut-free please' },
          { custom_field_name: 'Boxing/Packing Slip', value: 'PINK RAINBOW RING' },
        ],
      }),
      expect: { state: 'INJECTED', reason: ReasonCode.INJECTED, finalTotal: '2.25', items: 1 },
    };
  };

  return [
    {
      scenario: 'today, discount',
      site: la.name,
      webhook: true,
      event: event({
        name: 'Rivera rehearsal dinner',
        event_date: dayAt(la.timezone, 0),
        ...at(la, 15691),
        ...contact('Ana', 'Rivera', '(702) 555-0101'),
        // 8 × 3.60 + 8 × 3.20 = 54.40 in items; a 4.40 courtesy credit → invoice 50.00.
        documents: invoice(
          [
            { name: 'TRIPLE OG', quantity: 8, price: '3.60', menuItemId: 5001 },
            { name: 'MAPLE BAR', quantity: '8', price: 3.2 },
          ],
          '50.00',
          [{ description: 'Courtesy credit', value: '$4.40', amount: '-4.40' }],
        ),
      }),
      expect: { state: 'INJECTED', reason: ReasonCode.INJECTED, finalTotal: '50.00', items: 2 },
    },
    {
      scenario: 'today, service charge, tax and room fee',
      site: denver.name,
      webhook: true,
      event: event({
        name: 'Zion Outfitters team breakfast',
        event_date: dayAt(denver.timezone, 0),
        ...at(denver, 15692),
        ...contact('Dale', 'Hansen', '(435) 555-0177'),
        // 12 × 2.25 + 12 × 2.75 = 60.00 in food, a room fee that is not food, an 8% service
        // charge and a 6.1% tax: invoice 60.00 + 75.00 + 4.80 + 3.66 = 143.46.
        documents: invoice(
          [
            { name: 'SUGA DADDY', quantity: 12, price: '2.25' },
            { name: 'Hey Blondie', quantity: '12', price: '2.75' },
            { name: 'Meeting room', quantity: 1, price: '75.00', category: 'Room Rental' },
          ],
          '143.46',
          [
            { description: 'Service Charge', value: '8.0%', amount: '4.80' },
            { description: 'Sales Tax', value: '6.1%', amount: '3.66' },
          ],
        ),
      }),
      expect: { state: 'INJECTED', reason: ReasonCode.INJECTED, finalTotal: '143.46', items: 2 },
    },
    {
      scenario: 'tomorrow',
      site: la.name,
      webhook: true,
      event: event({
        name: 'Okafor birthday brunch',
        event_date: dayAt(la.timezone, 1),
        ...at(la, 15691),
        ...contact('Chidi', 'Okafor', '(702) 555-0133'),
      }),
      expect: { state: 'HELD', reason: ReasonCode.TOO_EARLY },
    },
    {
      scenario: 'yesterday',
      site: denver.name,
      webhook: true,
      event: event({
        name: 'Red Cliffs HOA mixer',
        event_date: dayAt(denver.timezone, -1),
        ...at(denver, 15692),
        ...contact('Mia', 'Ward', '(435) 555-0190'),
      }),
      expect: { state: 'SKIPPED', reason: ReasonCode.EVENT_DAY_PASSED },
    },
    {
      scenario: 'today, tentative',
      site: la.name,
      webhook: true,
      event: event({
        name: 'Nguyen baby shower (hold)',
        status: 'tentative',
        event_date: dayAt(la.timezone, 0),
        ...at(la, 15691),
        ...contact('Linh', 'Nguyen', '(702) 555-0155'),
      }),
      expect: { state: 'SKIPPED', reason: ReasonCode.STATUS_NOT_ELIGIBLE },
    },
    {
      scenario: 'unmapped location',
      site: `(unmapped ${UNMAPPED})`,
      webhook: true,
      event: event({
        name: 'Henderson pop-up tasting',
        event_date: dayAt(la.timezone, 0),
        location_id: Number(UNMAPPED),
        site_id: Number(UNMAPPED),
      }),
      expect: { state: 'SKIPPED', reason: ReasonCode.LOCATION_NOT_MAPPED },
    },
    {
      scenario: 'unknown items only',
      site: la.name,
      webhook: true,
      event: event({
        name: 'Wellness Co. lunch',
        event_date: dayAt(la.timezone, 0),
        ...at(la, 15691),
        documents: invoice([
          { name: 'Kale Smoothie', quantity: 10, price: '6.50' },
          { name: 'Avocado Toast', quantity: 10, price: '8.00' },
        ]),
      }),
      expect: { state: 'SKIPPED', reason: ReasonCode.NO_ITEMS_MATCHED },
    },
    {
      scenario: 'reconciliation only',
      site: denver.name,
      webhook: false,
      event: event({
        name: 'Dixie High booster club (webhook lost)',
        event_date: dayAt(denver.timezone, 0),
        ...at(denver, 15692),
        ...contact('Rex', 'Cox', '(435) 555-0112'),
        // No prices in TripleSeat: Revel's (OG 1.75) apply; 24 × 1.75 = 42.00.
        documents: invoice([{ name: 'OG', quantity: 24 }], '42.00'),
      }),
      expect: { state: 'INJECTED', reason: ReasonCode.INJECTED, finalTotal: '42.00', items: 1 },
    },
    packingSlip(),
  ];
}

// ---- talking to the running service ----

async function getJson<T>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T | undefined }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: T | undefined;
  try {
    body = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

interface LedgerView {
  eventId: string;
  state: string;
  reason: string | null;
  revelOrderId: string | null;
  history: { correlationId: string | null }[];
}

interface RunsView {
  runs: { status: string }[];
}

function parseArgs(argv: readonly string[]): DemoOptions {
  const options: DemoOptions = {};
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const take = (): string => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case '--exit':
        options.exit = true;
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--port': {
        const raw = take();
        const port = Number(raw);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error(`--port must be 0-65535, got ${JSON.stringify(raw)}`);
        }
        options.port = port;
        break;
      }
      case '--db':
        options.db = take();
        break;
      case '--help':
      case '-h':
        console.log(
          'usage: npm run demo -- [--exit] [--port <n>] [--db <sqlite file>] [--verbose]',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (try --help)`);
    }
  }
  return options;
}

function databaseUrlFor(db: string | undefined, dir: string): string {
  if (db === undefined) return `sqlite:${join(dir, 'sync.db')}`;
  if (/^(sqlite:|postgres(ql)?:\/\/)/.test(db)) return db;
  return `sqlite:${isAbsolute(db) ? db : resolve(db)}`;
}

/** Runs the demo; with `exit`, everything is closed again before it resolves. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const out = options.out ?? ((text: string) => void process.stdout.write(text));
  const say = (text = '') => out(`${text}\n`);

  const { map: locations, problems: locationProblems } = loadLocationsFile(DEMO_LOCATIONS_FILE);
  if (locationProblems.length > 0) throw new Error(locationProblems.join('\n'));

  const dir = mkdtempSync(join(tmpdir(), 'ts-revel-demo-'));
  const savedEnv = { ...process.env };
  let sandboxes: Sandboxes | undefined;
  let smtp: SmtpCapture | undefined;
  let app: INestApplication | undefined;
  let closed = false;
  const close = async (opts: { appAlreadyClosed?: boolean } = {}) => {
    if (closed) return;
    closed = true;
    if (app && !opts.appAlreadyClosed) await app.close();
    await Promise.all([sandboxes?.close(), smtp?.close()]);
    for (const key of Object.keys(process.env)) {
      if (!(key in savedEnv)) delete process.env[key];
    }
    Object.assign(process.env, savedEnv);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    sandboxes = await startSandboxes();
    smtp = new SmtpCapture({ auth: { user: SMTP_USER, pass: SMTP_PASS } });
    const { port: smtpPort } = await smtp.start();
    const port = options.port ?? 3000;
    const databaseUrl = databaseUrlFor(options.db, dir);

    // AppModule.forRoot() reads the environment when called: set it first.
    Object.assign(process.env, {
      ...sandboxes.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: options.verbose ? 'info' : 'warn',
      DATABASE_URL: databaseUrl,
      LOCATIONS_FILE: DEMO_LOCATIONS_FILE,
      SYNC_API_TOKEN: DEMO_API_TOKEN,
      SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${smtpPort}`,
      NOTIFY_EMAIL_FROM: 'sync@pinkbox.example',
      NOTIFY_EMAIL_TO: 'ops@pinkbox.example',
      ELIGIBLE_STATUSES: 'CLOSED',
      ALLOWED_LOCATIONS: '',
      DRY_RUN: 'false',
      ENABLE_CONNECTOR: 'true',
      RECONCILE_ENABLED: 'true',
      RECONCILE_LOOKBACK_HOURS: '48',
      // Every event of today is past its unmatched-lines deadline (a day before its start), so the
      // outcomes below do not depend on the hour the demo runs: unmatched lines are written without.
      UNMATCHED_WRITE_LEAD_MINUTES: '1440',
      WORKER_POLL_MS: '200',
      RETRY_BASE_DELAY_MS: '500',
      RETRY_MAX_DELAY_MS: '5000',
    });
    if (process.env.ALLOWED_LOCATIONS === '') delete process.env.ALLOWED_LOCATIONS;

    // As src/main.ts does it.
    app = await NestFactory.create(
      AppModule.forRoot(options.logStream ? { logStream: options.logStream } : {}),
      { bodyParser: false, bufferLogs: true, abortOnError: false },
    );
    configureApp(app);
    await app.listen(port, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const auth = { Authorization: `Bearer ${DEMO_API_TOKEN}` };
    say(`service listening on ${url} (ledger ${databaseUrl})`);

    // The start-up reconciliation (catch-up) runs first, on an empty TripleSeat: let it finish so
    // that the one below is the run that finds the event whose webhook never came.
    const bootDeadline = Date.now() + 10_000;
    while (Date.now() < bootDeadline) {
      const runs = await getJson<RunsView>(`${url}/api/sync/runs`, { headers: auth });
      const list = runs.body?.runs ?? [];
      if (list.length > 0 && list.every((r) => r.status !== 'running')) break;
      await sleep(100);
    }

    const scenarios = buildScenarios(locations);
    for (const s of scenarios) {
      sandboxes.tripleseat.upsertEvent(s.event);
      if (s.booking) sandboxes.tripleseat.upsertBooking(s.booking);
    }
    say(`seeded ${scenarios.length} TripleSeat events; sending signed webhooks…`);

    const problems: string[] = [];
    /** Polls the ledger until none of `these` is waiting for the worker or in its hands. */
    const waitSettled = async (these: Scenario[]): Promise<Map<string, LedgerView>> => {
      const views = new Map<string, LedgerView>();
      const deadline = Date.now() + SETTLED_TIMEOUT_MS;
      for (;;) {
        for (const s of these) {
          const id = String(s.event.id);
          const res = await getJson<LedgerView>(`${url}/api/sync/events/${id}`, {
            headers: auth,
          });
          if (res.status === 200 && res.body) views.set(id, res.body);
        }
        const busy = these.filter((s) => {
          const state = views.get(String(s.event.id))?.state;
          return state === undefined || state === 'PENDING' || state === 'IN_PROGRESS';
        });
        if (busy.length === 0) return views;
        if (Date.now() > deadline) {
          problems.push(
            `ledger did not settle within ${SETTLED_TIMEOUT_MS / 1000} s: ${busy.map((s) => s.event.id).join(', ')}`,
          );
          return views;
        }
        await sleep(100);
      }
    };
    const webhookUrl = `${url}/webhooks/tripleseat`;
    for (const s of scenarios.filter((x) => x.webhook)) {
      const res = await sandboxes.tripleseat.sendWebhook(webhookUrl, {
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: {
          id: s.event.id,
          status: s.event.status,
          site_id: s.event.site_id,
          updated_at: s.event.updated_at,
        },
      });
      const reason =
        res.body && typeof res.body === 'object' ? (res.body as { reason?: unknown }).reason : '';
      if (res.status !== 200 || reason !== 'QUEUED') {
        problems.push(
          `webhook for ${s.event.id}: expected 200 QUEUED, got ${res.status} ${JSON.stringify(res.body)}`,
        );
      }
    }

    // The webhooks' orders are written first, so that the reconciliation below shows what it adds
    // (`created`) apart from what it finds done (`already synced`).
    await waitSettled(scenarios.filter((x) => x.webhook));

    const reconcileId = `demo-reconcile-${Date.now()}`;
    say('running one reconciliation: POST /api/sync/tripleseat?hours_back=48&wait=25');
    const started = await getJson<SyncRunView>(`${url}/api/sync/tripleseat?hours_back=48&wait=25`, {
      method: 'POST',
      headers: { ...auth, 'X-Correlation-Id': reconcileId },
    });
    // 200: finished within the wait; 202: still running, follow it at GET /api/sync/runs/<id>.
    let run = started.body;
    const runDeadline = Date.now() + SETTLED_TIMEOUT_MS;
    while (started.status === 202 && run?.status === 'running' && Date.now() < runDeadline) {
      await sleep(200);
      run = (await getJson<SyncRunView>(`${url}/api/sync/runs/${run.runId}`, { headers: auth }))
        .body;
    }
    if ((started.status !== 200 && started.status !== 202) || !run) {
      problems.push(`reconciliation: HTTP ${started.status}`);
    } else if (run.status !== 'succeeded' || !run.summary) {
      problems.push(`reconciliation run ${run.runId}: ${run.status} ${run.error ?? ''}`.trim());
    } else {
      const s = run.summary;
      say(
        `  run ${run.runId}: queried ${s.queried}; created ${s.created} (orders this run wrote), ` +
          `already synced ${s.alreadySynced} (orders that existed, e.g. from the webhooks), ` +
          `skipped ${s.skipped}, failed ${s.failed}`,
      );
    }

    // Wait for the ledger to settle: no event left waiting for the worker or in its hands.
    const views = await waitSettled(scenarios);

    // One e-mail per order written; give the SMTP conversation a moment.
    const capture = smtp;
    await Promise.all(
      scenarios
        .filter((s) => s.expect.state === 'INJECTED')
        .map((s) =>
          capture
            .waitFor((m) => m.subject.includes(`#${s.event.id}`), MAIL_TIMEOUT_MS)
            .catch(() => problems.push(`no order e-mail for event ${s.event.id}`)),
        ),
    );

    const revel = sandboxes.revel;
    const outcomes: DemoOutcome[] = scenarios.map((s) => {
      const id = String(s.event.id);
      const view = views.get(id);
      const localId = `Triple Seat_${id}`;
      const orders = revel.ordersByLocalId(localId);
      const order: RevelOrder | undefined = orders[0];
      const mine: string[] = [];
      const state = view?.state ?? '(not in ledger)';
      const reason = view?.reason ?? '';
      if (state !== s.expect.state || reason !== s.expect.reason) {
        mine.push(`expected ${s.expect.state}/${s.expect.reason}, got ${state}/${reason || '-'}`);
      }
      if (s.expect.state === 'INJECTED') {
        if (orders.length !== 1) {
          mine.push(`expected exactly 1 Revel order "${localId}", found ${orders.length}`);
        } else {
          if (String(view?.revelOrderId) !== String(order.id)) {
            mine.push(`ledger order ${view?.revelOrderId} is not Revel order ${order.id}`);
          }
          if (money(order.final_total) !== s.expect.finalTotal) {
            mine.push(
              `final total ${money(order.final_total)}, invoice says ${s.expect.finalTotal}`,
            );
          }
          const items = revel.orderItems(order.id).length;
          if (items !== s.expect.items)
            mine.push(`${items} item lines, expected ${s.expect.items}`);
        }
      } else if (orders.length > 0) {
        mine.push(`expected no Revel order, found ${orders.length}`);
      }
      if (!s.webhook && !view?.history.some((h) => h.correlationId === reconcileId)) {
        mine.push(`not picked up by the reconciliation (${reconcileId})`);
      }
      problems.push(...mine.map((p) => `event ${id} (${s.scenario}): ${p}`));
      return {
        eventId: id,
        scenario: s.scenario,
        name: String(s.event.name ?? ''),
        date: String(s.event.event_date ?? ''),
        site: s.site,
        webhook: s.webhook,
        expectedState: s.expect.state,
        expectedReason: s.expect.reason,
        state,
        reason,
        revelOrderId: view?.revelOrderId ?? null,
        finalTotal: order ? money(order.final_total) : null,
        problems: mine,
      };
    });

    const orders: DemoOrder[] = revel.orders().map((o) => ({
      id: o.id,
      localId: o.local_id ?? '',
      establishment: o.establishment.replace(/^\/enterprise\/Establishment\/(\d+)\/$/, '$1'),
      items: revel.orderItems(o.id).length,
      subtotal: money(o.subtotal),
      discount: money(o.discount_amount ?? 0),
      surcharge: money(o.surcharge ?? 0),
      finalTotal: money(o.final_total),
    }));
    const eligible = scenarios.filter((s) => s.expect.state === 'INJECTED').length;
    if (orders.length !== eligible) {
      problems.push(
        `Revel holds ${orders.length} orders, expected ${eligible} (one per eligible event)`,
      );
    }
    const emails = smtp.messages.length;

    say();
    say('TripleSeat events → ledger');
    say(
      table(
        [
          'event',
          'case',
          'name',
          'date',
          'site',
          'state',
          'reason',
          'Revel order',
          'total',
          'check',
        ],
        outcomes.map((o) => [
          o.eventId,
          o.scenario + (o.webhook ? '' : ' (no webhook)'),
          o.name,
          o.date,
          o.site,
          o.state,
          o.reason,
          o.revelOrderId ?? '-',
          o.finalTotal ?? '-',
          o.problems.length === 0 ? 'ok' : 'UNEXPECTED',
        ]),
      ),
    );
    say();
    say('Revel orders in the sandbox');
    say(
      table(
        ['order', 'local_id', 'est.', 'items', 'subtotal', 'discount', 'surcharge', 'final total'],
        orders.map((o) => [
          String(o.id),
          o.localId,
          o.establishment,
          String(o.items),
          o.subtotal,
          o.discount,
          o.surcharge,
          o.finalTotal,
        ]),
      ),
    );
    say();
    say(`e-mails received by the SMTP capture: ${emails}`);
    for (const m of smtp.messages) say(`  - ${m.subject}`);
    say();
    // Only a service that keeps running can be tried by hand: with --exit it stops below.
    if (!options.exit) {
      const sample = outcomes[0]?.eventId ?? '';
      say(`service    ${url}`);
      say(`API token  ${DEMO_API_TOKEN}`);
      say(`console    ${url}/console   (sign in with the token ${DEMO_API_TOKEN})`);
      say(`TripleSeat sandbox ${sandboxes.tripleseat.url}   Revel sandbox ${sandboxes.revel.url}`);
      say('try:');
      say(
        `  curl -s -H 'Authorization: Bearer ${DEMO_API_TOKEN}' ${url}/api/sync/events/${sample}`,
      );
      say(`  curl -s -H 'Authorization: Bearer ${DEMO_API_TOKEN}' ${url}/api/sync/runs`);
      say(
        `  curl -s -X POST -H 'Authorization: Bearer ${DEMO_API_TOKEN}' '${url}/api/sync/tripleseat?event_id=${sample}'`,
      );
      say(`  curl -s ${url}/health/ready`);
      say(`  curl -s ${sandboxes.revel.url}/__sandbox/orders`);
      say();
    }
    const ok = problems.length === 0;
    if (ok) {
      say(
        `all ${outcomes.length} events ended as expected; ${orders.length} Revel orders, one per eligible event.`,
      );
    } else {
      say(`${problems.length} problem(s):`);
      for (const p of problems) say(`  - ${p}`);
    }

    const result: DemoResult = {
      ok,
      url,
      apiToken: DEMO_API_TOKEN,
      outcomes,
      orders,
      emails,
      problems,
      close,
    };
    if (options.exit) {
      await close();
      say('shut down.');
    }
    return result;
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** Ctrl-C: Nest's shutdown hooks (configureApp enables them) close the app and then re-raise the
 * signal; this handler sees that second delivery and closes the sandboxes and the SMTP receiver. */
function serveUntilSignal(result: DemoResult): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      console.log(`\n${signal}: shutting down…`);
      // Should Nest's hooks never re-raise, do not hang.
      setTimeout(() => {
        console.error('shutdown timed out');
        process.exit(1);
      }, 15_000).unref();
      return;
    }
    // The app is closed by now (Nest removed its listener before re-raising).
    void result.close({ appAlreadyClosed: true }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(DEMO_LOCATIONS_FILE)) throw new Error(`missing ${DEMO_LOCATIONS_FILE}`);
  const result = await runDemo(options);
  if (options.exit) {
    process.exit(result.ok ? 0 : 1);
  }
  console.log('serving until Ctrl-C…');
  serveUntilSignal(result);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
      console.error(
        `demo failed: ${(error as Error).message} (another copy of the service may be running: ` +
          'stop it, or move the demo with --port N, 0 for any free port)',
      );
    } else {
      console.error(
        `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    process.exit(1);
  });
}

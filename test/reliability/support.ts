/**
 * Shared pieces of the reliability suite: event fixtures with known totals, the replica set
 * (real service processes on one PostgreSQL schema), webhook delivery with TripleSeat's re-send
 * behaviour, the exactly-once audit of the Revel sandbox against the ledger, and the figures table.
 */
import { request as httpRequest } from 'node:http';
import { DateTime } from 'luxon';
import type { Kysely } from 'kysely';
import type { RevelSandbox } from '../../sandbox/revel.sandbox';
import {
  fixtureEvent,
  invoiceDocument,
  SandboxEvent,
  TripleSeatSandbox,
} from '../../sandbox/tripleseat.sandbox';
import type { Database, SyncEventRow } from '../../src/database/database.types';
import { toCents } from '../../src/orders/money';
import { AppProcess } from '../support/app-process';
import { LOCATIONS, SECRETS } from '../support/harness';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` yields a value; the error names what was awaited and the last state. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
  describeLast?: () => string | Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const last = describeLast ? `; ${await describeLast()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await sleep(everyMs);
  }
}

/** A small seeded PRNG (mulberry32) so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---- events with known expected orders ------------------------------------------------------

/** Catalogue names that resolve exactly (fixtureProducts), with the product each becomes. */
const PRODUCTS: { name: string; productId: number }[] = [
  { name: 'TRIPLE OG', productId: 579 },
  { name: 'MAPLE BAR', productId: 590 },
  { name: 'SUGA DADDY', productId: 581 },
  { name: 'FUDGY WUDGY', productId: 592 },
  { name: 'HEY BLONDIE', productId: 594 },
  { name: "OL' FASHIONED", productId: 588 },
];

export interface ExpectedLine {
  product: string;
  quantity: number;
  priceCents: number;
}

export interface ExpectedOrder {
  eventId: string;
  establishmentId: number;
  lines: ExpectedLine[];
  subtotalCents: number;
  finalTotalCents: number;
}

export type SiteKey = '31883' | '40009';

export function todayAt(site: SiteKey, offsetDays = 0): string {
  return DateTime.now()
    .setZone(LOCATIONS[site].timezone)
    .plus({ days: offsetDays })
    .toFormat('MM/dd/yyyy');
}

/**
 * An eligible event dated today at its site, with 1–4 distinct items and an invoice that is
 * lower (discount), equal, or higher (surcharge) than the items; returns what Revel must end with.
 */
export function eligibleEvent(
  id: number,
  random: () => number,
): { event: SandboxEvent; expected: ExpectedOrder } {
  const site: SiteKey = random() < 0.5 ? '31883' : '40009';
  const count = 1 + Math.floor(random() * 4);
  const picks = shuffle(PRODUCTS, random).slice(0, count);
  const lines = picks.map((p) => ({
    name: p.name,
    productId: p.productId,
    quantity: 1 + Math.floor(random() * 12),
    priceCents: 100 + Math.floor(random() * 900),
  }));
  const subtotalCents = lines.reduce((sum, l) => sum + l.quantity * l.priceCents, 0);
  const mode = random();
  const delta =
    mode < 0.3
      ? -Math.floor(random() * subtotalCents * 0.2)
      : mode < 0.6
        ? 0
        : Math.floor(random() * subtotalCents * 0.25);
  const grandCents = subtotalCents + delta;
  const money = (cents: number) => (cents / 100).toFixed(2);
  const event = fixtureEvent({
    id,
    name: `Chaos ${id}`,
    status: 'CLOSED',
    event_date: todayAt(site),
    location_id: Number(site),
    site_id: site === '31883' ? 15691 : 15692,
    booking_id: null,
    documents: [
      invoiceDocument({
        title: 'Invoice',
        lines: lines.map((l, i) => ({
          name: l.name,
          // Mixed representations, as TripleSeat sends them.
          quantity: i % 2 === 0 ? l.quantity : String(l.quantity),
          price: i % 2 === 0 ? money(l.priceCents) : l.priceCents / 100,
        })),
        grandTotal: money(grandCents),
      }),
    ],
  });
  return {
    event,
    expected: {
      eventId: String(id),
      establishmentId: Number(LOCATIONS[site].revelEstablishmentId),
      lines: lines.map((l) => ({
        product: `/resources/Product/${l.productId}/`,
        quantity: l.quantity,
        priceCents: l.priceCents,
      })),
      subtotalCents,
      finalTotalCents: grandCents,
    },
  };
}

export type IneligibleKind = 'wrong-status' | 'unmapped' | 'past';

/** An event that must never get an order, and the reason the ledger must give. */
export function ineligibleEvent(
  id: number,
  kind: IneligibleKind,
): { event: SandboxEvent; reason: string } {
  switch (kind) {
    case 'wrong-status':
      return {
        event: fixtureEvent({ id, status: 'TENTATIVE', event_date: todayAt('31883') }),
        reason: 'STATUS_NOT_ELIGIBLE',
      };
    case 'unmapped':
      return {
        event: fixtureEvent({
          id,
          event_date: todayAt('31883'),
          location_id: 99901,
          site_id: 99902,
        }),
        reason: 'LOCATION_NOT_MAPPED',
      };
    case 'past':
      return {
        event: fixtureEvent({ id, event_date: todayAt('31883', -1) }),
        reason: 'EVENT_DAY_PASSED',
      };
  }
}

// ---- webhooks -----------------------------------------------------------------------------

export const TRIGGERS = [
  'STATUS_CHANGE_EVENT',
  'UPDATE_EVENT',
  'CREATE_EVENT',
  'CHANGE_EVENT_DATETIME',
  'CHANGE_EVENT_GUEST_COUNTS',
  'REASSIGN_EVENT_LOCATION',
];

export function webhookBody(id: string | number, trigger = 'STATUS_CHANGE_EVENT', n = 0): unknown {
  return {
    webhook_trigger_type: trigger,
    event: { id, status: 'CLOSED', updated_at: '12/28/2025 12:56 PM', n },
  };
}

export interface DeliveryStats {
  sent: number;
  queued: number;
  duplicate: number;
  /** Attempts that failed (connection refused, 5xx) and were re-sent, as TripleSeat does. */
  resent: number;
  undelivered: number;
}

export function newDeliveryStats(): DeliveryStats {
  return { sent: 0, queued: 0, duplicate: 0, resent: 0, undelivered: 0 };
}

/**
 * Delivers one webhook the way TripleSeat does: a non-2xx answer or a dead connection means it
 * tries again later (here: soon, and on whichever replica the load balancer picks next).
 */
export async function deliver(
  tripleseat: TripleSeatSandbox,
  pickUrl: () => string,
  body: unknown,
  stats: DeliveryStats,
  maxTries = 40,
): Promise<void> {
  for (let attempt = 1; attempt <= maxTries; attempt += 1) {
    stats.sent += 1;
    try {
      const res = await tripleseat.sendWebhook(`${pickUrl()}/webhooks/tripleseat`, body);
      if (res.status === 200) {
        const reason = (res.body as { reason?: string }).reason;
        if (reason === 'QUEUED') stats.queued += 1;
        else if (reason === 'DUPLICATE_DELIVERY') stats.duplicate += 1;
        return;
      }
      if (res.status < 500) {
        throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('webhook answered')) throw error;
      // Connection refused or reset: the replica is down; the balancer sends it elsewhere.
    }
    stats.resent += 1;
    await sleep(100 + attempt * 50);
  }
  stats.undelivered += 1;
}

/** Runs `jobs` with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, job: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await job(item);
    }
  });
  await Promise.all(workers);
}

// ---- replicas -------------------------------------------------------------------------------

export interface ReplicaOptions {
  databaseUrl: string;
  tripleseat: TripleSeatSandbox;
  revel: RevelSandbox;
  locationsFile: string;
  env: Record<string, string | undefined>;
}

export function startReplica(options: ReplicaOptions): Promise<AppProcess> {
  return AppProcess.start(
    {
      databaseUrl: options.databaseUrl,
      tripleseatApiBaseUrl: options.tripleseat.apiBaseUrl,
      tripleseatTokenUrl: options.tripleseat.tokenUrl,
      revelUrl: options.revel.url,
      locationsFile: options.locationsFile,
      overrides: options.env,
    },
    60_000,
  );
}

/** An authenticated call to a replica's API; the body is parsed when it is JSON. */
export async function api(
  baseUrl: string,
  path: string,
  method = 'POST',
  timeoutMs = 180_000,
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${SECRETS.apiToken}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, text };
}

/** A plain HTTP request with exact headers (repeated ones included) and raw body bytes. */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: Buffer | string;
    timeoutMs?: number;
  },
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

// ---- the ledger -----------------------------------------------------------------------------

export async function ledgerRows(db: Kysely<Database>): Promise<SyncEventRow[]> {
  return db.selectFrom('sync_events').selectAll().execute();
}

/** Rows still to be worked on now: PENDING, IN_PROGRESS, or HELD and already due. */
export function unsettled(rows: SyncEventRow[], now = Date.now()): SyncEventRow[] {
  return rows.filter(
    (r) =>
      r.state === 'PENDING' ||
      r.state === 'IN_PROGRESS' ||
      (r.state === 'HELD' && r.next_attempt_at <= now),
  );
}

export function countStates(rows: SyncEventRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of rows) out[row.state] = (out[row.state] ?? 0) + 1;
  return out;
}

// ---- the exactly-once audit -----------------------------------------------------------------

export interface Audit {
  /** Orders beyond the first for an eligible event, plus any order for an ineligible one. */
  duplicates: number;
  /** Eligible events without an order. */
  missing: number;
  /** Every discrepancy, one line each (empty when all is well). */
  problems: string[];
}

const cents = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? toCents(value) : undefined;

/**
 * Checks the Revel sandbox and the ledger against what each event must have produced: one order
 * per eligible event with its items, discount or surcharge, payment and history exactly once and
 * totals to the cent, no order for an ineligible one, and the ledger pointing at the order.
 */
export function auditExactlyOnce(
  revel: RevelSandbox,
  ledger: Map<string, SyncEventRow>,
  eligible: ExpectedOrder[],
  ineligible: { eventId: string; reason: string }[],
): Audit {
  const problems: string[] = [];
  let duplicates = 0;
  let missing = 0;
  const byLocalId = new Map<string, ReturnType<RevelSandbox['orders']>>();
  for (const order of revel.orders()) {
    const key = String(order.local_id);
    byLocalId.set(key, [...(byLocalId.get(key) ?? []), order]);
  }
  const ordersFor = (id: string) => [
    ...(byLocalId.get(`Triple Seat_${id}`) ?? []),
    ...(byLocalId.get(`Triple Seat ${id}`) ?? []),
  ];

  for (const want of eligible) {
    const id = want.eventId;
    const orders = ordersFor(id);
    const row = ledger.get(id);
    if (orders.length === 0) {
      missing += 1;
      problems.push(`event ${id}: no order (ledger ${row?.state}/${row?.reason}: ${row?.detail})`);
      continue;
    }
    if (orders.length > 1) {
      duplicates += orders.length - 1;
      problems.push(`event ${id}: ${orders.length} orders (${orders.map((o) => o.id).join(', ')})`);
    }
    const order = orders[0];
    const where = `event ${id} order ${order.id}`;
    if (order.establishment !== `/enterprise/Establishment/${want.establishmentId}/`)
      problems.push(`${where}: establishment ${String(order.establishment)}`);
    const items = revel.orderItems(order.id);
    const got = items
      .map((i) => `${String(i.product)} x${Number(i.quantity)} @${cents(i.price)}`)
      .sort();
    const expected = want.lines.map((l) => `${l.product} x${l.quantity} @${l.priceCents}`).sort();
    if (JSON.stringify(got) !== JSON.stringify(expected))
      problems.push(`${where}: items ${JSON.stringify(got)} ≠ ${JSON.stringify(expected)}`);
    if (new Set(items.map((i) => i.uuid)).size !== items.length)
      problems.push(`${where}: an item uuid repeats`);
    if (cents(order.subtotal) !== want.subtotalCents)
      problems.push(`${where}: subtotal ${String(order.subtotal)} ≠ ${want.subtotalCents}¢`);
    if (cents(order.final_total) !== want.finalTotalCents)
      problems.push(
        `${where}: final_total ${String(order.final_total)} ≠ ${want.finalTotalCents}¢`,
      );
    const discount = Math.max(0, want.subtotalCents - want.finalTotalCents);
    const surcharge = Math.max(0, want.finalTotalCents - want.subtotalCents);
    if ((cents(order.discount_amount) ?? 0) !== discount)
      problems.push(`${where}: discount ${String(order.discount_amount)} ≠ ${discount}¢`);
    if ((cents(order.surcharge) ?? 0) !== surcharge)
      problems.push(`${where}: surcharge ${String(order.surcharge)} ≠ ${surcharge}¢`);
    const payments = revel.payments(order.id);
    if (payments.length !== 1 || cents(payments[0].amount) !== want.finalTotalCents)
      problems.push(
        `${where}: payments ${JSON.stringify(payments.map((p) => p.amount))} ≠ one of ${want.finalTotalCents}¢`,
      );
    const histories = revel.histories(order.id);
    if (histories.length !== 1) problems.push(`${where}: ${histories.length} order histories`);
    if (order.closed !== true) problems.push(`${where}: not closed`);
    if (!row) problems.push(`${where}: no ledger row`);
    else if (row.state !== 'INJECTED' || row.revel_order_id !== String(order.id))
      problems.push(`${where}: ledger says ${row.state} with order ${row.revel_order_id}`);
  }

  for (const { eventId, reason } of ineligible) {
    const orders = ordersFor(eventId);
    if (orders.length > 0) {
      duplicates += orders.length;
      problems.push(`ineligible event ${eventId}: ${orders.length} order(s)`);
    }
    const row = ledger.get(eventId);
    if (row && (row.state !== 'SKIPPED' || row.reason !== reason))
      problems.push(
        `ineligible event ${eventId}: ledger ${row.state}/${row.reason}, want SKIPPED/${reason}`,
      );
  }

  const known = new Set([...eligible.map((e) => e.eventId), ...ineligible.map((e) => e.eventId)]);
  for (const order of revel.orders()) {
    const match = /^Triple Seat[_ ](\d+)$/.exec(String(order.local_id));
    if (!match || !known.has(match[1])) {
      duplicates += 1;
      problems.push(`stray order ${order.id} with local_id ${String(order.local_id)}`);
    }
  }
  return { duplicates, missing, problems };
}

// ---- figures --------------------------------------------------------------------------------

/** Prints a two-column table of figures under a title (the suite's report). */
export function printFigures(title: string, figures: [string, string | number][]): void {
  const width = Math.max(...figures.map(([k]) => k.length));
  const valueWidth = Math.max(...figures.map(([, v]) => String(v).length));
  const rule = `+${'-'.repeat(width + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  const lines = [
    '',
    `${title}`,
    rule,
    ...figures.map(([k, v]) => `| ${k.padEnd(width)} | ${String(v).padStart(valueWidth)} |`),
    rule,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function faultFigures(
  label: string,
  stats: { error: number; rateLimited: number; hung: number; dropped: number },
): [string, number][] {
  return [
    [`${label} 5xx injected`, stats.error],
    [`${label} 429 injected`, stats.rateLimited],
    [`${label} hangs injected`, stats.hung],
    [`${label} drops injected`, stats.dropped],
  ];
}

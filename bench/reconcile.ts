/**
 * Bulk reconciliation and its no-op rerun. N eligible events dated today at the site are seeded
 * in the TripleSeat sandbox; both sandboxes add latency and enforce a per-second limit (a fixed
 * one-second window, answered 429 beyond it) and the service is configured with the same limits.
 * `POST /api/sync/tripleseat?hours_back=48` is timed, the sandboxes' request logs give the calls
 * per API and the 429s, and the wall time is compared with the rate-limit lower bound:
 * max over the APIs of (calls made ÷ allowed rate). Then every event must have exactly one order.
 * The rerun (no-op) must cost TripleSeat search pages only and no Revel call.
 *
 *   npm run bench:reconcile [-- --smoke | --large | --events N --ts-rate 10 --revel-rate 20
 *                              --latency 50 --concurrency 16]
 *   npm run bench:noop      (prepares the injected state with a fast, unlimited run first)
 */
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Sandboxes } from '../sandbox/main';
import { DEFAULT_FOOD, fixtureEvent, invoiceDocument } from '../sandbox/tripleseat.sandbox';
import {
  BENCH_LOCATION_ID,
  BENCH_SITE_ID,
  type BenchFlags,
  type BenchResult,
  benchSandboxes,
  benchTimezone,
  bulkSync,
  fmt,
  runStandalone,
  Service,
  type Table,
  type Target,
  tempDir,
  writeLocations,
} from './lib';

/** The TripleSeat sandbox's search page size (its default): the no-op's expected page count. */
const SEARCH_PAGE_SIZE = 50;

interface Snapshot {
  ts: number;
  revel: number;
}

interface RunFigures {
  label: string;
  wallS: number;
  httpStatus: number;
  summary: Record<string, number>;
  tsByRoute: Record<string, number>;
  revelByRoute: Record<string, number>;
  tsCalls: number;
  revelCalls: number;
  ts429: number;
  revel429: number;
  /** Lower bound in seconds from the rate limits; NaN when nothing was called. */
  boundS: number;
  ratio: number;
}

interface Setup {
  sandboxes: Sandboxes;
  dir: string;
  dbFile: string;
  locationsFile: string;
  eventIds: string[];
}

async function setup(flags: BenchFlags, prefix: string): Promise<Setup> {
  const dir = tempDir(prefix);
  const timezone = benchTimezone();
  const today = DateTime.now().setZone(timezone).toFormat('MM/dd/yyyy');
  const sandboxes = await benchSandboxes();
  const base = 60_000_000;
  const eventIds: string[] = [];
  for (let i = 0; i < flags.events; i += 1) {
    const id = base + i;
    eventIds.push(String(id));
    sandboxes.tripleseat.upsertEvent(
      fixtureEvent({
        id,
        name: `Bench event ${i}`,
        status: 'CLOSED',
        event_date: today,
        location_id: BENCH_LOCATION_ID,
        site_id: BENCH_SITE_ID,
        booking_id: 90_000_000 + i,
        // Items 54.40 = invoice: no discount, no surcharge (real shapes: a deleted proposal too).
        documents: [
          invoiceDocument({ title: 'Proposal', lines: [...DEFAULT_FOOD], deletedAt: today }),
          invoiceDocument({ title: 'Invoice', lines: [...DEFAULT_FOOD], grandTotal: '54.40' }),
        ],
      }),
    );
  }
  return {
    sandboxes,
    dir,
    dbFile: join(dir, 'sync.db'),
    locationsFile: writeLocations(dir, timezone),
    eventIds,
  };
}

function limitSandboxes(s: Sandboxes, flags: BenchFlags): void {
  s.tripleseat.faults.set([
    { path: '/v1/', latencyMs: flags.latencyMs, perSecondLimit: flags.tsRate },
    { path: '/oauth2/', latencyMs: flags.latencyMs },
  ]);
  s.revel.faults.set([{ latencyMs: flags.latencyMs, perSecondLimit: flags.revelRate }]);
}

function serviceEnv(flags: BenchFlags, fast = false): Record<string, string> {
  return {
    WORKER_CONCURRENCY: String(fast ? 32 : flags.concurrency),
    TRIPLESEAT_RATE_LIMIT_PER_SECOND: String(fast ? 1000 : flags.tsRate),
    REVEL_RATE_LIMIT_PER_SECOND: String(fast ? 1000 : flags.revelRate),
  };
}

function snapshot(s: Sandboxes): Snapshot {
  return { ts: s.tripleseat.requests().length, revel: s.revel.requests().length };
}

function byRoute(records: { route: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.route] = (out[r.route] ?? 0) + 1;
  return out;
}

async function timedSync(
  label: string,
  service: Service,
  s: Sandboxes,
  flags: BenchFlags,
  timeoutMs: number,
): Promise<RunFigures> {
  const before = snapshot(s);
  const t0 = performance.now();
  const answer = await bulkSync(service.url, 'hours_back=48', timeoutMs);
  const wallS = (performance.now() - t0) / 1000;
  const ts = s.tripleseat.requests().slice(before.ts);
  const revel = s.revel.requests().slice(before.revel);
  const ts429 = ts.filter((r) => r.status === 429).length;
  const revel429 = revel.filter((r) => r.status === 429).length;
  // Calls that count against the limit; the token call is not rate-limited by the service.
  const tsCalls = ts.filter((r) => r.path.startsWith('/v1/') && r.status !== 429).length;
  const revelCalls = revel.filter((r) => r.status !== 429).length;
  const boundS = Math.max(tsCalls / flags.tsRate, revelCalls / flags.revelRate);
  const body = answer.body as { summary?: Record<string, number> } | undefined;
  return {
    label,
    wallS,
    httpStatus: answer.status,
    summary: body?.summary ?? {},
    tsByRoute: byRoute(ts),
    revelByRoute: byRoute(revel),
    tsCalls,
    revelCalls,
    ts429,
    revel429,
    boundS,
    ratio: boundS > 0 ? wallS / boundS : NaN,
  };
}

/** Exactly one order per event, under our local_id, none missing, none extra. */
function checkOrders(s: Sandboxes, eventIds: string[]): { problems: string[]; orders: number } {
  const problems: string[] = [];
  const orders = s.revel.orders();
  const perLocal = new Map<string, number>();
  for (const o of orders)
    perLocal.set(String(o.local_id), (perLocal.get(String(o.local_id)) ?? 0) + 1);
  const missing = eventIds.filter((id) => !perLocal.has(`Triple Seat_${id}`));
  const duplicated = [...perLocal.entries()].filter(([, n]) => n > 1);
  const expected = new Set(eventIds.map((id) => `Triple Seat_${id}`));
  const extra = [...perLocal.keys()].filter((k) => !expected.has(k));
  if (missing.length > 0)
    problems.push(
      `${missing.length} event(s) without an order, e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  if (duplicated.length > 0)
    problems.push(
      `${duplicated.length} event(s) with more than one order, e.g. ${duplicated
        .slice(0, 3)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
  if (extra.length > 0) problems.push(`${extra.length} unexpected order(s)`);
  return { problems, orders: orders.length };
}

function routeRows(r: RunFigures): string[][] {
  const rows: string[][] = [];
  for (const [route, n] of Object.entries(r.tsByRoute))
    rows.push([`TripleSeat ${route}`, fmt.n(n)]);
  for (const [route, n] of Object.entries(r.revelByRoute)) rows.push([`Revel ${route}`, fmt.n(n)]);
  return rows;
}

function runTable(title: string, runs: RunFigures[], flags: BenchFlags, notes: string[]): Table {
  const row = (name: string, f: (r: RunFigures) => string) => [name, ...runs.map(f)];
  return {
    title,
    headers: ['figure', ...runs.map((r) => r.label)],
    rows: [
      row('events', () => fmt.n(flags.events)),
      row('HTTP status of the run (followed from its 202)', (r) => String(r.httpStatus)),
      row('wall time (s)', (r) => fmt.s(r.wallS)),
      row('created / injected / already / skipped / failed', (r) =>
        ['created', 'injected', 'alreadySynced', 'skipped', 'failed']
          .map((k) => r.summary[k] ?? '-')
          .join(' / '),
      ),
      row('TripleSeat calls (API, non-429)', (r) => fmt.n(r.tsCalls)),
      row('Revel calls (non-429)', (r) => fmt.n(r.revelCalls)),
      row('TripleSeat calls per event', (r) => fmt.ratio(r.tsCalls / flags.events)),
      row('Revel calls per event', (r) => fmt.ratio(r.revelCalls / flags.events)),
      row('429s received (TripleSeat / Revel)', (r) => `${r.ts429} / ${r.revel429}`),
      row(`lower bound (s) at ${flags.tsRate}/s TS, ${flags.revelRate}/s Revel`, (r) =>
        fmt.s(r.boundS),
      ),
      row('wall ÷ lower bound', (r) => fmt.ratio(r.ratio)),
      row('achieved TripleSeat req/s', (r) => fmt.ratio(r.tsCalls / r.wallS)),
      row('achieved Revel req/s', (r) => fmt.ratio(r.revelCalls / r.wallS)),
    ],
    notes,
  };
}

function callsTable(runs: RunFigures[]): Table {
  const routes = new Set<string>();
  for (const r of runs) routeRows(r).forEach(([name]) => routes.add(name));
  return {
    title: 'Upstream calls by route (sandbox request logs, 429s included)',
    headers: ['route', ...runs.map((r) => r.label)],
    rows: [...routes].sort().map((name) => [
      name,
      ...runs.map((r) => {
        const hit = routeRows(r).find(([n]) => n === name);
        return hit ? hit[1] : '0';
      }),
    ]),
  };
}

function noopTargets(noop: RunFigures, searchPages: number): Target[] {
  return [
    {
      name: 'no-op reconciliation: Revel calls',
      target: '= 0',
      actual: fmt.n(noop.revelCalls),
      pass: noop.revelCalls === 0,
    },
    {
      name: 'no-op reconciliation: TripleSeat calls',
      target: `= search pages (${searchPages})`,
      actual: fmt.n(noop.tsCalls),
      pass: noop.tsCalls === searchPages,
    },
  ];
}

function timeoutFor(flags: BenchFlags): number {
  // Three times the Revel bound at ~11 calls per event, plus two minutes: bounded, never endless.
  return Math.ceil(((flags.events * 11) / flags.revelRate) * 3 * 1000 + 120_000);
}

export async function benchReconcile(flags: BenchFlags): Promise<BenchResult> {
  const s = await setup(flags, 'reconcile');
  limitSandboxes(s.sandboxes, flags);
  const problems: string[] = [];
  let service: Service | undefined;
  try {
    service = await Service.start({
      sandboxes: s.sandboxes,
      dbFile: s.dbFile,
      locationsFile: s.locationsFile,
      env: serviceEnv(flags),
    });
    const fresh = await timedSync('first run', service, s.sandboxes, flags, timeoutFor(flags));
    const orders = checkOrders(s.sandboxes, s.eventIds);
    problems.push(...orders.problems);
    if (fresh.httpStatus !== 200) problems.push(`first sync answered ${fresh.httpStatus}`);
    const noop = await timedSync('no-op rerun', service, s.sandboxes, flags, timeoutFor(flags));
    if (noop.httpStatus !== 200) problems.push(`no-op sync answered ${noop.httpStatus}`);
    const after = checkOrders(s.sandboxes, s.eventIds);
    problems.push(...after.problems.map((p) => `after the rerun: ${p}`));
    const retries = service.count(/retrying after/);
    const notes = [
      `WORKER_CONCURRENCY=${flags.concurrency}; sandbox latency ${flags.latencyMs} ms on every call; limits enforced by the sandboxes (perSecondLimit, fixed 1 s window) and configured in the service (TRIPLESEAT_/REVEL_RATE_LIMIT_PER_SECOND)`,
      `order check: ${fmt.n(orders.orders)} Revel orders for ${fmt.n(flags.events)} events → ${orders.problems.length === 0 ? 'exactly one each' : orders.problems.join('; ')}`,
      `lower bound = max(TripleSeat API calls ÷ ${flags.tsRate}/s, Revel calls ÷ ${flags.revelRate}/s), from the calls actually made; the per-event counts show whether those calls were all needed`,
      `service warnings "retrying after …" during both runs: ${retries}`,
    ];
    return {
      name: 'reconcile',
      tables: [
        runTable(
          `Bulk reconciliation of ${fmt.n(flags.events)} events`,
          [fresh, noop],
          flags,
          notes,
        ),
        callsTable([fresh, noop]),
      ],
      targets: [
        {
          name: 'reconciliation wall ÷ rate-limit bound',
          target: '≤ 1.15',
          actual: `${fmt.ratio(fresh.ratio)} (${fmt.s(fresh.wallS)} s vs ${fmt.s(fresh.boundS)} s)`,
          pass: fresh.ratio <= 1.15,
        },
        ...noopTargets(noop, Math.ceil(flags.events / SEARCH_PAGE_SIZE)),
      ],
      problems,
    };
  } finally {
    await service?.stop();
    await s.sandboxes.close();
  }
}

/** The no-op rerun alone: the injected state is prepared by a fast, unlimited service first. */
export async function benchNoop(flags: BenchFlags): Promise<BenchResult> {
  const s = await setup(flags, 'noop');
  const problems: string[] = [];
  let service: Service | undefined;
  try {
    const prep = await Service.start({
      sandboxes: s.sandboxes,
      dbFile: s.dbFile,
      locationsFile: s.locationsFile,
      env: serviceEnv(flags, true),
    });
    const t0 = performance.now();
    const prepared = await bulkSync(prep.url, 'hours_back=48', timeoutFor(flags)).finally(() =>
      prep.stop(),
    );
    const prepS = (performance.now() - t0) / 1000;
    const orders = checkOrders(s.sandboxes, s.eventIds);
    if (prepared.status !== 200 || orders.problems.length > 0) {
      problems.push(`preparation failed: HTTP ${prepared.status}; ${orders.problems.join('; ')}`);
    }
    limitSandboxes(s.sandboxes, flags);
    service = await Service.start({
      sandboxes: s.sandboxes,
      dbFile: s.dbFile,
      locationsFile: s.locationsFile,
      env: serviceEnv(flags),
    });
    const noop = await timedSync('no-op run', service, s.sandboxes, flags, timeoutFor(flags));
    if (noop.httpStatus !== 200) problems.push(`no-op sync answered ${noop.httpStatus}`);
    const after = checkOrders(s.sandboxes, s.eventIds);
    problems.push(...after.problems.map((p) => `after the no-op run: ${p}`));
    const pages = Math.ceil(flags.events / SEARCH_PAGE_SIZE);
    return {
      name: 'noop',
      tables: [
        runTable(`No-op reconciliation of ${fmt.n(flags.events)} injected events`, [noop], flags, [
          `prepared by a separate service start without limits or latency (${fmt.s(prepS)} s), then restarted with the benchmark's limits`,
          `the sandbox pages search results by ${SEARCH_PAGE_SIZE}: ${pages} page(s) expected`,
        ]),
        callsTable([noop]),
      ],
      targets: noopTargets(noop, pages),
      problems,
    };
  } finally {
    await service?.stop();
    await s.sandboxes.close();
  }
}

if (require.main === module) void runStandalone('reconcile', benchReconcile);

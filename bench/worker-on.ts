/**
 * Intake with the worker on: signed webhooks at a fixed rate while the worker writes their orders
 * against both sandboxes (50 ms latency per call, TripleSeat 10 req/s, Revel 20 req/s, the same
 * limits configured in the service, which otherwise runs with its defaults).
 *
 * Every delivery is actionable and recorded durably. One delivery in `k` names a new eligible event
 * (real-shaped: a deleted proposal and an invoice with two food lines), four a second: more than
 * Revel's limit lets any writer finish (20 req/s ÷ at least 6 writes per order = 3.3/s), so the
 * worker always has a backlog and "orders per second" is its throughput, not the rate at which
 * events happened to arrive. The others re-announce the
 * newest of those events with new bytes (TripleSeat sends an UPDATE_EVENT and a STATUS_CHANGE_EVENT
 * for one change, and a guest-count change next): each is a durable delivery and a ledger update
 * that the worker coalesces. The figures: ack latency of every delivery (open loop, from when it
 * was due), delivery-to-order latency (first delivery → the ledger's INJECTED, after the last Revel
 * write), orders per second, Revel calls per order, and the service's peak RSS (VmHWM).
 *
 *   npm run bench:worker-on [-- --smoke | --duration 20 --worker-rate 100 --concurrency 16]
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { DEFAULT_FOOD, fixtureEvent, invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { signTripleSeatPayload } from '../src/tripleseat/webhook-signature';
import {
  BENCH_LOCATION_ID,
  BENCH_SECRETS,
  BENCH_SITE_ID,
  type BenchFlags,
  type BenchResult,
  benchSandboxes,
  benchTimezone,
  fmt,
  pacedLoad,
  percentile,
  runStandalone,
  Service,
  sleep,
  type Table,
  tempDir,
  writeLocations,
} from './lib';

const EVENT_BASE = 71_000_000;
/** New eligible events offered per second: above the 3.3/s that 20 req/s allows at 6 writes each. */
const NEW_EVENTS_PER_SECOND = 4;
/** Revel writes every new 2-item order needs: order, 2 items, payment, finalize, history. */
const WRITES_PER_ORDER = 6;

export async function benchWorkerOn(flags: BenchFlags): Promise<BenchResult> {
  const problems: string[] = [];
  const dir = tempDir('worker-on');
  const dbFile = join(dir, 'sync.db');
  const timezone = benchTimezone();
  const today = DateTime.now().setZone(timezone).toFormat('MM/dd/yyyy');
  const sandboxes = await benchSandboxes();
  sandboxes.tripleseat.faults.set([
    { path: '/v1/', latencyMs: flags.latencyMs, perSecondLimit: flags.tsRate },
    { path: '/oauth2/', latencyMs: flags.latencyMs },
  ]);
  sandboxes.revel.faults.set([{ latencyMs: flags.latencyMs, perSecondLimit: flags.revelRate }]);

  const seconds = flags.duration;
  const rate = flags.workerRate;
  const total = Math.round(seconds * rate);
  const every = Math.max(1, Math.round(rate / NEW_EVENTS_PER_SECOND));
  const eventIds: number[] = [];
  for (let i = 0; i < total; i += every) {
    const id = EVENT_BASE + eventIds.length;
    eventIds.push(id);
    sandboxes.tripleseat.upsertEvent(
      fixtureEvent({
        id,
        name: `Worker-on ${id}`,
        status: 'CLOSED',
        event_date: today,
        location_id: BENCH_LOCATION_ID,
        site_id: BENCH_SITE_ID,
        booking_id: null,
        documents: [
          invoiceDocument({ title: 'Proposal', lines: [...DEFAULT_FOOD], deletedAt: today }),
          invoiceDocument({ title: 'Invoice', lines: [...DEFAULT_FOOD] }),
        ],
      }),
    );
  }

  const service = await Service.start({
    sandboxes,
    dbFile,
    locationsFile: writeLocations(dir, timezone),
    env: {
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000000',
      TRIPLESEAT_RATE_LIMIT_PER_SECOND: String(flags.tsRate),
      REVEL_RATE_LIMIT_PER_SECOND: String(flags.revelRate),
      WORKER_CONCURRENCY: String(flags.concurrency),
    },
  }).catch(async (e: unknown) => {
    await sandboxes.close();
    throw e;
  });

  try {
    const firstDelivery = new Map<number, number>();
    let peakHwmKb = 0;
    const sampler = setInterval(() => {
      const hwm = service.status().hwmKb;
      if (hwm > peakHwmKb) peakHwmKb = hwm;
    }, 250);
    const revelBefore = sandboxes.revel.requests().length;
    // Wall-clock time of a performance.now() instant (deliveries are due on the latter).
    const wallOffset = Date.now() - performance.now();
    let seq = 0;
    const load = await pacedLoad({
      url: `${service.url}/webhooks/tripleseat`,
      total,
      rate,
      request: (i, dueAt) => {
        const newest = EVENT_BASE + Math.min(Math.floor(i / every), eventIds.length - 1);
        if (!firstDelivery.has(newest)) firstDelivery.set(newest, wallOffset + dueAt);
        seq += 1;
        const body = JSON.stringify({
          webhook_trigger_type: i % every === 0 ? 'STATUS_CHANGE_EVENT' : 'UPDATE_EVENT',
          event: { id: newest, status: 'CLOSED', site_id: BENCH_SITE_ID, updated_at: today },
          bench: { seq },
        });
        const signature = signTripleSeatPayload(
          body,
          BENCH_SECRETS.webhookSigningKey,
          Math.floor(Date.now() / 1000),
        );
        return {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-signature': signature },
          body,
        };
      },
    });
    const intakeEnd = Date.now();

    // Let the worker finish every order (bounded: three times the rate-limit bound, plus a minute).
    const drainMs = ((eventIds.length * (WRITES_PER_ORDER + 1)) / flags.revelRate) * 3000 + 60_000;
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    let settled: { event_id: string; state: string; updated_at: number }[] = [];
    try {
      const deadline = Date.now() + drainMs;
      const query = db.prepare(
        `select event_id, state, updated_at from sync_events where event_id in (${eventIds.map(() => '?').join(',')})`,
      );
      while (Date.now() < deadline) {
        settled = query.all(...eventIds.map(String)) as typeof settled;
        if (
          settled.length === eventIds.length &&
          settled.every((r) => r.state !== 'PENDING' && r.state !== 'IN_PROGRESS')
        ) {
          break;
        }
        await sleep(200);
      }
    } finally {
      db.close();
    }
    clearInterval(sampler);
    peakHwmKb = Math.max(peakHwmKb, service.status().hwmKb);

    const injected = settled.filter((r) => r.state === 'INJECTED');
    if (injected.length !== eventIds.length) {
      problems.push(
        `${injected.length} of ${eventIds.length} events INJECTED (${settled
          .filter((r) => r.state !== 'INJECTED')
          .map((r) => `${r.event_id} ${r.state}`)
          .slice(0, 5)
          .join(', ')})`,
      );
    }
    const acks = load.latencies;
    if (load.non2xx + load.errors > 0) {
      problems.push(`${load.non2xx} non-200 answers, ${load.errors} errors`);
    }
    const orders = sandboxes.revel.orders();
    const perEvent = new Map<string, number>();
    for (const o of orders)
      perEvent.set(String(o.local_id), (perEvent.get(String(o.local_id)) ?? 0) + 1);
    const duplicates = [...perEvent.values()].filter((n) => n > 1).length;
    if (duplicates > 0) problems.push(`${duplicates} events with more than one order`);

    const revel = sandboxes.revel.requests().slice(revelBefore);
    const revelCalls = revel.filter((r) => r.status !== 429).length;
    const latencies = injected
      .map((r) => r.updated_at - (firstDelivery.get(Number(r.event_id)) ?? r.updated_at))
      .sort((a, b) => a - b);
    const lastOrderAt = Math.max(...injected.map((r) => r.updated_at));
    const spanS = (lastOrderAt - Math.min(...firstDelivery.values())) / 1000;
    const orderRate = injected.length / spanS;
    const callsPerOrder = revelCalls / Math.max(1, injected.length);

    const table: Table = {
      title: `Intake with the worker on (${rate}/s for ${seconds} s; ${eventIds.length} orders; ${flags.latencyMs} ms latency; TripleSeat ${flags.tsRate}/s, Revel ${flags.revelRate}/s)`,
      headers: ['figure', 'value'],
      rows: [
        ['deliveries answered 200', `${fmt.n(acks.length)} of ${fmt.n(total)}`],
        ['ack p50 / p99 (ms)', `${fmt.ms(percentile(acks, 50))} / ${fmt.ms(percentile(acks, 99))}`],
        [
          'delivery → order p50 / p99 (s)',
          `${fmt.s(percentile(latencies, 50) / 1000)} / ${fmt.s(percentile(latencies, 99) / 1000)}`,
        ],
        ['orders written', `${fmt.n(injected.length)} (duplicates: ${duplicates})`],
        ['orders per second', fmt.ratio(orderRate)],
        ['Revel calls per order (non-429)', fmt.ratio(callsPerOrder)],
        [
          'of which dedup lookups',
          fmt.n(
            revel.filter(
              (r) => r.status !== 429 && r.method === 'GET' && r.path === '/resources/Order/',
            ).length,
          ),
        ],
        ['Revel 429s', fmt.n(revel.length - revelCalls)],
        ['peak RSS (VmHWM)', fmt.mb(peakHwmKb)],
        ['intake ended → last order (s)', fmt.s((lastOrderAt - intakeEnd) / 1000)],
      ],
      notes: [
        `WORKER_CONCURRENCY=${flags.concurrency}; one delivery in ${every} names a new eligible event; the others re-announce the newest one with new bytes (durable deliveries the worker coalesces)`,
        'ack latency counted from when each delivery was due (open loop, no coordinated omission); delivery → order from the first delivery of an event to its ledger row turning INJECTED',
        `orders per second = orders ÷ (last INJECTED − first delivery); new events are offered at ${fmt.ratio(rate / every)}/s, so the worker keeps a backlog; Revel's limit allows ${fmt.ratio(flags.revelRate / Math.max(1, callsPerOrder))}/s at the ${fmt.ratio(callsPerOrder)} calls per order measured`,
      ],
    };
    return {
      name: 'worker-on',
      tables: [table],
      targets: [
        {
          name: `ack p99 at ${rate}/s, worker on`,
          target: '≤ 10 ms',
          actual: `${fmt.ms(percentile(acks, 99))} ms`,
          pass: percentile(acks, 99) <= 10,
        },
        {
          name: 'Revel calls per new order (2 items)',
          target: '≤ 6',
          actual: fmt.ratio(callsPerOrder),
          pass: callsPerOrder <= 6,
        },
        {
          name: `orders/s at Revel ${flags.revelRate} req/s`,
          target: '≥ 3.3',
          actual: fmt.ratio(orderRate),
          pass: orderRate >= 3.3,
        },
        {
          name: `peak RSS at ${rate}/s, worker on`,
          target: '≤ 150 MB',
          actual: fmt.mb(peakHwmKb),
          pass: peakHwmKb <= 150 * 1024,
        },
      ],
      problems,
    };
  } finally {
    await service.stop();
    await sandboxes.close();
  }
}

if (require.main === module) void runStandalone('worker-on', benchWorkerOn);

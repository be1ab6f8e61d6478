/**
 * Webhook intake: validly signed, distinct deliveries posted by autocannon at a fixed rate and at
 * saturation, against `GET /health/live` (a Terminus endpoint of the same NestJS process: the
 * ceiling of what any route can do there). Afterwards every accepted delivery must be in the
 * ledger. The service runs with ENABLE_CONNECTOR=false: deliveries are recorded exactly as with
 * the connector on, but no worker fetches events, so the figures are the intake path alone and
 * the sandboxes see no traffic (checked).
 *
 *   npm run bench:intake [-- --smoke | --duration 20 --rate 500]
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { signTripleSeatPayload } from '../src/tripleseat/webhook-signature';
import {
  BENCH_SECRETS,
  type BenchFlags,
  type BenchResult,
  benchSandboxes,
  benchTimezone,
  fmt,
  pacedLoad,
  percentile,
  runStandalone,
  Service,
  type Table,
  tempDir,
  writeLocations,
} from './lib';

interface Phase {
  label: string;
  accepted: number;
  perSecond: number;
  p50: number;
  p975: number;
  p99: number;
  p99co: number;
  non2xx: number;
  errors: number;
  /** Paced phases: errors by code (ECONNRESET, …). */
  errorCodes?: Record<string, number>;
  timeouts: number;
  /** Requests sent, answered or not (autocannon drops the answers in flight when it stops). */
  sent: number;
}

let seq = 0;
const runId = Date.now().toString(36);

/** A distinct, validly signed delivery: a new event id and a sequence number in every body. */
function delivery(): { body: string; signature: string } {
  seq += 1;
  const body = JSON.stringify({
    webhook_trigger_type: 'UPDATE_EVENT',
    event: {
      id: String(800_000_000 + seq),
      status: 'CLOSED',
      site_id: 15691,
      updated_at: new Date().toISOString(),
    },
    bench: { run: runId, seq },
  });
  return {
    body,
    signature: signTripleSeatPayload(
      body,
      BENCH_SECRETS.webhookSigningKey,
      Math.floor(Date.now() / 1000),
    ),
  };
}

async function cannon(
  label: string,
  opts: { url: string; webhook: boolean; seconds: number; connections: number },
): Promise<Phase> {
  const latencies: number[] = [];
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolveRun, rejectRun) => {
    instance = autocannon(
      {
        url: opts.url,
        duration: opts.seconds,
        connections: opts.connections,
        pipelining: 1,
        timeout: 10,
        requests: [
          opts.webhook
            ? {
                method: 'POST',
                setupRequest: (req) => {
                  const d = delivery();
                  return {
                    ...req,
                    body: d.body,
                    headers: { 'content-type': 'application/json', 'x-signature': d.signature },
                  };
                },
              }
            : { method: 'GET' },
        ],
      },
      (error: Error | null, result: autocannon.Result) =>
        error ? rejectRun(error) : resolveRun(result),
    );
  });
  instance?.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await done;
  latencies.sort((a, b) => a - b);
  const accepted = result['2xx'];
  return {
    label,
    accepted,
    perSecond: accepted / opts.seconds,
    p50: percentile(latencies, 50),
    p975: percentile(latencies, 97.5),
    p99: percentile(latencies, 99),
    p99co: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    sent: result.requests.sent,
  };
}

/** A paced phase (see `pacedLoad`): webhook deliveries, or GETs of the URL. */
async function paced(
  label: string,
  opts: { url: string; webhook: boolean; seconds: number; rate: number },
): Promise<Phase> {
  const load = await pacedLoad({
    url: opts.url,
    total: Math.round(opts.seconds * opts.rate),
    rate: opts.rate,
    request: () => {
      if (!opts.webhook) return { method: 'GET' };
      const d = delivery();
      return {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': d.signature },
        body: d.body,
      };
    },
  });
  const latencies = load.latencies;
  return {
    label,
    accepted: latencies.length,
    perSecond: latencies.length / opts.seconds,
    p50: percentile(latencies, 50),
    p975: percentile(latencies, 97.5),
    p99: percentile(latencies, 99),
    p99co: NaN,
    non2xx: load.non2xx,
    errors: load.errors,
    errorCodes: load.errorCodes,
    timeouts: load.timeouts,
    sent: load.sent,
  };
}

/** The cost of one durable commit on this filesystem, as the service configures SQLite. */
function sqliteCommitCost(dir: string, synchronous: 'FULL' | 'NORMAL', n: number): number[] {
  const db = new Database(join(dir, `commit-${synchronous}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('create table t (k text primary key, v text)');
  const insert = db.prepare('insert into t (k, v) values (?, ?)');
  const tx = db.transaction((k: string) => {
    insert.run(k, 'x'.repeat(200));
    insert.run(`${k}-h`, 'y'.repeat(100));
  });
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    tx(String(i));
    times.push(performance.now() - t0);
  }
  db.close();
  return times.sort((a, b) => a - b);
}

export async function benchIntake(flags: BenchFlags): Promise<BenchResult> {
  const problems: string[] = [];
  const dir = tempDir('intake');
  const dbFile = join(dir, 'sync.db');
  const sandboxes = await benchSandboxes();
  const service = await Service.start({
    sandboxes,
    dbFile,
    locationsFile: writeLocations(dir, benchTimezone()),
    // One client address sends everything here: lift the per-address webhook throttle (a guard
    // against abuse, 60,000/min by default) so that saturation measures the service, not the guard.
    env: { ENABLE_CONNECTOR: 'false', WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000000' },
  }).catch(async (e: unknown) => {
    await sandboxes.close();
    throw e;
  });
  const phases: Phase[] = [];
  let rssAfter = { rssKb: NaN, hwmKb: NaN };
  let ledger = { deliveries: NaN, events: NaN };
  try {
    const seconds = flags.duration;
    const webhookUrl = `${service.url}/webhooks/tripleseat`;
    const liveUrl = `${service.url}/health/live`;
    // Warm-up (JIT, lazily loaded code, SQLite page cache), counted in the ledger check but not
    // in the figures: a cold process needs a few thousand requests before its code is optimised.
    const warm = await paced('warm-up', {
      url: webhookUrl,
      webhook: true,
      seconds: Math.min(6, seconds),
      rate: 300,
    });
    phases.push(
      await paced(`webhook @ ${flags.rate}/s (paced)`, {
        url: webhookUrl,
        webhook: true,
        seconds,
        rate: flags.rate,
      }),
    );
    phases.push(
      await cannon('webhook @ saturation', {
        url: webhookUrl,
        webhook: true,
        seconds,
        connections: 32,
      }),
    );
    phases.push(
      await paced(`/health/live @ ${flags.rate}/s (paced)`, {
        url: liveUrl,
        webhook: false,
        seconds,
        rate: flags.rate,
      }),
    );
    phases.push(
      await cannon('/health/live @ saturation', {
        url: liveUrl,
        webhook: false,
        seconds,
        connections: 32,
      }),
    );
    rssAfter = service.status();

    // Every accepted delivery must be durable: count the ledger, read-only, while it runs.
    const accepted = warm.accepted + phases[0].accepted + phases[1].accepted;
    const sent = warm.sent + phases[0].sent + phases[1].sent;
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      ledger = {
        deliveries: one('select count(*) as n from webhook_deliveries'),
        events: one('select count(*) as n from sync_events'),
      };
    } finally {
      db.close();
    }
    // Answers still in flight when a phase stops (at most one per connection) are not counted
    // as accepted but may be recorded: the ledger must lie between accepted and sent.
    if (ledger.deliveries < accepted || ledger.deliveries > sent) {
      problems.push(
        `ledger has ${ledger.deliveries} deliveries; ${accepted} were accepted, ${sent} sent`,
      );
    }
    if (ledger.events !== ledger.deliveries) {
      problems.push(
        `ledger has ${ledger.events} events for ${ledger.deliveries} single-event deliveries`,
      );
    }
    for (const p of phases.slice(0, 2)) {
      if (p.non2xx > 0) problems.push(`${p.label}: ${p.non2xx} non-2xx answers`);
    }
    const upstream = sandboxes.tripleseat.requests().length + sandboxes.revel.requestCount();
    if (upstream > 0) problems.push(`${upstream} upstream requests during intake (expected none)`);

    const commitFull = sqliteCommitCost(dir, 'FULL', flags.smoke ? 100 : 1000);
    const commitNormal = sqliteCommitCost(dir, 'NORMAL', flags.smoke ? 100 : 1000);

    const [fixed, sat, liveFixed, liveSat] = phases;
    const table: Table = {
      title: `Webhook intake (${seconds} s per phase, ENABLE_CONNECTOR=false)`,
      headers: [
        'phase',
        'accepted',
        'accepted/s',
        'p50 ms',
        'p97.5 ms',
        'p99 ms',
        'p99 ac ms',
        'non-2xx',
        'errors',
      ],
      rows: phases.map((p) => [
        p.label,
        fmt.n(p.accepted),
        fmt.n(p.perSecond),
        fmt.ms(p.p50),
        fmt.ms(p.p975),
        fmt.ms(p.p99),
        fmt.ms(p.p99co),
        fmt.n(p.non2xx),
        `${p.errors} (${p.timeouts} t/o)${
          p.errorCodes && p.errors > 0
            ? ` ${Object.entries(p.errorCodes)
                .map(([code, n]) => `${code} ${n}`)
                .join(', ')}`
            : ''
        }`,
      ]),
      notes: [
        `webhook ÷ /health/live at saturation: ${fmt.ratio(sat.perSecond / liveSat.perSecond)} of the ceiling (throughput); p99 at ${flags.rate}/s: ${fmt.ms(fixed.p99)} vs ${fmt.ms(liveFixed.p99)} ms`,
        `ledger check: ${fmt.n(ledger.deliveries)} webhook_deliveries rows, ${fmt.n(ledger.events)} sync_events rows for ${fmt.n(accepted)} accepted of ${fmt.n(sent)} sent (warm-up included; answers in flight at the end of a phase are sent, not counted as accepted) → ${problems.some((p) => p.startsWith('ledger')) ? 'MISMATCH' : 'OK'}`,
        `service RSS after intake ${fmt.mb(rssAfter.rssKb)}, peak ${fmt.mb(rssAfter.hwmKb)}; upstream requests during intake: ${upstream}`,
        `SQLite commit of one delivery-sized transaction on this filesystem: synchronous=FULL p50 ${fmt.ms(percentile(commitFull, 50))} / p99 ${fmt.ms(percentile(commitFull, 99))} ms; NORMAL p50 ${fmt.ms(percentile(commitNormal, 50))} / p99 ${fmt.ms(percentile(commitNormal, 99))} ms`,
        'paced rows: open-loop generator, one request every 1/rate s, latency from the moment each request was due (no coordinated omission); saturation rows: autocannon, 32 connections, closed loop, latency from every 2xx response; "p99 ac" = autocannon\'s own p99 (1 ms resolution)',
        '/health/live is a Terminus endpoint in the same NestJS process (same middleware: CLS, correlation id, pino-http): the ceiling for any route there',
      ],
    };
    return {
      name: 'intake',
      tables: [table],
      targets: [
        {
          name: `intake p99 at ${flags.rate}/s`,
          target: '≤ 10 ms',
          actual: `${fmt.ms(fixed.p99)} ms (${fmt.n(fixed.perSecond)}/s)`,
          pass: fixed.p99 <= 10 && fixed.perSecond >= flags.rate * 0.95,
        },
      ],
      problems,
    };
  } finally {
    await service.stop();
    await sandboxes.close();
  }
}

if (require.main === module) void runStandalone('intake', benchIntake);

/**
 * Shared plumbing of the benchmarks: flags, the machine, tables, the built service as a child
 * process (production mode, loopback, SQLite in a temp dir), the sandboxes and small HTTP helpers.
 * Nothing here talks to anything but 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { type Sandboxes, startSandboxes } from '../sandbox/main';

export const REPO_ROOT = resolve(__dirname, '..');
export const MAIN_JS = join(REPO_ROOT, 'dist', 'src', 'main.js');

/**
 * The node flags of `npm start` (its V8 heap limits), so that every benchmark measures the service
 * as the default start command runs it.
 */
export const START_NODE_ARGS: readonly string[] = (() => {
  // BENCH_NODE_ARGS overrides them, to measure another setting (empty: Node's defaults).
  const override = process.env.BENCH_NODE_ARGS;
  if (override !== undefined) return override.split(/\s+/).filter((word) => word !== '');
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (pkg.scripts?.start ?? '').split(/\s+/);
  return words.filter((word) => word.startsWith('--'));
})();

/** Bench-only secrets: the sandboxes and the service are started with these and nothing else. */
export const BENCH_SECRETS = {
  tripleseatClientId: 'bench-tripleseat-client',
  tripleseatClientSecret: 'bench-tripleseat-secret-0123456789',
  webhookSigningKey: 'bench-webhook-signing-key-0123456789',
  revelApiKey: 'bench-revel-key',
  revelApiSecret: 'bench-revel-secret-0123456789',
  apiToken: 'bench-sync-api-token-0123456789abcdef0123',
} as const;

/** The establishment the benchmark's location maps to (seeded by startSandboxes). */
export const BENCH_ESTABLISHMENT = 4;
export const BENCH_LOCATION_ID = 31883;
export const BENCH_SITE_ID = 15691;

// ---- flags --------------------------------------------------------------------------------

export interface BenchFlags {
  smoke: boolean;
  large: boolean;
  /** Reconciliation: events to inject (1,000; 10,000 with --large; 20 with --smoke). */
  events: number;
  tsRate: number;
  revelRate: number;
  latencyMs: number;
  concurrency: number;
  /** Intake: seconds per phase, and the fixed rate. */
  duration: number;
  rate: number;
  /** Footprint: ledger rows inserted before the second start. */
  rows: number;
  /** Worker-on intake: deliveries per second while the worker writes orders. */
  workerRate: number;
}

export function parseFlags(argv: readonly string[] = process.argv.slice(2)): BenchFlags {
  const has = (name: string) => argv.includes(`--${name}`);
  const num = (name: string): number | undefined => {
    const flag = `--${name}`;
    let raw: string | undefined;
    argv.forEach((arg, i) => {
      if (arg === flag) raw = argv[i + 1];
      else if (arg.startsWith(`${flag}=`)) raw = arg.slice(flag.length + 1);
    });
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    return value;
  };
  if (has('help') || has('h')) {
    console.log(
      [
        'usage: npm run bench[:intake|:worker-on|:reconcile|:noop|:footprint] -- [flags]',
        '  --smoke            tiny sizes, seconds (what CI runs)',
        '  --large            10,000 events in the reconciliation instead of 1,000',
        '  --events N         events in the reconciliation',
        '  --ts-rate N        TripleSeat requests/s (sandbox limit and service setting; 10)',
        '  --revel-rate N     Revel requests/s (sandbox limit and service setting; 20)',
        '  --latency N        sandbox latency per request in ms (50)',
        '  --concurrency N    WORKER_CONCURRENCY of the service (16)',
        '  --duration N       intake: seconds per phase (20)',
        '  --rate N           intake: fixed rate in deliveries/s (500)',
        '  --rows N           footprint: ledger rows (100,000)',
        '  --worker-rate N    worker-on intake: deliveries/s while orders are written (100)',
      ].join('\n'),
    );
    process.exit(0);
  }
  const smoke = has('smoke');
  const large = has('large');
  return {
    smoke,
    large,
    events: num('events') ?? (smoke ? 20 : large ? 10_000 : 1_000),
    tsRate: num('ts-rate') ?? 10,
    revelRate: num('revel-rate') ?? 20,
    latencyMs: num('latency') ?? 50,
    concurrency: num('concurrency') ?? 16,
    duration: num('duration') ?? (smoke ? 3 : 20),
    rate: num('rate') ?? (smoke ? 200 : 500),
    rows: num('rows') ?? (smoke ? 5_000 : 100_000),
    workerRate: num('worker-rate') ?? (smoke ? 20 : 100),
  };
}

// ---- results and tables -----------------------------------------------------------------

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes?: string[];
}

export interface Target {
  name: string;
  target: string;
  actual: string;
  pass: boolean;
}

export interface BenchResult {
  name: string;
  tables: Table[];
  targets: Target[];
  /** Real breakage (wrong counts, duplicates, errors): makes the run exit non-zero. */
  problems: string[];
}

export function renderTable(t: Table): string {
  const widths = t.headers.map((h, i) =>
    Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    `\n## ${t.title}`,
    line(t.headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...t.rows.map(line),
    ...(t.notes ?? []).map((n) => `  * ${n}`),
  ].join('\n');
}

export function printResult(result: BenchResult): void {
  for (const t of result.tables) console.log(renderTable(t));
  for (const p of result.problems) console.log(`  !! ${p}`);
}

export function summaryTable(results: BenchResult[]): Table {
  return {
    title: 'Summary (benchmark goals, as in the README)',
    headers: ['target', 'goal', 'measured', 'verdict'],
    rows: results.flatMap((r) =>
      r.targets.map((t) => [t.name, t.target, t.actual, t.pass ? 'PASS' : 'MISS']),
    ),
  };
}

export function machineTable(): Table {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) model = m[1].trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  let memory = '';
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) memory = `${(Number(m[1]) / 1024 / 1024).toFixed(1)} GiB`;
  } catch {
    // Not Linux.
  }
  return {
    title: 'Machine',
    headers: ['item', 'value'],
    rows: [
      ['CPU', model],
      ['cores (os.cpus)', String(cpus().length)],
      ['memory', memory || 'unknown'],
      ['Node.js', process.version],
      ['platform', `${process.platform} ${process.arch}`],
      ['date (UTC)', new Date().toISOString().slice(0, 16).replace('T', ' ')],
    ],
  };
}

export const fmt = {
  ms: (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '-'),
  s: (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-'),
  n: (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-'),
  ratio: (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-'),
  mb: (kb: number) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '-'),
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- temp dirs, locations -------------------------------------------------------------------

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bench-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A site time zone where it is not close to midnight now, so that "today" cannot turn into
 * "yesterday" in the middle of a run (the time gate would then skip the events).
 */
export function benchTimezone(): string {
  const zones = [
    'America/Los_Angeles',
    'America/New_York',
    'Europe/London',
    'Asia/Tokyo',
    'Pacific/Auckland',
  ];
  return zones.find((z) => {
    const hour = DateTime.now().setZone(z).hour;
    return hour >= 1 && hour <= 21;
  }) as string;
}

export function writeLocations(dir: string, timezone: string): string {
  const file = join(dir, 'locations.json');
  writeFileSync(
    file,
    JSON.stringify({
      [String(BENCH_LOCATION_ID)]: {
        name: 'Bench site',
        revelEstablishmentId: String(BENCH_ESTABLISHMENT),
        timezone,
        products: { 'TRIPLE OG': 579 },
      },
    }),
  );
  return file;
}

// ---- sandboxes ----------------------------------------------------------------------------

export function benchSandboxes(): Promise<Sandboxes> {
  return startSandboxes({
    credentials: {
      tripleseatClientId: BENCH_SECRETS.tripleseatClientId,
      tripleseatClientSecret: BENCH_SECRETS.tripleseatClientSecret,
      webhookSigningKey: BENCH_SECRETS.webhookSigningKey,
      revelApiKey: BENCH_SECRETS.revelApiKey,
      revelApiSecret: BENCH_SECRETS.revelApiSecret,
    },
  });
}

// ---- the service --------------------------------------------------------------------------

export async function freePort(): Promise<number> {
  return new Promise<number>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? done(port) : fail(new Error('no port assigned'))));
    });
  });
}

export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first (npm run bench does)`);
  }
}

export interface ServiceOptions {
  sandboxes: Sandboxes;
  dbFile: string;
  locationsFile: string;
  /** Wins over the defaults below. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof` to profile the service. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** SIGKILLs the services this process started (on Ctrl-C or a crash of the bench). */
export function killServices(): void {
  for (const child of running) child.kill('SIGKILL');
}

process.once('SIGINT', () => {
  killServices();
  removeTempDirs();
  process.exit(130);
});

export interface ProcStatus {
  rssKb: number;
  hwmKb: number;
}

/** The built service (`node dist/src/main.js`, NODE_ENV=production) as a child process. */
export class Service {
  readonly url: string;
  /** Milliseconds from spawn to the first `GET /health/ready` 200. */
  readyMs = NaN;
  private readonly lines: string[] = [];
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.lines.push(line);
        if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
      });
    }
    this.exited = new Promise<void>((done) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exit = { code, signal };
        done();
      }),
    );
  }

  static async start(options: ServiceOptions): Promise<Service> {
    assertBuilt();
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: `sqlite:${options.dbFile}`,
      ...options.sandboxes.env,
      LOCATIONS_FILE: options.locationsFile,
      SYNC_API_TOKEN: BENCH_SECRETS.apiToken,
      // Only the benchmark decides when a reconciliation runs.
      RECONCILE_ENABLED: 'false',
      ...options.env,
    };
    // cwd is the temp dir so that a developer's .env in the repository is not read.
    const child = spawn(process.execPath, [...(options.nodeArgs ?? START_NODE_ARGS), MAIN_JS], {
      cwd: resolve(options.dbFile, '..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const service = new Service(child, port);
    const started = performance.now();
    try {
      await service.waitReady(started, options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** VmRSS and VmHWM of the service process, from /proc (NaN elsewhere). */
  status(): ProcStatus {
    try {
      const text = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (name: string) =>
        Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
      return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
    } catch {
      return { rssKb: NaN, hwmKb: NaN };
    }
  }

  tail(count = 30): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Log lines (warn and above) matching `pattern`. */
  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(l)).length;
  }

  private async waitReady(started: number, timeoutMs: number): Promise<void> {
    const deadline = started + timeoutMs;
    while (performance.now() < deadline) {
      if (this.exit) {
        throw new Error(
          `service exited (code ${this.exit.code}, signal ${this.exit.signal}) before ready:\n${this.tail()}`,
        );
      }
      const res = await http('GET', `${this.url}/health/ready`, { timeoutMs: 1000 }).catch(
        () => undefined,
      );
      if (res?.status === 200) {
        this.readyMs = performance.now() - started;
        return;
      }
      await sleep(10);
    }
    throw new Error(`service not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** SIGTERM (a clean shutdown), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---- HTTP ---------------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * One request with node:http: no hidden client timeouts (undici's fetch gives up on headers
 * after 300 s, shorter than a 1,000-event reconciliation); `timeoutMs` bounds it instead.
 */
export function http(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((done, fail) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          ...(opts.body !== undefined
            ? {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(opts.body)),
              }
            : {}),
          ...opts.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            // Not JSON: keep the text.
          }
          done({ status: res.statusCode ?? 0, body });
        });
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    if (opts.timeoutMs !== undefined) {
      req.setTimeout(opts.timeoutMs, () =>
        req.destroy(new Error(`${method} ${url} timed out after ${opts.timeoutMs} ms`)),
      );
    }
    req.end(opts.body);
  });
}

/**
 * A bulk sync to the end: `POST /api/sync/tripleseat` answers 202 with the run's `Location`
 * (unless it finished within `wait`), then the run is followed until it is no longer running.
 * Answers the finished run (its `summary` in the body) or the first non-2xx answer.
 */
export async function bulkSync(
  baseUrl: string,
  query: string,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const deadline = Date.now() + timeoutMs;
  const started = await http('POST', `${baseUrl}/api/sync/tripleseat?${query}&wait=25`, {
    headers: authHeader(),
    timeoutMs: 60_000,
  });
  if (started.status !== 202) return started;
  const runId = (started.body as { runId?: number }).runId;
  while (Date.now() < deadline) {
    const run = await http('GET', `${baseUrl}/api/sync/runs/${runId}`, {
      headers: authHeader(),
      timeoutMs: 30_000,
    });
    const status = (run.body as { status?: string } | undefined)?.status;
    if (run.status !== 200 || status !== 'running') return run;
    await sleep(200);
  }
  throw new Error(`bulk sync run ${runId} did not finish within ${timeoutMs} ms`);
}

export function authHeader(): Record<string, string> {
  return { authorization: `Bearer ${BENCH_SECRETS.apiToken}` };
}

/** Runs a benchmark standalone: machine, its tables, its targets; exit 1 on real breakage. */
export async function runStandalone(
  name: string,
  bench: (flags: BenchFlags) => Promise<BenchResult>,
): Promise<void> {
  const flags = parseFlags();
  console.log(`# bench:${name}${flags.smoke ? ' (smoke)' : ''}`);
  console.log(renderTable(machineTable()));
  let result: BenchResult;
  try {
    result = await bench(flags);
  } catch (error) {
    console.error(`bench:${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    killServices();
    removeTempDirs();
    process.exit(1);
  }
  printResult(result);
  console.log(renderTable(summaryTable([result])));
  removeTempDirs();
  if (result.problems.length > 0) {
    console.log(`\nbench:${name}: ${result.problems.length} problem(s)`);
    process.exit(1);
  }
}

/** One request of a paced load: a GET without body, or a POST with its body and headers. */
export interface PacedRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface PacedResult {
  /** Latency of each 2xx answer, from when its request was due, ascending. */
  latencies: number[];
  sent: number;
  non2xx: number;
  errors: number;
  /** Errors by code (ECONNRESET, …) or message. */
  errorCodes: Record<string, number>;
  timeouts: number;
}

/**
 * An open-loop generator at a steady rate: request i is due at t0 + i / rate, sent then on a
 * keep-alive pool whatever the previous answers did, and its latency counts from when it was due
 * (so a stalled server cannot hide its queue: no coordinated omission). autocannon's
 * `overallRate` is not used for this: it lets every connection fire back to back until its
 * per-second quota is spent and then pauses for the rest of the second, i.e. bursts at
 * saturation, which measures queueing in the burst rather than latency at the given rate.
 * `request(i, dueAt)` builds request i (`dueAt` on the performance.now() clock).
 */
export async function pacedLoad(opts: {
  url: string;
  total: number;
  rate: number;
  request: (i: number, dueAt: number) => PacedRequest;
}): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const result: PacedResult = {
    latencies: [],
    sent: 0,
    non2xx: 0,
    errors: 0,
    errorCodes: {},
    timeouts: 0,
  };
  const t0 = performance.now() + 20;
  const dueAt = (i: number) => t0 + (i * 1000) / opts.rate;
  await new Promise<void>((finish) => {
    let answered = 0;
    const settle = () => {
      answered += 1;
      if (answered === opts.total) finish();
    };
    const fire = (i: number) => {
      const due = dueAt(i);
      const r = opts.request(i, due);
      const headers = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
      const req = httpRequest(opts.url, { method: r.method, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) result.latencies.push(performance.now() - due);
          else result.non2xx += 1;
          settle();
        });
      });
      req.setTimeout(10_000, () => {
        result.timeouts += 1;
        req.destroy(new Error('timeout'));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        result.errors += 1;
        const code = error.code ?? error.message;
        result.errorCodes[code] = (result.errorCodes[code] ?? 0) + 1;
        settle();
      });
      req.end(r.body);
    };
    const tick = () => {
      const now = performance.now();
      while (result.sent < opts.total && dueAt(result.sent) <= now) {
        fire(result.sent);
        result.sent += 1;
      }
      if (result.sent < opts.total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
  });
  agent.destroy();
  result.latencies.sort((a, b) => a - b);
  return result;
}

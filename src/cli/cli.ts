import { randomUUID } from 'node:crypto';
import axios, { AxiosInstance, isAxiosError } from 'axios';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError } from 'commander';

/**
 * The operators' command line. It talks to a running service over its HTTP API (local or
 * deployed), so it needs only the URL and the API token, never database access.
 */

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether to draw a progress bar (a terminal) or print plain progress lines. */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

interface EventRow {
  eventId: string;
  state: string;
  reason: string | null;
  detail?: string | null;
  attempts?: number;
  revelOrderId: string | null;
  eventDate?: string | null;
  updatedAt?: string;
  nextAttemptAt?: string | null;
  history?: { at: string; state: string; reason: string | null; detail: string | null }[];
  drift?: unknown;
}

interface EventReport {
  eventId: string;
  status: string;
  reason: string | null;
  revelOrderId: string | null;
  outcome?: string;
}

interface SyncReport {
  success: boolean;
  mode: string;
  summary: Record<string, number>;
  events: EventReport[];
}

interface DoctorReport {
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string; fix: string }[];
}

/** `GET /api/sync/runs/:id` (also the 202 body of a bulk sync). */
interface RunView {
  runId: number;
  mode: string;
  status: 'running' | 'succeeded' | 'failed';
  success: boolean | null;
  progress: { phase: string; listed: number; queued: number; settled: number } | null;
  summary: Record<string, number> | null;
  events: EventReport[];
  error: string | null;
}

/** How often `reconcile` looks at its run, and how long it tolerates not reaching the service. */
const FOLLOW_EVERY_MS = 500;
const FOLLOW_UNREACHABLE_MS = 30_000;

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => pad(c, widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

function describeError(error: unknown): string {
  if (isAxiosError(error)) {
    if (error.response) {
      const body = error.response.data as { message?: unknown } | undefined;
      const raw = body?.message;
      const message = Array.isArray(raw)
        ? raw.map(String).join('; ')
        : typeof raw === 'string'
          ? raw
          : '';
      return `HTTP ${error.response.status}${message ? `: ${message}` : ''}`;
    }
    return `cannot reach the service (${error.code ?? error.message})`;
  }
  return error instanceof Error ? error.message : String(error);
}

function client(url: string, token: string | undefined, correlationId?: string): AxiosInstance {
  if (!token) throw new Error('no API token: pass --token or set SYNC_API_TOKEN');
  return axios.create({
    baseURL: url.replace(/\/+$/, ''),
    timeout: 15 * 60_000,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(correlationId ? { 'X-Correlation-Id': correlationId } : {}),
    },
  });
}

function printReport(io: CliIo, report: SyncReport): void {
  const s = report.summary;
  io.out(
    `${report.mode}: queried ${s.queried}, created ${s.created ?? 0}, injected ${s.injected}, already synced ${s.alreadySynced}, skipped ${s.skipped}, failed ${s.failed}`,
  );
  const rows = [['event', 'status', 'reason', 'Revel order', 'this run']];
  for (const e of report.events)
    rows.push([e.eventId, e.status, e.reason ?? '', e.revelOrderId ?? '', e.outcome ?? '']);
  if (report.events.length > 0) table(rows).forEach((l) => io.out(l));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts a bulk sync (`202` with the run) and follows the run at its `Location` until it has
 * finished, with a progress bar (or progress lines when not on a terminal).
 */
async function reconcile(
  io: CliIo,
  url: string,
  token: string | undefined,
  hours: number,
): Promise<boolean> {
  const correlationId = `cli-${randomUUID().slice(0, 12)}`;
  const http = client(url, token, correlationId);
  const started = await http.post<RunView>('/api/sync/tripleseat', null, {
    params: { hours_back: hours },
  });
  const location =
    typeof started.headers.location === 'string'
      ? started.headers.location
      : `/api/sync/runs/${started.data.runId}`;
  io.out(`run ${started.data.runId} started (correlation id ${correlationId}): GET ${location}`);
  const bar = io.interactive
    ? new SingleBar({ format: 'reconciling [{bar}] {value}/{total} events ({phase})' })
    : undefined;
  let barStarted = false;
  let lastLine = '';
  let run = started.data;
  let unreachableSince: number | undefined;
  for (;;) {
    const progress = run.progress;
    if (progress && progress.phase !== 'listing') {
      if (bar && !barStarted) bar.start(progress.listed, progress.settled, progress);
      else bar?.update(progress.settled, progress);
      barStarted = barStarted || bar !== undefined;
      const line = `progress ${progress.settled}/${progress.listed}`;
      if (!bar && line !== lastLine) io.out(line);
      lastLine = line;
    }
    if (run.status !== 'running') break;
    await sleep(FOLLOW_EVERY_MS);
    try {
      run = (await http.get<RunView>(location)).data;
      unreachableSince = undefined;
    } catch (error) {
      // A replica restarting or a blip: the run lives on in the database, keep looking.
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > FOLLOW_UNREACHABLE_MS) throw error;
    }
  }
  bar?.stop();
  if (run.summary) printReport(io, { ...run, summary: run.summary, success: run.success === true });
  if (run.status === 'failed') io.err(`run ${run.runId} failed: ${run.error ?? 'unknown error'}`);
  return run.success === true;
}

/** Runs one command; resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command();
  let code = 0;
  program
    .name('tripleseat-sync')
    .description('Operate the TripleSeat → Revel sync service over its HTTP API')
    .option('--url <url>', 'service URL', io.env.SYNC_URL ?? 'http://127.0.0.1:3000')
    .option('--token <token>', 'API token (default: $SYNC_API_TOKEN)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  const conn = () => {
    const o = program.opts<{ url: string; token?: string }>();
    return { url: o.url, token: o.token ?? io.env.SYNC_API_TOKEN };
  };

  program
    .command('status <eventId>')
    .description("show an event's ledger row and history")
    .action(async (eventId: string) => {
      const { url, token } = conn();
      const { data } = await client(url, token).get<EventRow>(`/api/sync/events/${eventId}`);
      io.out(
        `event ${data.eventId}: ${data.state} (${data.reason ?? '-'})${data.revelOrderId ? `, Revel order ${data.revelOrderId}` : ''}`,
      );
      if (data.detail) io.out(`  ${data.detail}`);
      // Only a waiting event has a next attempt; a settled one's timestamp means nothing.
      const waiting = data.state === 'PENDING' || data.state === 'HELD';
      io.out(
        `  attempts ${data.attempts ?? 0}${waiting && data.nextAttemptAt ? `, next attempt ${data.nextAttemptAt}` : ''}`,
      );
      if (data.drift) io.out(`  drift: ${JSON.stringify(data.drift)}`);
      for (const h of data.history ?? []) {
        io.out(
          `  ${h.at}  ${pad(h.state, 14)} ${h.reason ?? ''}${h.detail ? `  ${h.detail}` : ''}`,
        );
      }
    });

  // A manual sync re-queues a settled event (FAILED, SKIPPED) too, so `retry` is the same call.
  const syncEvent = async (eventId: string) => {
    const { url, token } = conn();
    const { data } = await client(url, token).post<SyncReport>('/api/sync/tripleseat', null, {
      params: { event_id: eventId },
    });
    printReport(io, data);
    if (!data.success) code = 1;
  };

  program
    .command('sync <eventId>')
    .description('process one event now and print the outcome')
    .action(syncEvent);

  program
    .command('reconcile')
    .description('process every recent event now, with a progress bar')
    .option('--hours <n>', 'look-back window in hours (1..720)', '48')
    .action(async (opts: { hours: string }) => {
      const hours = Number(opts.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 720) {
        throw new Error('--hours must be a whole number between 1 and 720');
      }
      const { url, token } = conn();
      if (!(await reconcile(io, url, token, hours))) code = 1;
    });

  program
    .command('failed')
    .description('list events that ended FAILED')
    .option('--limit <n>', 'how many', '50')
    .action(async (opts: { limit: string }) => {
      const { url, token } = conn();
      const { data } = await client(url, token).get<{ events: EventRow[] }>('/api/sync/events', {
        params: { state: 'FAILED', limit: opts.limit },
      });
      if (data.events.length === 0) {
        io.out('no FAILED events');
        return;
      }
      const rows = [['event', 'date', 'reason', 'attempts', 'updated', 'detail']];
      for (const e of data.events) {
        rows.push([
          e.eventId,
          e.eventDate ?? '',
          e.reason ?? '',
          String(e.attempts ?? ''),
          e.updatedAt ?? '',
          (e.detail ?? '').slice(0, 80),
        ]);
      }
      table(rows).forEach((l) => io.out(l));
    });

  program
    .command('retry <eventId>')
    .description('re-queue a FAILED (or skipped) event and process it now')
    .action(syncEvent);

  program
    .command('doctor')
    .description('run the go-live checks (read-only calls with the configured credentials)')
    .action(async () => {
      const { url, token } = conn();
      const { data } = await client(url, token).get<DoctorReport>('/api/doctor');
      const rows = [['check', 'ok', 'detail', 'fix']];
      for (const c of data.checks) rows.push([c.check, c.ok ? 'ok' : 'FAIL', c.detail, c.fix]);
      table(rows).forEach((l) => io.out(l));
      const failed = data.checks.filter((c) => !c.ok).length;
      io.out(
        failed === 0
          ? `all ${data.checks.length} checks passed`
          : `${failed} of ${data.checks.length} checks failed`,
      );
      if (!data.ok) code = 1;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.err(`error: ${describeError(error)}`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    interactive: Boolean(process.stdout.isTTY),
    env: process.env,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${describeError(error)}\n`);
      process.exit(1);
    },
  );
}

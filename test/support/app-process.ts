import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SECRETS } from './harness';

/** The repository root: the child runs `src/main.ts` from here, as an operator would. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

const LIVE_TIMEOUT_MS = 40_000;

export interface ServiceEnvOptions {
  databaseUrl: string;
  /** TripleSeatSandbox.apiBaseUrl and .tokenUrl. */
  tripleseatApiBaseUrl: string;
  tripleseatTokenUrl: string;
  /** RevelSandbox.url. */
  revelUrl: string;
  locationsFile: string;
  port: number;
  /** Mail is off unless given (the service says so once at start-up). */
  smtpUrl?: string;
  /** Wins over everything above; `undefined` removes a variable. */
  overrides?: Record<string, string | undefined>;
}

/**
 * The environment harness.ts gives the in-process app, for a child process instead: same secrets,
 * same fast worker and retry settings, reconciliation off so that only the test queues work.
 */
export function serviceEnv(options: ServiceEnvOptions): Record<string, string> {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    TZ: 'UTC',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    LOG_LEVEL: 'debug',
    DATABASE_URL: options.databaseUrl,
    TRIPLESEAT_API_BASE_URL: options.tripleseatApiBaseUrl,
    TRIPLESEAT_OAUTH_TOKEN_URL: options.tripleseatTokenUrl,
    TRIPLESEAT_CLIENT_ID: SECRETS.tsClientId,
    TRIPLESEAT_CLIENT_SECRET: SECRETS.tsClientSecret,
    TRIPLESEAT_WEBHOOK_SIGNING_KEY: SECRETS.signingKey,
    REVEL_API_BASE_URL: options.revelUrl,
    REVEL_API_KEY: SECRETS.revelKey,
    REVEL_API_SECRET: SECRETS.revelSecret,
    LOCATIONS_FILE: options.locationsFile,
    SYNC_API_TOKEN: SECRETS.apiToken,
    RECONCILE_ENABLED: 'false',
    WORKER_POLL_MS: '100',
    UPSTREAM_TIMEOUT_MS: '2000',
    UPSTREAM_MAX_ATTEMPTS: '3',
    RETRY_BASE_DELAY_MS: '100',
    REVEL_CREATE_SETTLE_SECONDS: '1',
    RETRY_MAX_DELAY_MS: '1000',
    TRIPLESEAT_RATE_LIMIT_PER_SECOND: '200',
    REVEL_RATE_LIMIT_PER_SECOND: '200',
    // Suites that are not about the hold write an event with unmatched lines at once; the hold's
    // own suites (unmatched-*.e2e-spec.ts) set UNMATCHED_POLICY=hold.
    UNMATCHED_POLICY: 'write',
    // waitForState polls the API every 50 ms, and the API budget is one per address across routes.
    API_RATE_LIMIT_PER_MINUTE: '60000',
    ...(options.smtpUrl
      ? {
          SMTP_URL: options.smtpUrl,
          NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
          NOTIFY_EMAIL_TO: 'ops@pinkbox.test',
        }
      : {}),
    ...options.overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** A port nobody listens on right now: listen on 0, read it, close. */
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

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from spawn to exit. */
  afterMs: number;
}

const running = new Set<AppProcess>();

export interface SpawnOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Run as this user and group (a root test runner can run the service unprivileged). */
  uid?: number;
  gid?: number;
  /** The node arguments (default: ts-node's transpile-only hook and src/main.ts). */
  args?: string[];
  /** Add the runner's PATH to `env` (default true); false gives the child exactly `env`. */
  withPath?: boolean;
}

/** The unprivileged user a root test runner runs the service as, where file modes must bite. */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

/** Whether the tests run as root (file permissions do not stop root). */
export const runningAsRoot = (): boolean => process.getuid?.() === 0;

/**
 * The real service as a child process: `node -r ts-node/register/transpile-only src/main.ts`,
 * with exactly the environment given (nothing inherited from the test runner but PATH).
 */
export class AppProcess {
  readonly url: string;
  private readonly lines: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  private readonly partial = { stdout: '', stderr: '' };
  private readonly exited: Promise<ExitInfo>;
  private exitInfo?: ExitInfo;
  private readonly startedAt = Date.now();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => this.collect(stream, chunk));
    }
    this.exited = new Promise<ExitInfo>((done) => {
      child.once('exit', (code, signal) => {
        running.delete(this);
        const info: ExitInfo = { code, signal, afterMs: Date.now() - this.startedAt };
        this.exitInfo = info;
        // 'exit' can precede the last 'data': wait for the streams to close, but not forever
        // (a grandchild holding them must not keep the test waiting).
        const finish = () => {
          clearTimeout(fallback);
          this.flush();
          done(info);
        };
        const fallback = setTimeout(finish, 1_000);
        child.once('close', finish);
      });
    });
    running.add(this);
  }

  /** Spawns the service with `env` as its whole environment; does not wait for anything. */
  static spawn(
    env: Record<string, string>,
    port = Number(env.PORT) || 0,
    options: SpawnOptions = {},
  ): AppProcess {
    const child = spawn(
      process.execPath,
      options.args ?? ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.withPath === false ? env : { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.uid !== undefined ? { uid: options.uid } : {}),
        ...(options.gid !== undefined ? { gid: options.gid } : {}),
      },
    );
    return new AppProcess(child, port);
  }

  /** Picks a free port, spawns the service with `serviceEnv(...)`, waits until it is live. */
  static async start(
    options: Omit<ServiceEnvOptions, 'port'>,
    liveTimeoutMs = LIVE_TIMEOUT_MS,
    spawnOptions: SpawnOptions = {},
  ): Promise<AppProcess> {
    const port = await freePort();
    const app = AppProcess.spawn(serviceEnv({ ...options, port }), port, spawnOptions);
    try {
      await app.waitForLive(liveTimeoutMs);
    } catch (error) {
      app.kill('SIGKILL');
      await app.waitForExit(5_000).catch(() => undefined);
      throw error;
    }
    return app;
  }

  /** SIGKILLs every child still running (test clean-up, also after a failed test). */
  static async killAll(): Promise<void> {
    const left = [...running];
    for (const app of left) app.kill('SIGKILL');
    await Promise.all(left.map((app) => app.waitForExit(5_000).catch(() => undefined)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Every line so far, stdout and stderr interleaved in arrival order. */
  output(): string[] {
    return this.lines.map((line) => line.text);
  }

  stdout(): string[] {
    return this.lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
  }

  stderr(): string[] {
    return this.lines.filter((line) => line.stream === 'stderr').map((line) => line.text);
  }

  /** Sends a signal unless the child is gone; true when it was sent. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.hasExited) return false;
    return this.child.kill(signal);
  }

  waitForExit(timeoutMs = 30_000): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`service pid ${this.pid} did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** Polls `GET /health/live` until it answers 200; fails early when the child exits. */
  async waitForLive(timeoutMs = LIVE_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(
          `service exited (code ${this.exitInfo.code}, signal ${this.exitInfo.signal}) before it was live:\n${this.tail()}`,
        );
      }
      try {
        const res = await fetch(`${this.url}/health/live`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service not live within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** The last lines of output, for failure messages. */
  tail(count = 40): string {
    return this.output().slice(-count).join('\n');
  }

  private collect(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.partial[stream] + chunk;
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.lines.push({ stream, text: part.replace(/\r$/, '') });
  }

  private flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.lines.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
  }
}

/**
 * Writes `dir/start.js`, which runs the service's TypeScript entry point from `dir` with ts-node
 * told in code where the project is (so that the child's environment can stay empty); returns its
 * path, for `AppProcess.spawn(env, port, { cwd: dir, args: [path] })`.
 */
export function writeEntryPoint(dir: string): string {
  const path = join(dir, 'start.js');
  writeFileSync(
    path,
    [
      `require(${JSON.stringify(require.resolve('ts-node'))}).register({`,
      `  project: ${JSON.stringify(join(REPO_ROOT, 'tsconfig.json'))},`,
      '  transpileOnly: true,',
      '});',
      `require(${JSON.stringify(join(REPO_ROOT, 'src', 'main.ts'))});`,
    ].join('\n'),
  );
  return path;
}

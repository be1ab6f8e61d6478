import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { DateTime } from 'luxon';
import request from 'supertest';
import { fixtureProducts, RevelSandbox } from '../../sandbox/revel.sandbox';
import { fixtureEvent, SandboxEvent, TripleSeatSandbox } from '../../sandbox/tripleseat.sandbox';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { Clock, ManualClock } from '../../src/common/clock';
import { SmtpCapture } from './smtp-capture';

export const SECRETS = {
  tsClientId: 'ts-client-e2e',
  tsClientSecret: 'ts-secret-9f8e7d6c5b4a',
  signingKey: 'whsec-e2e-5c1d2e3f4a5b6c7d',
  revelKey: 'revel-key-e2e',
  revelSecret: 'revel-secret-1a2b3c4d5e6f',
  apiToken: 'sync-api-token-e2e-0123456789abcdef0123',
  smtpPass: 'smtp-pass-e2e-77aa88bb',
};

/** Two sites in different zones, as in the Pinkbox location map. */
export const LOCATIONS = {
  '31883': {
    name: 'Pinkbox Tropicana',
    revelEstablishmentId: '4',
    timezone: 'America/Los_Angeles',
    products: { 'TRIPLE OG': 579 },
    menuItems: { '5001': 579 },
  },
  '40009': { name: 'Pinkbox St George', revelEstablishmentId: '9', timezone: 'America/Denver' },
};

export interface Harness {
  app: INestApplication;
  url: string;
  tripleseat: TripleSeatSandbox;
  revel: RevelSandbox;
  smtp: SmtpCapture;
  clock: ManualClock;
  logs: string[];
  dir: string;
  databaseUrl: string;
  /** Today's date at the Los Angeles site, MM/DD/YYYY. */
  todayLA(): string;
  dayLA(offsetDays: number): string;
  seedEvent(overrides?: Partial<SandboxEvent>): SandboxEvent;
  webhook(
    body: unknown,
    opts?: Parameters<TripleSeatSandbox['sendWebhook']>[2],
  ): ReturnType<TripleSeatSandbox['sendWebhook']>;
  api(): request.Agent;
  get<T>(token: symbol | string | (abstract new (...args: never[]) => T)): T;
  /** Waits until the ledger row reaches one of the states. */
  waitForState(
    eventId: string,
    states: string[],
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** The manual clock's start; real now when absent. */
  now?: Date;
  databaseUrl?: string;
  /** Sandboxes shared with another harness (two ledgers, one Revel): used, never closed here. */
  tripleseat?: TripleSeatSandbox;
  revel?: RevelSandbox;
}

/**
 * The two sandboxes with the tests' credentials; Revel's catalogue is seeded at the given
 * establishments (both of LOCATIONS' by default). The caller closes them.
 */
export async function startTestSandboxes(
  options: { pageSize?: number; establishments?: number[] } = {},
): Promise<{ tripleseat: TripleSeatSandbox; revel: RevelSandbox }> {
  const tripleseat = await TripleSeatSandbox.start({
    clientId: SECRETS.tsClientId,
    clientSecret: SECRETS.tsClientSecret,
    webhookSigningKey: SECRETS.signingKey,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
  });
  const revel = await RevelSandbox.start({
    apiKey: SECRETS.revelKey,
    apiSecret: SECRETS.revelSecret,
  });
  for (const establishment of options.establishments ?? [4, 9]) {
    revel.seedProducts(establishment, fixtureProducts());
  }
  return { tripleseat, revel };
}

/** How long one part of the clean-up may take before the next one goes ahead anyway. */
const CLOSE_STEP_MS = 15_000;

/** Runs every clean-up step even when some fail or hang; rethrows the first failure at the end. */
async function closeAll(steps: [string, () => Promise<unknown>][]): Promise<void> {
  const failures: string[] = [];
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`did not finish within ${CLOSE_STEP_MS} ms`)),
            CLOSE_STEP_MS,
          );
          timer.unref();
        }),
      ]);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (failures.length > 0) throw new Error(`harness clean-up failed: ${failures.join('; ')}`);
}

/**
 * The real app on a real SQLite file (or the given database), talking HTTP to the real sandboxes
 * and a real SMTP receiver, all on loopback. Only the clock is the test's.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-revel-e2e-'));
  const saved = { ...process.env };
  // What has been started so far, closed in reverse when start-up fails half way: a suite whose
  // beforeAll throws must not leave a server (or a pool) that keeps Jest from exiting.
  const started: [string, () => Promise<unknown>][] = [];
  const undo = async () => {
    await closeAll([...started].reverse()).catch(() => undefined);
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await start(options, dir, saved, started);
  } catch (error) {
    await undo();
    throw error;
  }
}

async function start(
  options: HarnessOptions,
  dir: string,
  saved: NodeJS.ProcessEnv,
  started: [string, () => Promise<unknown>][],
): Promise<Harness> {
  const tripleseat =
    options.tripleseat ??
    (await TripleSeatSandbox.start({
      clientId: SECRETS.tsClientId,
      clientSecret: SECRETS.tsClientSecret,
      webhookSigningKey: SECRETS.signingKey,
      pageSize: 5,
    }));
  if (!options.tripleseat) started.push(['tripleseat sandbox', () => tripleseat.close()]);
  const revel =
    options.revel ??
    (await RevelSandbox.start({
      apiKey: SECRETS.revelKey,
      apiSecret: SECRETS.revelSecret,
    }));
  if (!options.revel) {
    started.push(['revel sandbox', () => revel.close()]);
    revel.seedProducts(4, fixtureProducts());
    revel.seedProducts(9, fixtureProducts());
  }
  const smtp = new SmtpCapture({ auth: { user: 'notify', pass: SECRETS.smtpPass } });
  const { port: smtpPort } = await smtp.start();
  started.push(['smtp capture', () => smtp.close()]);
  const locationsFile = join(dir, 'locations.json');
  writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dir, 'sync.db')}`;

  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'debug',
    DATABASE_URL: databaseUrl,
    TRIPLESEAT_API_BASE_URL: tripleseat.apiBaseUrl,
    TRIPLESEAT_OAUTH_TOKEN_URL: tripleseat.tokenUrl,
    TRIPLESEAT_CLIENT_ID: SECRETS.tsClientId,
    TRIPLESEAT_CLIENT_SECRET: SECRETS.tsClientSecret,
    TRIPLESEAT_WEBHOOK_SIGNING_KEY: SECRETS.signingKey,
    REVEL_API_BASE_URL: revel.url,
    REVEL_API_KEY: SECRETS.revelKey,
    REVEL_API_SECRET: SECRETS.revelSecret,
    LOCATIONS_FILE: locationsFile,
    SYNC_API_TOKEN: SECRETS.apiToken,
    SMTP_URL: `smtp://notify:${SECRETS.smtpPass}@127.0.0.1:${smtpPort}`,
    NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
    NOTIFY_EMAIL_TO: 'ops@pinkbox.test',
    RECONCILE_ENABLED: 'false',
    WORKER_POLL_MS: '100',
    UPSTREAM_TIMEOUT_MS: '2000',
    UPSTREAM_MAX_ATTEMPTS: '3',
    RETRY_BASE_DELAY_MS: '100',
    // The tests' clock is manual, the settle window runs on the wall clock: off here (the
    // late-commit suite, with real processes, covers it).
    REVEL_WRITE_SETTLE_SECONDS: '0',
    RETRY_MAX_DELAY_MS: '1000',
    TRIPLESEAT_RATE_LIMIT_PER_SECOND: '200',
    REVEL_RATE_LIMIT_PER_SECOND: '200',
    // Suites that are not about the hold write an event with unmatched lines at once; the hold's
    // own suites (unmatched-*.e2e-spec.ts) set UNMATCHED_POLICY=hold.
    UNMATCHED_POLICY: 'write',
    // waitForState polls the API every 50 ms, and the API budget is one per address across routes.
    API_RATE_LIMIT_PER_MINUTE: '60000',
    ...options.env,
  };
  Object.assign(process.env, env);

  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const clock = new ManualClock(options.now ?? new Date());
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ logStream })] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
  // Closes the pool even when init fails (DatabaseService closes its own on a failed start too).
  started.push(['app', () => app.close()]);
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  // Tests drive reconciliation with scheduler.tick() and retention with its tick() against the
  // manual clock; the real crons would otherwise run at a moment of their own choosing.
  const registry = app.get(SchedulerRegistry);
  for (const name of ['reconciliation', 'retention']) {
    if (registry.doesExist('cron', name)) await registry.getCronJob(name).stop();
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

  const dayLA = (offset: number) =>
    DateTime.fromJSDate(clock.now())
      .setZone('America/Los_Angeles')
      .plus({ days: offset })
      .toFormat('MM/dd/yyyy');

  let closing: Promise<void> | undefined;
  const harness: Harness = {
    app,
    url,
    tripleseat,
    revel,
    smtp,
    clock,
    logs,
    dir,
    databaseUrl,
    todayLA: () => dayLA(0),
    dayLA,
    seedEvent(overrides = {}) {
      const event = fixtureEvent({ event_date: dayLA(0), ...overrides });
      tripleseat.upsertEvent(event);
      return event;
    },
    webhook: (body, opts) => tripleseat.sendWebhook(`${url}/webhooks/tripleseat`, body, opts),
    api: () => request.agent(url).set('Authorization', `Bearer ${SECRETS.apiToken}`),
    get: (token) => app.get(token as never),
    async waitForState(eventId, states, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        const res = await request(url)
          .get(`/api/sync/events/${eventId}`)
          .set('Authorization', `Bearer ${SECRETS.apiToken}`);
        if (res.status === 200) {
          last = res.body as Record<string, unknown>;
          if (states.includes(String(last.state))) return last;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `event ${eventId} did not reach ${states.join('/')}; last: ${JSON.stringify(last)}`,
      );
    },
    /**
     * Idempotent, and thorough: every part is closed even when another fails or hangs (each gets
     * CLOSE_STEP_MS), so a failing suite still lets Jest exit on its own.
     */
    close() {
      closing ??= (async () => {
        try {
          await closeAll([...started].reverse());
        } finally {
          process.env = saved;
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
  return harness;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort, serviceEnv } from './support/app-process';
import { LOCATIONS } from './support/harness';
import {
  createPgSchema,
  PgSchema,
  TEST_DATABASE_URL,
  warnPostgresSkipped,
} from './support/pg-schema';
import { TcpProxy } from './support/tcp-proxy';

const SUITE = 'database start-up wait';
const run = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) warnPostgresSkipped(SUITE);

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A replica that starts while PostgreSQL is unreachable (a TCP proxy in front of it, cut) waits
 * and retries, saying so each time, instead of exiting; once the database is back it starts.
 */
run('a replica starting during a database outage (real process, PostgreSQL)', () => {
  let dir: string;
  let schema: PgSchema;
  let proxy: TcpProxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-dbwait-'));
    writeFileSync(join(dir, 'locations.json'), JSON.stringify(LOCATIONS));
    schema = await createPgSchema(TEST_DATABASE_URL ?? '', 'dbwait');
    const target = new URL(TEST_DATABASE_URL ?? '');
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await proxy?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const spawn = async (overrides: Record<string, string>) => {
    const url = new URL(schema.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const port = await freePort();
    return AppProcess.spawn(
      serviceEnv({
        databaseUrl: url.toString(),
        tripleseatApiBaseUrl: 'http://127.0.0.1:9/v1',
        tripleseatTokenUrl: 'http://127.0.0.1:9/oauth2/token',
        revelUrl: 'http://127.0.0.1:9',
        locationsFile: join(dir, 'locations.json'),
        port,
        overrides: { LOG_LEVEL: 'info', ...overrides },
      }),
      port,
    );
  };
  const retries = (app: AppProcess) =>
    app.output().filter((line) => line.includes('is unavailable at start-up')).length;

  it('should wait, logging each attempt, and start once the database is back', async () => {
    proxy.cut();
    const app = await spawn({ DATABASE_STARTUP_WAIT_SECONDS: '120' });
    await until(() => retries(app) >= 3 || app.hasExited, 'three start-up attempts', 45_000);
    expect(app.hasExited).toBe(false);
    const line = app.output().find((l) => l.includes('is unavailable at start-up')) ?? '';
    expect(line).toMatch(/trying again in \d+(\.\d+)? s \(attempt 1;/);
    expect(line).not.toMatch(/postgres:\/\/[^@\s"]*@/);

    proxy.restore();
    await app.waitForLive(45_000);
    expect(app.output().join('\n')).toContain('database ready (postgres)');
    expect(app.output().join('\n')).not.toContain('start-up failed');
  }, 120_000);

  it('should give up with one clear message once DATABASE_STARTUP_WAIT_SECONDS have passed', async () => {
    proxy.cut();
    try {
      const app = await spawn({ DATABASE_STARTUP_WAIT_SECONDS: '2' });
      const exit = await app.waitForExit(60_000);
      expect(exit.code).not.toBe(0);
      expect(retries(app)).toBeGreaterThanOrEqual(1);
      expect(app.output().join('\n')).toMatch(/start-up failed: the database .* is unavailable/);
    } finally {
      proxy.restore();
    }
  }, 90_000);
});

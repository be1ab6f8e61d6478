import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { fixtureEvent, TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { until } from './reliability/support';
import {
  AppProcess,
  freePort,
  runningAsRoot,
  serviceEnv,
  SpawnOptions,
  UNPRIVILEGED,
} from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';
import { todayAt } from './reliability/support';

/**
 * A SQLite ledger that cannot be written (a file made read-only, a volume mounted :ro): readiness
 * says so (503) rather than "ready", a manual sync and a webhook answer 503 rather than 500, all of
 * it recovers by itself once the file is writable again, and a service started on such a file
 * stops at once with a message that says what to check. File modes do not stop root, so a root
 * test runner runs the service as `nobody`, as the Docker image runs it as `node`.
 */
/**
 * The unprivileged user must reach the checkout: a clone inside a `mktemp -d` folder (mode 700)
 * is closed to it. Ancestors that refuse others the right to pass through get it for the test
 * (search only, nothing listed or written) and their modes are restored afterwards.
 */
function letOthersTraverse(path: string, opened: [string, number][]): void {
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      opened.push([dir, mode]);
      chmodSync(dir, mode | 0o001);
    }
    if (dirname(dir) === dir) return;
  }
}

describe('A read-only SQLite ledger (real process)', () => {
  const opened: [string, number][] = [];
  let dir: string;
  let dbFile: string;
  let locationsFile: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  const as: SpawnOptions = runningAsRoot() ? UNPRIVILEGED : {};

  beforeAll(async () => {
    if (as.uid !== undefined) letOthersTraverse(resolve(__dirname, '..'), opened);
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-readonly-'));
    if (as.uid !== undefined) chownSync(dir, as.uid, as.gid ?? as.uid);
    dbFile = join(dir, 'sync.db');
    locationsFile = join(dir, 'locations.json');
    writeFileSync(locationsFile, JSON.stringify(LOCATIONS));
    chmodSync(locationsFile, 0o644);
    ({ tripleseat, revel } = await startTestSandboxes({ establishments: [4] }));
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await Promise.allSettled([tripleseat?.close(), revel?.close()]);
    rmSync(dir, { recursive: true, force: true });
    for (const [path, mode] of opened.reverse()) chmodSync(path, mode);
  });

  const options = () => ({
    databaseUrl: `sqlite:${dbFile}`,
    tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
    tripleseatTokenUrl: tripleseat.tokenUrl,
    revelUrl: revel.url,
    locationsFile,
  });

  const ready = async (app: AppProcess) => {
    const res = await fetch(`${app.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const manualSync = async (app: AppProcess, eventId: number) => {
    const res = await fetch(`${app.url}/api/sync/tripleseat?event_id=${eventId}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SECRETS.apiToken}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('should go unready and answer 503 (not 500) while the file is read-only, and recover by itself', async () => {
    const app = await AppProcess.start(options(), 60_000, as);
    expect((await ready(app)).status).toBe(200);
    tripleseat.upsertEvent(fixtureEvent({ id: 81000001, event_date: todayAt('31883') }));
    tripleseat.upsertEvent(fixtureEvent({ id: 81000002, event_date: todayAt('31883') }));

    chmodSync(dbFile, 0o444);
    const down = await until(
      'readiness to go 503',
      async () => {
        const answer = await ready(app);
        return answer.status === 503 ? answer : undefined;
      },
      15_000,
      250,
    );
    expect(JSON.stringify(down.body)).toMatch(/read-only/);
    const refused = await manualSync(app, 81000001);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ statusCode: 503, reason: 'DATABASE_UNAVAILABLE' });
    const webhook = await tripleseat.sendWebhook(`${app.url}/webhooks/tripleseat`, {
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 81000002 },
    });
    expect(webhook.status).toBe(503);

    chmodSync(dbFile, 0o644);
    await until(
      'readiness to come back',
      async () => ((await ready(app)).status === 200 ? true : undefined),
      15_000,
      250,
      async () => `${JSON.stringify((await ready(app)).body)}\n${app.tail(30)}`,
    );
    const synced = await manualSync(app, 81000001);
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ success: true, summary: { created: 1 } });
    const resent = await tripleseat.sendWebhook(`${app.url}/webhooks/tripleseat`, {
      webhook_trigger_type: 'STATUS_CHANGE_EVENT',
      event: { id: 81000002 },
    });
    expect(resent.status).toBe(200);
    expect(app.hasExited).toBe(false);
    expect(app.output().join('\n')).not.toMatch(/\b500\b.*request failed|Unhandled|uncaught/i);
    app.kill('SIGTERM');
    expect((await app.waitForExit(30_000)).code).toBe(0);
  }, 120_000);

  it('should refuse to start on a read-only file, at once, saying what to check', async () => {
    chmodSync(dbFile, 0o444);
    try {
      const port = await freePort();
      const app = AppProcess.spawn(serviceEnv({ ...options(), port }), port, as);
      const exit = await app.waitForExit(30_000);
      expect(exit.code).toBe(1);
      const text = app.stderr().join('\n');
      expect(text).toContain(`the database sqlite:${dbFile} is read-only`);
      expect(text).toContain('the service must write its ledger');
      expect(text).toContain('volume is not mounted read-only');
      // One message, no stack trace.
      expect(app.output().filter((line) => /^\s+at\s/.test(line))).toEqual([]);
    } finally {
      chmodSync(dbFile, 0o644);
    }
  }, 60_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import { AppProcess, freePort, serviceEnv, writeEntryPoint } from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';

/**
 * The README's first steps: put the configuration in `.env` in the working directory and start
 * the service. The child gets nothing else: an empty environment (not even PATH or NODE_ENV),
 * started from a directory of its own, so `.env` is the only place its configuration can come
 * from. A variable set in the real environment wins over the file.
 */
describe('Configuration from a .env file (real process)', () => {
  let dir: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;
  let bootstrap: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-dotenv-'));
    ({ tripleseat, revel } = await startTestSandboxes({ establishments: [4] }));
    writeFileSync(join(dir, 'locations.json'), JSON.stringify(LOCATIONS));
    // The TypeScript entry point, run from `dir`: ts-node is told where the project is here, in
    // code, so that the environment stays empty.
    bootstrap = writeEntryPoint(dir);
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await Promise.allSettled([tripleseat?.close(), revel?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  function writeDotEnv(port: number): void {
    const env = serviceEnv({
      // Relative paths: they resolve against the working directory, as for an operator.
      databaseUrl: 'sqlite:./data/sync.db',
      tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
      tripleseatTokenUrl: tripleseat.tokenUrl,
      revelUrl: revel.url,
      locationsFile: './locations.json',
      port,
      overrides: { NODE_ENV: undefined, TZ: undefined },
    });
    const lines = Object.entries(env).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    writeFileSync(join(dir, '.env'), ['# written by the test', ...lines, ''].join('\n'));
  }

  it('should start from .env alone, with nothing else in its environment, and shut down in one line', async () => {
    const port = await freePort();
    writeDotEnv(port);
    const app = AppProcess.spawn({}, port, { cwd: dir, args: [bootstrap], withPath: false });
    await app.waitForLive(60_000);

    const ready = await fetch(`${app.url}/health/ready`);
    expect(ready.status).toBe(200);
    // The API token came from the file too.
    const runs = await fetch(`${app.url}/api/sync/runs`, {
      headers: { Authorization: `Bearer ${SECRETS.apiToken}` },
    });
    expect(runs.status).toBe(200);

    app.kill('SIGTERM');
    const exit = await app.waitForExit(30_000);
    expect(exit.code).toBe(0);
    const shutdown = app.output().filter((line) => line.includes('shut down: finished'));
    expect(shutdown).toHaveLength(1);
    expect(shutdown[0]).toContain('shut down: finished 0 events in flight, released 0');
  }, 120_000);

  it('should let the real environment win over .env', async () => {
    const filePort = await freePort();
    writeDotEnv(filePort);
    const realPort = await freePort();
    const app = AppProcess.spawn({ PORT: String(realPort) }, realPort, {
      cwd: dir,
      args: [bootstrap],
      withPath: false,
    });
    await app.waitForLive(60_000);
    await expect(fetch(`http://127.0.0.1:${filePort}/health/live`)).rejects.toThrow();
  }, 120_000);
});

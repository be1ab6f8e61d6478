import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevelSandbox } from '../sandbox/revel.sandbox';
import { TripleSeatSandbox } from '../sandbox/tripleseat.sandbox';
import {
  AppProcess,
  ExitInfo,
  freePort,
  REPO_ROOT,
  serviceEnv,
  writeEntryPoint,
} from './support/app-process';
import { LOCATIONS, SECRETS, startTestSandboxes } from './support/harness';

/**
 * What a newcomer reads when starting the service (real process): which `.env` was read, a
 * start-up log without Nest's route-by-route chatter, and, when something is wrong, one message
 * per problem that says where (JSON line and column) and what to do (copy the example location
 * map; which variable moves a port already taken).
 */
describe('start-up messages for a newcomer (real process)', () => {
  let dir: string;
  let bootstrap: string;
  let tripleseat: TripleSeatSandbox;
  let revel: RevelSandbox;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-first-day-'));
    ({ tripleseat, revel } = await startTestSandboxes({ establishments: [4] }));
    writeFileSync(join(dir, 'locations.json'), JSON.stringify(LOCATIONS));
    bootstrap = writeEntryPoint(dir);
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(async () => {
    await Promise.allSettled([tripleseat?.close(), revel?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const envFor = (port: number, overrides: Record<string, string | undefined> = {}) =>
    serviceEnv({
      databaseUrl: `sqlite:${join(dir, `sync-${port}.db`)}`,
      tripleseatApiBaseUrl: tripleseat.apiBaseUrl,
      tripleseatTokenUrl: tripleseat.tokenUrl,
      revelUrl: revel.url,
      locationsFile: join(dir, 'locations.json'),
      port,
      overrides,
    });

  /** A port something else listens on, held until `holder` is closed. */
  async function holdPort(): Promise<{ holder: Server; taken: number }> {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    return { holder, taken: (holder.address() as { port: number }).port };
  }

  /** Starts the service with `overrides` and waits for it to exit (a bad start-up). */
  async function failedStart(
    overrides: Record<string, string | undefined>,
    cwd = REPO_ROOT,
  ): Promise<{ exit: ExitInfo; text: string; problems: string[] }> {
    const port = await freePort();
    const app = AppProcess.spawn(envFor(port, overrides), port, { cwd });
    const exit = await app.waitForExit(30_000);
    const output = app.output();
    return {
      exit,
      text: output.join('\n'),
      problems: output.filter((line) => line.startsWith('  - ')),
    };
  }

  it('should say which .env it read and which variables it set, and log no route mapping before "listening on"', async () => {
    const port = await freePort();
    const env = envFor(port, { NODE_ENV: undefined, LOG_LEVEL: 'info' });
    const fromFile = ['SYNC_API_TOKEN', 'REVEL_API_SECRET'];
    writeFileSync(
      join(dir, '.env'),
      fromFile.map((key) => `${key}=${JSON.stringify(env[key])}`).join('\n') + '\n',
    );
    const real = Object.fromEntries(Object.entries(env).filter(([key]) => !fromFile.includes(key)));
    const app = AppProcess.spawn(real, port, { cwd: dir, args: [bootstrap] });
    await app.waitForLive(60_000);
    const deadline = Date.now() + 10_000;
    while (!app.output().some((l) => l.includes('listening on')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lines = app.output();
    const listening = lines.findIndex((l) => l.includes('listening on'));
    expect(listening).toBeGreaterThan(0);
    const beforeListening = lines.slice(0, listening);

    const read = beforeListening.filter((l) => l.includes(`read ${join(dir, '.env')}`));
    expect(read).toHaveLength(1);
    const named = /it set 2 variables \(([^)]*)\); the environment wins over it/.exec(read[0]);
    expect(named?.[1].split(', ').sort()).toEqual([...fromFile].sort());
    expect(read[0]).not.toContain(SECRETS.apiToken);
    expect(read[0]).not.toContain(SECRETS.revelSecret);

    expect(
      beforeListening.filter((l) => /Mapped \{|RouterExplorer|RoutesResolver/.test(l)),
    ).toEqual([]);
    expect(beforeListening.filter((l) => l.includes('InstanceLoader'))).toEqual([]);
    // What is left fits on a screen.
    expect(beforeListening.length).toBeLessThan(25);
  }, 120_000);

  it('should give one message for PORT=abc', async () => {
    const { exit, problems } = await failedStart({ PORT: 'abc' });
    expect(exit.code).not.toBe(0);
    expect(problems).toEqual(['  - PORT: must be an integer number (got "abc")']);
  }, 60_000);

  it('should hint at the example location map when LOCATIONS_FILE points at nothing', async () => {
    const missing = join(dir, 'no-such-locations.json');
    const { exit, problems } = await failedStart({ LOCATIONS_FILE: missing });
    expect(exit.code).not.toBe(0);
    expect(problems).toEqual([
      `  - LOCATIONS_FILE: cannot read ${missing} (ENOENT); start from the example: cp config/locations.example.json ${missing}, then map your TripleSeat locations (docs/going-live.md)`,
    ]);
  }, 60_000);

  it('should report malformed JSON in the location map by line and column', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "31883": {\n    "name" "Pinkbox"\n  }\n}\n');
    const { exit, problems } = await failedStart({ LOCATIONS_FILE: bad });
    expect(exit.code).not.toBe(0);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^  - LOCATIONS_FILE: ${bad} is not valid JSON: .+ at line 3, column 12$`),
    );
  }, 60_000);

  it('should say which variable moves the port when it is already taken', async () => {
    const { holder, taken } = await holdPort();
    try {
      const app = AppProcess.spawn(envFor(taken), taken);
      const exit = await app.waitForExit(60_000);
      const text = app.output().join('\n');
      expect(exit.code).not.toBe(0);
      expect(text).toContain(`start-up failed: 127.0.0.1:${taken} is already in use (EADDRINUSE)`);
      expect(text).toContain('choose another port with the PORT variable');
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  }, 90_000);

  it('should say which flag moves the demo when its port is already taken', async () => {
    const { holder, taken } = await holdPort();
    try {
      const demo = AppProcess.spawn({}, taken, {
        args: [
          '-r',
          'ts-node/register/transpile-only',
          'scripts/demo.ts',
          '--exit',
          '--port',
          String(taken),
          '--db',
          join(dir, 'demo.db'),
        ],
      });
      const exit = await demo.waitForExit(90_000);
      const text = demo.output().join('\n');
      expect(exit.code).not.toBe(0);
      expect(text).toContain('EADDRINUSE');
      expect(text).toContain('move the demo with --port N, 0 for any free port');
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  }, 120_000);

  it('should say which flags move the sandboxes when their port is already taken', async () => {
    const { holder, taken } = await holdPort();
    try {
      const sandbox = AppProcess.spawn({}, taken, {
        args: [
          '-r',
          'ts-node/register/transpile-only',
          'sandbox/main.ts',
          '--tripleseat-port',
          String(taken),
          '--revel-port',
          '0',
        ],
      });
      const exit = await sandbox.waitForExit(60_000);
      const text = sandbox.output().join('\n');
      expect(exit.code).not.toBe(0);
      expect(text).toContain('EADDRINUSE');
      expect(text).toContain('move these with --tripleseat-port N --revel-port N');
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
  }, 90_000);
});

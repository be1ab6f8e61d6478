import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, ExitInfo, freePort, serviceEnv } from './support/app-process';
import { LOCATIONS, SECRETS } from './support/harness';

/**
 * docs/configuration.md: a missing or malformed value stops the process with ONE message that names
 * every problem; secrets are never printed. The real entry point, as a child process.
 */
describe('start-up with a bad configuration (real process)', () => {
  let dir: string;
  let goodLocations: string;
  let badZoneLocations: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-revel-startup-'));
    goodLocations = join(dir, 'locations.json');
    writeFileSync(goodLocations, JSON.stringify(LOCATIONS));
    badZoneLocations = join(dir, 'bad-zone.json');
    writeFileSync(
      badZoneLocations,
      JSON.stringify({
        ...LOCATIONS,
        '31883': { ...LOCATIONS['31883'], timezone: 'America/Las_Vegas_Strip' },
      }),
    );
  });

  afterEach(async () => {
    await AppProcess.killAll();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function runWith(overrides: Record<string, string | undefined>): Promise<{
    exit: ExitInfo;
    output: string[];
  }> {
    const port = await freePort();
    const env = serviceEnv({
      databaseUrl: `sqlite:${join(dir, `sync-${port}.db`)}`,
      // Nothing listens there: start-up must fail before any upstream is contacted.
      tripleseatApiBaseUrl: 'http://127.0.0.1:9/v1',
      tripleseatTokenUrl: 'http://127.0.0.1:9/oauth2/token',
      revelUrl: 'http://127.0.0.1:9',
      locationsFile: goodLocations,
      port,
      overrides,
    });
    const app = AppProcess.spawn(env, port);
    const exit = await app.waitForExit(20_000);
    return { exit, output: app.output() };
  }

  function expectOneCleanMessage(output: string[]): string {
    const text = output.join('\n');
    expect(text.match(/Invalid configuration:/g) ?? []).toHaveLength(1);
    // No stack trace, neither Node's nor Nest's ExceptionHandler's.
    expect(output.filter((line) => /^\s+at\s/.test(line))).toEqual([]);
    expect(text).not.toContain('ExceptionHandler');
    return text;
  }

  it('should exit non-zero within seconds naming every bad variable and the bad time zone in one message', async () => {
    const { exit, output } = await runWith({
      PORT: 'abc',
      SYNC_API_TOKEN: undefined,
      LOCATIONS_FILE: badZoneLocations,
    });

    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.afterMs).toBeLessThan(15_000);
    const text = expectOneCleanMessage(output);
    expect(text).toMatch(/PORT: .*\(got "abc"\)/);
    expect(text).toContain('SYNC_API_TOKEN: is required but not set');
    expect(text).toContain('America/Las_Vegas_Strip');
    expect(text).toMatch(/LOCATIONS_FILE .*\[31883\]\.timezone: unknown time zone/);
  });

  it('should exit non-zero with one message and no stack trace when only the location file is wrong', async () => {
    const { exit, output } = await runWith({ LOCATIONS_FILE: badZoneLocations });

    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.afterMs).toBeLessThan(15_000);
    const text = expectOneCleanMessage(output);
    expect(text).toMatch(/\[31883\]\.timezone: unknown time zone "America\/Las_Vegas_Strip"/);
  });

  it('should name every bad variable without echoing a secret and without listening', async () => {
    const { exit, output } = await runWith({
      PORT: 'abc',
      DRY_RUN: 'maybe',
      TRIPLESEAT_CLIENT_SECRET: undefined,
      REVEL_API_SECRET: undefined,
      SYNC_API_TOKEN: 'short-tok-1234',
    });

    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.afterMs).toBeLessThan(15_000);
    const text = expectOneCleanMessage(output);
    expect(text).toMatch(/PORT: .*\(got "abc"\)/);
    expect(text).toMatch(/DRY_RUN: .*\(got "maybe"\)/);
    expect(text).toContain('TRIPLESEAT_CLIENT_SECRET: is required but not set');
    expect(text).toContain('REVEL_API_SECRET: is required but not set');
    expect(text).toMatch(
      /SYNC_API_TOKEN: must be at least 32 characters; make one with `openssl rand -hex 32` \(value hidden\)/,
    );
    expect(text).not.toContain('short-tok-1234');
    for (const secret of [SECRETS.signingKey, SECRETS.revelKey, SECRETS.tsClientSecret]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/listening on/);
  });
});

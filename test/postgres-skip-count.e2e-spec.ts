/**
 * Without TEST_DATABASE_URL the PostgreSQL half of a repository spec is registered and counted as
 * skipped (Jest's closing line tells the truth); under CI, where `.ci/run` sets it, a missing
 * server fails the suite instead of skipping it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const SPEC = 'src/mappings/mappings.repository.spec.ts';

interface JestJson {
  numPassedTests: number;
  numPendingTests: number;
  numFailedTests: number;
  numFailedTestSuites: number;
  testResults: {
    message: string;
    assertionResults: { ancestorTitles: string[]; title: string; status: string }[];
  }[];
}

/** Runs Jest on SPEC with the given environment changes; resolves with its --json report. */
function jestOn(env: Record<string, string | undefined>): Promise<JestJson> {
  const dir = mkdtempSync(join(tmpdir(), 'skip-count-'));
  const out = join(dir, 'report.json');
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  return new Promise<JestJson>((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        require.resolve('jest/bin/jest'),
        '--config',
        'jest.config.js',
        '--selectProjects',
        'unit',
        '--json',
        `--outputFile=${out}`,
        SPEC,
      ],
      { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolvePromise(JSON.parse(readFileSync(out, 'utf8')) as JestJson);
      } catch (error) {
        reject(new Error(`no Jest report (${String(error)}):\n${output}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('PostgreSQL half without TEST_DATABASE_URL', () => {
  it('should count every PostgreSQL test as skipped, one for each SQLite test that ran', async () => {
    const report = await jestOn({ TEST_DATABASE_URL: undefined, CI: undefined });
    expect(report.numFailedTests).toBe(0);
    const results = report.testResults.flatMap((r) => r.assertionResults);
    const on = (name: string, status: string): string[] =>
      results
        .filter((r) => r.ancestorTitles.some((t) => t.endsWith(` on ${name}`)))
        .filter((r) => r.status === status)
        .map((r) => r.title);
    expect(on('sqlite', 'passed').length).toBeGreaterThan(0);
    expect(on('postgres', 'pending')).toEqual(on('sqlite', 'passed'));
    expect(report.numPendingTests).toBe(on('postgres', 'pending').length);
  }, 120_000);

  it('should fail the suite under CI rather than skip it', async () => {
    const report = await jestOn({ TEST_DATABASE_URL: undefined, CI: 'true' });
    expect(report.numFailedTestSuites).toBe(1);
    expect(report.numPassedTests).toBe(0);
    expect(report.testResults[0].message).toContain(
      'TEST_DATABASE_URL is not set under CI: the PostgreSQL half must run there',
    );
  }, 120_000);
});

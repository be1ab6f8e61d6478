import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './support/app-process';

/**
 * A failing suite must not keep Jest alive: the harness closes everything it started, even when
 * its start fails half way, and every clean-up step runs even when another fails. The check: run
 * Jest (in band, without --forceExit) on a deliberately failing fixture and see it exit by itself,
 * reporting the failures, well before a generous deadline, and without its "did not exit" warning.
 */
describe('Jest after a failing suite (e2e)', () => {
  it('should exit on its own, non-zero, with no open handle left behind', async () => {
    const config = {
      rootDir: REPO_ROOT,
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: ['<rootDir>/test/support/fixtures/failing-suite.fixture.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
    };
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--config',
        JSON.stringify(config),
        '--runInBand',
        '--ci',
      ],
      {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const deadline = 150_000;
    const code = await new Promise<number | 'hung'>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, deadline);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode ?? -1);
      });
    });
    const tail = output.split('\n').slice(-40).join('\n');
    expect({ code, tail }).toEqual({ code: 1, tail });
    expect(output).toMatch(/Tests:\s+2 failed, 2 total/);
    expect(output).not.toContain('did not exit one second after the test run has completed');
    process.stdout.write(
      `[jest-exit] the failing suite's Jest exited by itself after ${Date.now() - started} ms\n`,
    );
  }, 180_000);
});

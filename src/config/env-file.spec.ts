import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from './environment';
import { loadEnvFile } from './env-file';

describe(loadEnvFile.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'env-file-spec-'));
  const file = join(dir, '.env');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should take variables from the file that the environment does not set, the environment winning', () => {
    writeFileSync(
      file,
      [
        '# a comment',
        'PORT=4000',
        'SYNC_API_TOKEN="token from the file 123"',
        'LOG_LEVEL=debug',
        'EMPTY_IN_ENV=from-file',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', EMPTY_IN_ENV: '' };

    const result = loadEnvFile(env, file);

    expect(env).toEqual({
      PORT: '4000',
      SYNC_API_TOKEN: 'token from the file 123',
      LOG_LEVEL: 'warn',
      EMPTY_IN_ENV: '',
    });
    expect(result).toEqual({ file, loaded: ['PORT', 'SYNC_API_TOKEN'] });
  });

  it('should do nothing without a file, and skip the file entirely under NODE_ENV=test', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadEnvFile(env, join(dir, 'absent.env'))).toEqual({ loaded: [] });
    expect(env).toEqual({});

    writeFileSync(file, 'PORT=4000\n');
    const testEnv: NodeJS.ProcessEnv = { NODE_ENV: 'test' };
    expect(loadEnvFile(testEnv, file)).toEqual({ loaded: [] });
    expect(testEnv).toEqual({ NODE_ENV: 'test' });
  });

  it('should stop start-up with the reason when the file exists but cannot be read', () => {
    // A directory where the file should be is unreadable as a file for every user, root included.
    const asDir = join(dir, 'dir.env');
    mkdirSync(asDir);
    expect(() => loadEnvFile({}, asDir)).toThrow(ConfigValidationError);
    expect(() => loadEnvFile({}, asDir)).toThrow(/dir\.env: cannot be read \(EISDIR\)/);
  });
});

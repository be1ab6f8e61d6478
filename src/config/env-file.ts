import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigValidationError } from './environment';

export interface EnvFileResult {
  /** The file read (absolute), or undefined when there was none or it was skipped. */
  file?: string;
  /** Variables taken from the file (those the environment did not set already). */
  loaded: string[];
}

/**
 * Reads `.env` from the working directory into `env` before anything validates the environment,
 * as the README promises. The real environment wins: a variable already set (even to '') is never
 * replaced. Skipped when NODE_ENV=test in the real environment, so that a developer's `.env` never
 * leaks into a test run. A missing file is fine; an unreadable one stops start-up with the reason.
 */
export function loadEnvFile(
  env: NodeJS.ProcessEnv = process.env,
  path: string = resolve(process.cwd(), '.env'),
): EnvFileResult {
  if (env.NODE_ENV === 'test') return { loaded: [] };
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { loaded: [] };
    throw new ConfigValidationError([`${path}: cannot be read (${code ?? String(error)})`]);
  }
  const loaded: string[] = [];
  for (const [key, value] of Object.entries(parseEnv(content))) {
    if (value === undefined || env[key] !== undefined) continue;
    env[key] = value;
    loaded.push(key);
  }
  return { file: path, loaded };
}

/** The injection token of the `loadEnvFile` result AppModule.forRoot read. */
export const ENV_FILE_READ = Symbol('ENV_FILE_READ');

/**
 * Says at start-up whether a `.env` was read, from where, and which variables it set (names only:
 * values may be secrets), so a setting that "does nothing" can be traced to its source.
 */
@Injectable()
export class EnvFileReport implements OnApplicationBootstrap {
  private readonly logger = new Logger('Configuration');

  constructor(@Inject(ENV_FILE_READ) private readonly read: EnvFileResult) {}

  onApplicationBootstrap(): void {
    if (!this.read.file) return;
    const names = this.read.loaded;
    this.logger.log(
      { file: this.read.file, variables: names },
      names.length > 0
        ? `read ${this.read.file}: it set ${names.length} variable${names.length === 1 ? '' : 's'} (${names.join(', ')}); the environment wins over it`
        : `read ${this.read.file}: every variable in it is already set in the environment, which wins`,
    );
  }
}

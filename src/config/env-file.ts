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

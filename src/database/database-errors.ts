import { ServiceUnavailableException } from '@nestjs/common';

/**
 * The database cannot take the statement now: unreachable, restarting, failing over, locked,
 * read-only, out of disk. A Nest ServiceUnavailableException, so any caller that lets it through
 * answers 503 (TripleSeat and operators retry) instead of 500; the cause is kept for the logs.
 */
export class DatabaseUnavailableError extends ServiceUnavailableException {
  override readonly name = 'DatabaseUnavailableError';
  /** The driver's own message, for logs (never sent to clients). */
  readonly detail: string;
  readonly code: string | undefined;

  constructor(cause: unknown) {
    super(
      {
        error: 'Service Unavailable',
        reason: 'DATABASE_UNAVAILABLE',
        message: 'the database is unavailable; please retry shortly',
      },
      { cause },
    );
    this.detail = cause instanceof Error ? cause.message : String(cause);
    this.code = codeOf(cause);
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * SQLite result codes that say the file cannot be used now, as opposed to a bad statement or a
 * constraint (a bug, which stays a 500). Extended codes (SQLITE_IOERR_WRITE …) match by prefix.
 */
const SQLITE_UNAVAILABLE = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
];

/** SQLite codes after which the handle itself is suspect and is reopened before the next use. */
const SQLITE_REOPEN = [
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
];

/**
 * PostgreSQL SQLSTATEs (class prefix or exact) that mean "not now": connection exceptions (08),
 * insufficient resources (53: disk full, too many connections), operator intervention (57P01
 * admin shutdown as sent by pg_terminate_backend and a fast restart, 57P02 crash, 57P03 starting
 * up; 57014 statement timeout), lock timeout (55P03), a read-only standby after a failover (25006),
 * system I/O errors (58), and the transient serialization failure and deadlock (40001, 40P01).
 */
const PG_UNAVAILABLE = ['08', '53', '57P01', '57P02', '57P03', '57014', '55P03', '25006', '58'];
const PG_TRANSIENT = ['40001', '40P01'];

/** Network errors of the pg socket. */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** node-pg and pg-pool raise these as plain errors, without a code. */
const PG_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /terminating connection/i,
  /not queryable/i,
  /query read timeout/i,
  /cannot use a pool after calling end/i,
  /connection (?:is )?(?:closed|ended)/i,
  /the database connection is not open/i,
  /database unavailable/i,
];

/** Whether `error` means the database is unavailable now (503), rather than a bug (500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = codeOf(error);
  if (code !== undefined) {
    if (code.startsWith('SQLITE_')) return SQLITE_UNAVAILABLE.some((c) => code.startsWith(c));
    if (NET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      return PG_UNAVAILABLE.some((c) => code.startsWith(c)) || PG_TRANSIENT.includes(code);
    }
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && PG_MESSAGES.some((re) => re.test(message));
}

/** Whether a SQLite error says the handle should be reopened before it is used again. */
export function sqliteHandleSuspect(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) return SQLITE_REOPEN.some((c) => code.startsWith(c));
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /database connection is not open/i.test(message);
}

/** The error to throw for a failed statement: unavailability becomes DatabaseUnavailableError. */
export function toDatabaseError(error: unknown): unknown {
  return isDatabaseUnavailable(error) && !(error instanceof DatabaseUnavailableError)
    ? new DatabaseUnavailableError(error)
    : error;
}

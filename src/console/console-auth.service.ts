import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { CredentialFailures } from '../common/credential-failures.service';
import { tokenDigest } from '../common/bearer-token';
import { consoleConfig } from '../config/configuration';
import { ConsoleSessionRow } from '../database/database.types';
import { ConsoleSessionRepository } from './console-session.repository';

export const SESSION_COOKIE = 'console_session';

/** A signed-in operator, as the pages and the CSRF check see it. */
export interface ConsoleSession {
  idHash: string;
  label: string;
  csrfToken: string;
  expiresAt: Date;
}

export type SignInResult =
  | { kind: 'signed-in'; cookie: string; session: ConsoleSession }
  | { kind: 'wrong-token' }
  | { kind: 'throttled'; retryAfterSeconds: number };

const b64url = (bytes: Buffer): string => bytes.toString('base64url');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function toSession(row: ConsoleSessionRow): ConsoleSession {
  return {
    idHash: row.id_hash,
    label: row.label,
    csrfToken: row.csrf_token,
    expiresAt: new Date(Number(row.expires_at)),
  };
}

/** Constant-time equality of two strings of any length (compared by their digests). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(tokenDigest(a), tokenDigest(b));
}

/**
 * Sign-in with the console token, sessions and their cookie. The cookie is `<id>.<mac>`: a random
 * id and its HMAC under a key derived from the token, so a forged or altered cookie is refused
 * before the database is asked, and rotating the token closes every session. The database keeps
 * the id's SHA-256 (a copy of the table opens no session) and the session's CSRF token. Wrong
 * tokens are counted per client address, in the one budget that the API and metrics tokens share
 * (CredentialFailures); past the limit every attempt, right or wrong, is refused until the window
 * passes, so the answer never tells a guesser anything.
 */
@Injectable()
export class ConsoleAuthService {
  private readonly expected: Buffer;
  private readonly cookieKey: Buffer;

  constructor(
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    private readonly sessions: ConsoleSessionRepository,
    private readonly clock: Clock,
    private readonly failures: CredentialFailures,
  ) {
    this.expected = tokenDigest(config.token);
    this.cookieKey = createHmac('sha256', config.token).update('console-session-cookie').digest();
  }

  async signIn(token: string, client: string): Promise<SignInResult> {
    const wait = await this.failures.lockedFor(client);
    if (wait !== undefined) return { kind: 'throttled', retryAfterSeconds: wait };
    if (!timingSafeEqual(tokenDigest(token), this.expected)) {
      await this.failures.failed(client);
      return { kind: 'wrong-token' };
    }
    await this.failures.cleared(client);
    const id = b64url(randomBytes(32));
    const now = this.clock.now().getTime();
    const row = {
      id_hash: sha256(id),
      csrf_token: b64url(randomBytes(32)),
      label: `session ${sha256(`label:${id}`).slice(0, 8)}`,
      created_at: now,
      expires_at: now + this.config.sessionMs,
      remote_address: client,
    };
    await this.sessions.create(row);
    return {
      kind: 'signed-in',
      cookie: `${id}.${this.mac(id)}`,
      session: toSession({ ...row, ended_at: null }),
    };
  }

  /** The open session a cookie names, or undefined (missing, forged, ended or expired). */
  async sessionOf(cookie: string | undefined): Promise<ConsoleSession | undefined> {
    const id = this.verifiedId(cookie);
    if (id === undefined) return undefined;
    const row = await this.sessions.findOpen(sha256(id), this.clock.now().getTime());
    return row ? toSession(row) : undefined;
  }

  async signOut(session: ConsoleSession): Promise<void> {
    await this.sessions.end(session.idHash, this.clock.now().getTime());
  }

  private verifiedId(cookie: string | undefined): string | undefined {
    const match = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
    if (!match) return undefined;
    const [, id, mac] = match;
    return timingSafeEqual(Buffer.from(mac), Buffer.from(this.mac(id))) ? id : undefined;
  }

  private mac(id: string): string {
    return b64url(createHmac('sha256', this.cookieKey).update(id).digest());
  }
}

import { ManualClock } from '../common/clock';
import { CredentialFailures } from '../common/credential-failures.service';
import { ConsoleSessionRow } from '../database/database.types';
import { ConsoleAuthService, sameSecret } from './console-auth.service';
import { ConsoleSessionRepository } from './console-session.repository';

const TOKEN = 'console-token-unit-0123456789abcdef0123';

/** The repository's contract, in memory (the e2e specs use the real tables). */
class MemorySessions {
  rows = new Map<string, ConsoleSessionRow>();
  create(row: Omit<ConsoleSessionRow, 'ended_at'>): Promise<void> {
    this.rows.set(row.id_hash, { ...row, ended_at: null });
    return Promise.resolve();
  }
  findOpen(idHash: string, now: number): Promise<ConsoleSessionRow | undefined> {
    const row = this.rows.get(idHash);
    return Promise.resolve(row && row.ended_at === null && row.expires_at > now ? row : undefined);
  }
  end(idHash: string, now: number): Promise<void> {
    const row = this.rows.get(idHash);
    if (row) row.ended_at = now;
    return Promise.resolve();
  }
}

function service(token = TOKEN, sessions = new MemorySessions(), clock = new ManualClock()) {
  const config = { enabled: true, token, sessionMs: 3_600_000, signInFailuresPer15Minutes: 2 };
  const auth = new ConsoleAuthService(
    config,
    sessions as unknown as ConsoleSessionRepository,
    clock,
    new CredentialFailures(config),
  );
  return { auth, sessions, clock };
}

describe(ConsoleAuthService.name, () => {
  it('should open a session for the right token, found again by its cookie', async () => {
    const { auth, sessions } = service();
    const result = await auth.signIn(TOKEN, '10.0.0.1');
    if (result.kind !== 'signed-in') throw new Error(result.kind);
    expect(result.cookie).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect(result.session.csrfToken).toHaveLength(43);
    expect(result.session.label).toMatch(/^session [0-9a-f]{8}$/);
    // The table keeps a hash, never the cookie's id.
    const [stored] = [...sessions.rows.values()];
    expect(result.cookie).not.toContain(stored.id_hash);
    expect(await auth.sessionOf(result.cookie)).toEqual(result.session);
  });

  it('should refuse a missing, malformed or altered cookie, and one signed under another token', async () => {
    const { auth, sessions } = service();
    const result = await auth.signIn(TOKEN, '10.0.0.1');
    if (result.kind !== 'signed-in') throw new Error(result.kind);
    const [id, mac] = result.cookie.split('.');
    expect(await auth.sessionOf(undefined)).toBeUndefined();
    expect(await auth.sessionOf('nonsense')).toBeUndefined();
    expect(
      await auth.sessionOf(`${id}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`),
    ).toBeUndefined();
    // Rotating the token closes every session, although its row is still there.
    const rotated = service('another-console-token-98765', sessions).auth;
    expect(await rotated.sessionOf(result.cookie)).toBeUndefined();
  });

  it('should end a session on sign-out and when it expires', async () => {
    const { auth, clock } = service();
    const a = await auth.signIn(TOKEN, '10.0.0.1');
    const b = await auth.signIn(TOKEN, '10.0.0.1');
    if (a.kind !== 'signed-in' || b.kind !== 'signed-in') throw new Error('no session');
    await auth.signOut(a.session);
    expect(await auth.sessionOf(a.cookie)).toBeUndefined();
    expect(await auth.sessionOf(b.cookie)).toBeDefined();
    clock.advance(3_600_001);
    expect(await auth.sessionOf(b.cookie)).toBeUndefined();
  });

  it('should throttle an address after too many wrong tokens, the right one included, and not others', async () => {
    const { auth } = service();
    expect((await auth.signIn('wrong-1', '10.0.0.2')).kind).toBe('wrong-token');
    expect((await auth.signIn('wrong-2', '10.0.0.2')).kind).toBe('wrong-token');
    const blocked = await auth.signIn(TOKEN, '10.0.0.2');
    expect(blocked).toMatchObject({ kind: 'throttled' });
    if (blocked.kind === 'throttled') expect(blocked.retryAfterSeconds).toBeGreaterThan(800);
    expect((await auth.signIn(TOKEN, '10.0.0.3')).kind).toBe('signed-in');
  });

  it('should forget wrong tokens after a right one', async () => {
    const { auth } = service();
    expect((await auth.signIn('wrong-1', '10.0.0.4')).kind).toBe('wrong-token');
    expect((await auth.signIn(TOKEN, '10.0.0.4')).kind).toBe('signed-in');
    expect((await auth.signIn('wrong-2', '10.0.0.4')).kind).toBe('wrong-token');
    expect((await auth.signIn(TOKEN, '10.0.0.4')).kind).toBe('signed-in');
  });

  it('should compare secrets of any length in constant time', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });
});

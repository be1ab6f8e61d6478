import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

const METRICS_TOKEN = 'metrics-token-lockout-e2e-0123456789abcdef';
const FAILURES = 4;
const API_PER_MINUTE = 8;

/**
 * One lockout for every door: wrong tokens from an address count in one budget whether they went
 * to the console's sign-in, a `/api/*` route or `/metrics`; a locked address is refused even with
 * the right token. And the API rate limit is one budget per address across routes. Each test comes
 * from its own address (X-Forwarded-For behind TRUST_PROXY), so their counts never mix.
 */
describe('One lockout for every door (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        TRUST_PROXY: 'loopback',
        METRICS_TOKEN,
        CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES: String(FAILURES),
        API_RATE_LIMIT_PER_MINUTE: String(API_PER_MINUTE),
      },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const api = (from: string, path: string, token: string) =>
    request(h.url).get(path).set('X-Forwarded-For', from).set('Authorization', `Bearer ${token}`);
  const signIn = (from: string, token: string) =>
    request(h.url)
      .post('/console/sign-in')
      .set('X-Forwarded-For', from)
      .type('form')
      .send({ token, next: '/console' });

  it('should lock an address after wrong tokens at any mix of doors, then refuse even the right token everywhere', async () => {
    const from = '203.0.113.10';
    expect((await api(from, '/api/sync/runs', 'wrong-token-1')).status).toBe(401);
    expect((await api(from, '/api/switches', 'wrong-token-2')).status).toBe(401);
    expect((await api(from, '/metrics', 'wrong-token-3')).status).toBe(401);
    expect((await signIn(from, 'wrong-token-4')).status).toBe(401);

    // Locked: the right token does not help, at any door, and the answer says when to come back.
    for (const res of [
      await api(from, '/api/sync/runs', SECRETS.apiToken),
      await api(from, '/metrics', METRICS_TOKEN),
      await signIn(from, SECRETS.apiToken),
    ]) {
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    }
    // Another address is not affected.
    expect((await api('203.0.113.11', '/api/sync/runs', SECRETS.apiToken)).status).toBe(200);
    expect((await api('203.0.113.11', '/metrics', METRICS_TOKEN)).status).toBe(200);
  });

  it('should count a burst of wrong API tokens and lock the console sign-in with them', async () => {
    const from = '203.0.113.20';
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES + 2; i += 1) {
      statuses.push((await api(from, '/api/sync/runs', `guess-${i}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    const res = await signIn(from, SECRETS.apiToken);
    expect(res.status).toBe(429);
    expect(res.text).toContain('Too many wrong tokens from this address');
  });

  it('should spend one API budget per address across every route', async () => {
    const from = '203.0.113.30';
    const paths = ['/api/sync/runs', '/api/sync/events', '/api/mappings', '/api/switches'];
    const statuses: number[] = [];
    for (let i = 0; i < API_PER_MINUTE + 1; i += 1) {
      statuses.push((await api(from, paths[i % paths.length], SECRETS.apiToken)).status);
    }
    expect(statuses.slice(0, API_PER_MINUTE)).not.toContain(429);
    expect(statuses[API_PER_MINUTE]).toBe(429);
    // Another address still has its own budget.
    expect((await api('203.0.113.31', '/api/sync/runs', SECRETS.apiToken)).status).toBe(200);
  });
});

import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * The console's edges against hostile names: static assets are looked up in a map of their own
 * (an inherited name like `constructor` is no asset), notices are known keys only, and `next=`
 * goes back inside the console only.
 */
describe('Console edges (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { TRUST_PROXY: 'loopback' } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'should answer 404 for the asset %s without sign-in, and log no stack trace',
    async (name) => {
      const before = h.logs.length;
      const res = await request(h.url).get(`/console/assets/${name}`);
      expect(res.status).toBe(404);
      expect(res.text).not.toMatch(/native code|\n\s+at /);
      const logged = h.logs.slice(before).join('');
      expect(logged).not.toMatch(/"stack"|\\n\s+at |ERR_INVALID_ARG_TYPE/);
    },
  );

  it('should still serve the real assets', async () => {
    const css = await request(h.url).get('/console/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });

  it('should print no notice for an inherited key', async () => {
    const signIn = await request(h.url)
      .post('/console/sign-in')
      .set('X-Forwarded-For', '198.51.100.7')
      .type('form')
      .send({ token: SECRETS.apiToken, next: '/console' });
    expect(signIn.status).toBe(303);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0];
    for (const key of ['constructor', '__proto__', 'toString']) {
      const page = await request(h.url)
        .get(`/console/switches?notice=${key}`)
        .set('Cookie', cookie);
      expect(page.status).toBe(200);
      expect(page.text).not.toMatch(/native code|function Object|\[object Object\]/);
    }
  });

  it.each([
    ['//evil.example/x', '/console'],
    ['/consolex', '/console'],
    ['/console/../api/sync/runs', '/console'],
    ['/console/%2e%2e/api/sync/runs', '/console'],
    ['/console/events/42', '/console/events/42'],
  ])('should send next=%s to %s after sign-in', async (next, location) => {
    const res = await request(h.url)
      .post('/console/sign-in')
      .set('X-Forwarded-For', '198.51.100.8')
      .type('form')
      .send({ token: SECRETS.apiToken, next });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(location);
  });
});

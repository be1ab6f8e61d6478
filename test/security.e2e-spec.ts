import request from 'supertest';
import { Harness, startHarness } from './support/harness';

describe('Security hardening (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        API_RATE_LIMIT_PER_MINUTE: '3',
        WEBHOOK_RATE_LIMIT_PER_MINUTE: '4',
        WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE: '2',
      },
    });
  });

  afterAll(async () => {
    await h.close();
  });

  it('should send security headers and no X-Powered-By', async () => {
    const res = await request(h.url).get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('should answer 429 with Retry-After once a client exceeds the API limit, and never throttle health', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await h.api().get('/api/sync/runs')).status);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses[3]).toBe(429);
    const limited = await h.api().get('/api/sync/runs');
    expect(limited.status).toBe(429);
    expect(
      Number(limited.headers['retry-after-api'] ?? limited.headers['retry-after']),
    ).toBeGreaterThan(0);
    expect(limited.headers['x-correlation-id']).toBeTruthy();
    for (let i = 0; i < 10; i += 1) await request(h.url).get('/health/live').expect(200);
  });

  it('should throttle signed webhooks on their budget and unsigned or forged ones on another', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push(
        (
          await h.webhook({
            webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
            event: { id: 1 + i },
          })
        ).status,
      );
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    // A forged delivery does not spend the signed budget, and is refused on its own.
    const forged: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      forged.push(
        (
          await h.webhook(
            { webhook_trigger_type: 'UPDATE_EVENT', event: { id: 9 + i } },
            { key: 'nope' },
          )
        ).status,
      );
    }
    expect(forged).toEqual([401, 401, 429]);
  });
});

import { request as httpRequest } from 'node:http';
import { signTripleSeatPayload } from '../src/tripleseat/webhook-signature';
import { Harness, startHarness } from './support/harness';

describe('webhook signing key rotation (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        TRIPLESEAT_WEBHOOK_SIGNING_KEY: 'whsec-new-key-aaaaaaaaaaaa',
        TRIPLESEAT_WEBHOOK_SIGNING_KEY_PREVIOUS: 'whsec-old-key-bbbbbbbbbbbb',
      },
    });
  });

  afterAll(async () => {
    await h.close();
  });

  const body = (id: number) => ({
    webhook_trigger_type: 'REASSIGN_EVENT_OWNERSHIP',
    event: { id },
  });

  it('should accept deliveries signed with the new key and, during the rotation, the previous one', async () => {
    expect((await h.webhook(body(1), { key: 'whsec-new-key-aaaaaaaaaaaa' })).status).toBe(200);
    expect((await h.webhook(body(2), { key: 'whsec-old-key-bbbbbbbbbbbb' })).status).toBe(200);
    expect(
      (await h.webhook(body(3), { key: 'whsec-old-key-bbbbbbbbbbbb', format: 'bare' })).status,
    ).toBe(200);
  });

  it('should refuse a repeated X-Signature header even when one copy is valid', async () => {
    const raw = JSON.stringify(body(6));
    const valid = signTripleSeatPayload(
      raw,
      'whsec-new-key-aaaaaaaaaaaa',
      Math.floor(Date.now() / 1000),
    );
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${h.url}/webhooks/tripleseat`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.setHeader('content-type', 'application/json');
      req.setHeader('x-signature', [valid, '=']);
      req.end(raw);
    });
    expect(status).toBe(401);
  });

  it('should still refuse any other key and a stale timestamp signed with the previous key', async () => {
    expect((await h.webhook(body(4), { key: 'whsec-someone-else' })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 3600;
    expect(
      (await h.webhook(body(5), { key: 'whsec-old-key-bbbbbbbbbbbb', timestamp: stale })).status,
    ).toBe(401);
  });
});

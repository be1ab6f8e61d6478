import { request as httpRequest } from 'node:http';
import request from 'supertest';
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

  it.each(['v1', 'bare', 'base64', 'sha256-hex', 'sha256-base64'] as const)(
    'should accept the previous key in form %s, and refuse a third key in it',
    async (format) => {
      const id = 10 + ['v1', 'bare', 'base64', 'sha256-hex', 'sha256-base64'].indexOf(format);
      const old = await h.webhook(body(id), { key: 'whsec-old-key-bbbbbbbbbbbb', format });
      const other = await h.webhook(body(id + 100), { key: 'whsec-someone-else', format });

      expect(old.status).toBe(200);
      expect(other.status).toBe(401);
    },
  );

  it('should count which key matched on /metrics', async () => {
    const res = await request(h.url).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /^tripleseat_webhook_signature_form_total\{form="sha256_base64",key="previous"\} [1-9]/m,
    );
    expect(res.text).toMatch(
      /^tripleseat_webhook_signature_form_total\{form="t_v1",key="current"\} [1-9]/m,
    );
  });

  it('should answer an aged re-send signed with the previous key as a duplicate once recorded', async () => {
    const raw = JSON.stringify({ webhook_trigger_type: 'UPDATE_EVENT', event: { id: 64_000_001 } });
    const signedAt = Math.floor(Date.now() / 1000);
    const key = 'whsec-old-key-bbbbbbbbbbbb';
    expect((await h.webhook(null, { rawBody: raw, key, timestamp: signedAt })).body).toMatchObject({
      reason: 'QUEUED',
    });

    const late = await h.webhook(null, { rawBody: raw, key, timestamp: signedAt - 3600 });

    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ reason: 'DUPLICATE_DELIVERY', eventId: '64000001' });
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

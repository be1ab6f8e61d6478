import request from 'supertest';
import { signTripleSeatPayload } from '../src/tripleseat/webhook-signature';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * The X-Signature forms of docs/http-api.md ('Endpoints') against the real app: every accepted form
 * is queued, the real captured delivery is accepted byte for byte, the matched form shows on
 * /metrics, and a re-send whose `t` has aged past the window is a duplicate only when its exact
 * bytes were recorded.
 */

/**
 * The real captured delivery (upstream-facts §1.7), byte for byte but for its name, redacted to
 * "…".
 */
const CAPTURED =
  '{"webhook_trigger_type":"STATUS_CHANGE_EVENT","event":{"id":55521609,"name":"…","event_date":"12/28/2025","event_date_iso8601":"2025-12-28","status":"DEFINITE","site_id":15691,"event_start":"12/28/2025 6:00 PM","event_end":"12/28/2025 6:15 PM","updated_at":"12/28/2025 12:56 PM"}}';

const FORMATS = [
  ['v1', 't_v1'],
  ['bare', 'hex'],
  ['base64', 'base64'],
  ['sha256-hex', 'sha256_hex'],
  ['sha256-base64', 'sha256_base64'],
] as const;

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('webhook signature forms (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  /** `tripleseat_webhook_signature_form_total` by form (current key), from /metrics. */
  async function formCounts(): Promise<Record<string, number>> {
    const res = await request(h.url).get('/metrics').expect(200);
    const counts: Record<string, number> = {};
    for (const m of res.text.matchAll(
      /^tripleseat_webhook_signature_form_total\{form="(\w+)",key="current"\} (\d+)$/gm,
    )) {
      counts[m[1]] = Number(m[2]);
    }
    return counts;
  }

  it.each(FORMATS)(
    'should queue a delivery signed in form %s and count it as %s on /metrics',
    async (format, form) => {
      const id = 63_000_000 + FORMATS.findIndex(([f]) => f === format);
      const before = (await formCounts())[form] ?? 0;

      const res = await h.webhook(
        { webhook_trigger_type: 'UPDATE_EVENT', event: { id } },
        { format },
      );

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ok: true,
        processed: false,
        reason: 'QUEUED',
        trigger: 'UPDATE_EVENT',
        eventId: String(id),
      });
      expect((await formCounts())[form]).toBe(before + 1);
      // The matched form is in the log line of the delivery, so an operator can read it there too.
      expect(h.logs.join('')).toMatch(new RegExp(`"signatureForm":"${form}"`));
    },
  );

  it('should accept the real captured delivery of upstream-facts §1.7 byte for byte', async () => {
    const res = await h.webhook(null, { rawBody: CAPTURED });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      processed: false,
      reason: 'QUEUED',
      trigger: 'STATUS_CHANGE_EVENT',
      eventId: '55521609',
    });
    const again = await h.webhook(null, { rawBody: CAPTURED, format: 'sha256-base64' });
    expect(again.body).toMatchObject({ reason: 'DUPLICATE_DELIVERY', eventId: '55521609' });
  });

  it('should refuse each form made with a wrong key', async () => {
    for (const [format] of FORMATS) {
      const res = await h.webhook(
        { webhook_trigger_type: 'UPDATE_EVENT', event: { id: 63_000_100 } },
        { format, key: 'whsec-not-the-key' },
      );
      expect({ format, status: res.status }).toEqual({ format, status: 401 });
    }
  });

  describe('a re-send after the window (docs/http-api.md, Endpoints)', () => {
    it('should answer 200 DUPLICATE_DELIVERY when the same bytes were recorded, whatever their age', async () => {
      const raw = JSON.stringify({
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: { id: 63_000_200, updated_at: '12/28/2025 12:56 PM' },
      });
      const signedAt = nowSeconds();
      const first = await h.webhook(null, { rawBody: raw, timestamp: signedAt });
      expect(first.body).toMatchObject({ reason: 'QUEUED' });

      // TripleSeat re-sends the same POST, `t` not refreshed, an hour later.
      const late = await h.webhook(null, { rawBody: raw, timestamp: signedAt - 3600 });

      expect(late.status).toBe(200);
      expect(late.body).toEqual({
        ok: true,
        processed: false,
        reason: 'DUPLICATE_DELIVERY',
        trigger: 'STATUS_CHANGE_EVENT',
        eventId: '63000200',
      });
    });

    it('should still answer 401 to an aged delivery that was never recorded', async () => {
      const raw = JSON.stringify({
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: { id: 63_000_201 },
      });

      const res = await h.webhook(null, { rawBody: raw, timestamp: nowSeconds() - 3600 });

      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ reason: 'STALE_TIMESTAMP' });
      const ledger = await h.api().get('/api/sync/events/63000201');
      expect(ledger.status).toBe(404);
    });

    it('should answer 401 to an aged forgery of recorded bytes', async () => {
      const raw = JSON.stringify({
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: { id: 63_000_202 },
      });
      expect((await h.webhook(null, { rawBody: raw })).body).toMatchObject({ reason: 'QUEUED' });

      const forged = await h.webhook(null, {
        rawBody: raw,
        signature: signTripleSeatPayload(raw, 'whsec-forger', nowSeconds() - 3600),
      });
      const forgedFresh = await h.webhook(null, { rawBody: raw, key: 'whsec-forger' });

      expect(forged.status).toBe(401);
      expect(forgedFresh.status).toBe(401);
    });

    it('should answer 401 when the aged bytes differ from the recorded ones by one byte', async () => {
      const raw = JSON.stringify({
        webhook_trigger_type: 'STATUS_CHANGE_EVENT',
        event: { id: 63_000_203 },
      });
      const signedAt = nowSeconds();
      expect((await h.webhook(null, { rawBody: raw, timestamp: signedAt })).status).toBe(200);

      const res = await h.webhook(null, {
        rawBody: `${raw} `,
        timestamp: signedAt - 3600,
        key: SECRETS.signingKey,
      });

      expect(res.status).toBe(401);
    });
  });
});

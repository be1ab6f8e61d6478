import { createHmac } from 'node:crypto';
import {
  SIGNATURE_FORMS,
  type SignatureFormat,
  signTripleSeatPayload,
  signTripleSeatPayloadBare,
  signTripleSeatPayloadBase64,
  signTripleSeatWebhook,
  verifyTripleSeatSignature,
} from './webhook-signature';

const KEY = 'whsec_test_key';
const NOW = 1_766_944_560; // 2025-12-28T18:56:00Z
const TOLERANCE = 300;
const BODY = Buffer.from(
  JSON.stringify({
    webhook_trigger_type: 'STATUS_CHANGE_EVENT',
    event: { id: 55521609, status: 'CLOSED', site_id: 15691, updated_at: '12/28/2025 12:56 PM' },
  }),
);

const verify = (body: Buffer, header: string | undefined, now = NOW) =>
  verifyTripleSeatSignature(body, header, KEY, now, TOLERANCE);

describe('webhook signature', () => {
  describe(signTripleSeatPayload.name, () => {
    it('should produce t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
      const expected = createHmac('sha256', KEY)
        .update(`${NOW}.${BODY.toString('utf8')}`)
        .digest('hex');

      expect(signTripleSeatPayload(BODY, KEY, NOW)).toBe(`t=${NOW},v1=${expected}`);
    });

    it('should sign a string body exactly like the same bytes in a Buffer', () => {
      expect(signTripleSeatPayload(BODY.toString('utf8'), KEY, NOW)).toBe(
        signTripleSeatPayload(BODY, KEY, NOW),
      );
    });
  });

  describe(verifyTripleSeatSignature.name, () => {
    it('should accept a valid v1 signature and report its timestamp', () => {
      expect(verify(BODY, signTripleSeatPayload(BODY, KEY, NOW))).toEqual({
        ok: true,
        form: 't_v1',
        keyIndex: 0,
        timestamp: NOW,
      });
    });

    it('should accept a valid bare hex HMAC of the raw body', () => {
      expect(verify(BODY, signTripleSeatPayloadBare(BODY, KEY))).toEqual({
        ok: true,
        form: 'hex',
        keyIndex: 0,
      });
    });

    it('should accept upper-case hex and whitespace around the parts', () => {
      const [t, v1] = signTripleSeatPayload(BODY, KEY, NOW).split(',');
      expect(verify(BODY, ` ${t} , ${v1.toUpperCase().replace('V1=', 'v1=')} `)).toMatchObject({
        ok: true,
      });
    });

    it('should reject a signature made with another key', () => {
      const header = signTripleSeatPayload(BODY, 'another-key', NOW);
      expect(verify(BODY, header)).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
      expect(verify(BODY, signTripleSeatPayloadBare(BODY, 'another-key'))).toEqual({
        ok: false,
        reason: 'SIGNATURE_MISMATCH',
      });
    });

    it('should reject a body with one byte changed', () => {
      const header = signTripleSeatPayload(BODY, KEY, NOW);
      const tampered = Buffer.from(BODY);
      tampered[tampered.length - 3] ^= 0x01;

      expect(verify(tampered, header)).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
      expect(verify(tampered, signTripleSeatPayloadBare(BODY, KEY))).toEqual({
        ok: false,
        reason: 'SIGNATURE_MISMATCH',
      });
    });

    it('should reject a re-serialised body even when the JSON means the same', () => {
      const header = signTripleSeatPayload(BODY, KEY, NOW);
      const pretty = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2));
      expect(verify(pretty, header)).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
    });

    it('should reject a signature whose timestamp was changed after signing', () => {
      const v1 = signTripleSeatPayload(BODY, KEY, NOW).split(',')[1];
      expect(verify(BODY, `t=${NOW + 1},${v1}`)).toEqual({
        ok: false,
        reason: 'SIGNATURE_MISMATCH',
      });
    });

    it('should reject an authentic delivery older than the tolerance', () => {
      const header = signTripleSeatPayload(BODY, KEY, NOW - TOLERANCE - 1);
      // Reported with its form and key: the HMAC matched, only the window did not.
      expect(verify(BODY, header)).toEqual({
        ok: false,
        reason: 'STALE_TIMESTAMP',
        form: 't_v1',
        keyIndex: 0,
        timestamp: NOW - TOLERANCE - 1,
      });
    });

    it('should call an aged forgery a mismatch, never STALE_TIMESTAMP', () => {
      const header = signTripleSeatPayload(BODY, 'another-key', NOW - 3600);
      expect(verify(BODY, header)).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
    });

    it('should reject a timestamp too far in the future', () => {
      const header = signTripleSeatPayload(BODY, KEY, NOW + TOLERANCE + 1);
      expect(verify(BODY, header)).toMatchObject({ ok: false, reason: 'STALE_TIMESTAMP' });
    });

    it('should accept timestamps exactly at the edges of the window', () => {
      expect(verify(BODY, signTripleSeatPayload(BODY, KEY, NOW - TOLERANCE))).toMatchObject({
        ok: true,
      });
      expect(verify(BODY, signTripleSeatPayload(BODY, KEY, NOW + TOLERANCE))).toMatchObject({
        ok: true,
      });
    });

    it.each([undefined, '', '   '])('should report a missing header (%p)', (header) => {
      expect(verify(BODY, header)).toEqual({ ok: false, reason: 'MISSING_SIGNATURE' });
    });

    it('should reject a header with a stray fragment beside a valid signature', () => {
      const good = signTripleSeatPayload(BODY, KEY, NOW);
      for (const header of [`${good}, =`, `${good},=x`, `${good}, `, `=, ${good}`]) {
        expect(verify(BODY, header)).toEqual({ ok: false, reason: 'MALFORMED_SIGNATURE' });
      }
    });

    it('should reject malformed headers', () => {
      const good = signTripleSeatPayload(BODY, KEY, NOW);
      const v1 = good.split(',')[1];
      const hex = v1.slice(3);
      const cases = [
        v1, // no t
        `t=${NOW}`, // no v1
        `t=${NOW},v1=${hex.replace(/[0-9a-f]/, 'z')}`, // non-hex
        `t=${NOW},v1=${hex.slice(0, 62)}`, // wrong length
        `t=${NOW},v1=${hex}00`, // too long
        `t=abc,${v1}`, // non-numeric timestamp
        `t=${NOW},t=${NOW},${v1}`, // two timestamps
        `t=${NOW};${v1}`, // wrong separator
        hex.slice(0, 40), // bare but not a SHA-256 length
        `${hex}0`, // bare hex, one digit too many
        'sha256', // garbage
        `sha256=${hex.slice(0, 40)}`, // prefixed, not a SHA-256 length
        `sha256=${hex}, x`, // prefixed, with a stray fragment
        'sha256=', // prefix alone
        `sha256=sha256=${hex}`, // prefix twice
        `${hex}, =`, // bare with a stray fragment
      ];
      for (const header of cases) {
        expect({ header, result: verify(BODY, header) }).toEqual({
          header,
          result: { ok: false, reason: 'MALFORMED_SIGNATURE' },
        });
      }
    });

    it('should accept any one of several v1 entries (key rotation)', () => {
      const current = signTripleSeatPayload(BODY, KEY, NOW).split(',')[1];
      const old = signTripleSeatPayload(BODY, 'old-key', NOW).split(',')[1];

      expect(verify(BODY, `t=${NOW},${old},${current}`)).toMatchObject({ ok: true });
      expect(verify(BODY, `t=${NOW},${old},${old}`)).toEqual({
        ok: false,
        reason: 'SIGNATURE_MISMATCH',
      });
    });

    it('should ignore unknown schemes next to a valid v1', () => {
      const header = `${signTripleSeatPayload(BODY, KEY, NOW)},v0=deadbeef`;
      expect(verify(BODY, header)).toMatchObject({ ok: true, form: 't_v1' });
    });
  });

  describe('every accepted form (docs/http-api.md, Endpoints)', () => {
    const hmacOf = (key: string, data: string) => createHmac('sha256', key).update(data).digest();
    const raw = BODY.toString('utf8');
    const FORMS: [SignatureFormat, string, (key: string) => string][] = [
      ['v1', 't_v1', (key) => `t=${NOW},v1=${hmacOf(key, `${NOW}.${raw}`).toString('hex')}`],
      ['bare', 'hex', (key) => hmacOf(key, raw).toString('hex')],
      ['base64', 'base64', (key) => hmacOf(key, raw).toString('base64')],
      ['sha256-hex', 'sha256_hex', (key) => `sha256=${hmacOf(key, raw).toString('hex')}`],
      ['sha256-base64', 'sha256_base64', (key) => `sha256=${hmacOf(key, raw).toString('base64')}`],
    ];

    it('should name exactly these forms', () => {
      expect([...SIGNATURE_FORMS]).toEqual(FORMS.map(([, form]) => form));
    });

    describe.each(FORMS)('%s', (format, form, reference) => {
      it(`should be produced by signTripleSeatWebhook as an independent HMAC computes it`, () => {
        expect(signTripleSeatWebhook(BODY, KEY, format, NOW)).toBe(reference(KEY));
      });

      it(`should be accepted as ${form}`, () => {
        expect(verify(BODY, reference(KEY))).toMatchObject({ ok: true, form, keyIndex: 0 });
      });

      it('should be rejected when made with another key', () => {
        expect(verify(BODY, reference('another-key'))).toEqual({
          ok: false,
          reason: 'SIGNATURE_MISMATCH',
        });
      });

      it('should be rejected over a body with one byte changed', () => {
        const tampered = Buffer.from(BODY);
        tampered[5] ^= 0x01;
        expect(verify(tampered, reference(KEY))).toEqual({
          ok: false,
          reason: 'SIGNATURE_MISMATCH',
        });
      });

      it('should be accepted with the previous key during a rotation, and say which key matched', () => {
        const keys = ['new-key', KEY];
        expect(verifyTripleSeatSignature(BODY, reference(KEY), keys, NOW, TOLERANCE)).toMatchObject(
          { ok: true, form, keyIndex: 1 },
        );
        expect(
          verifyTripleSeatSignature(BODY, reference('new-key'), keys, NOW, TOLERANCE),
        ).toMatchObject({ ok: true, form, keyIndex: 0 });
        expect(
          verifyTripleSeatSignature(BODY, reference('third-key'), keys, NOW, TOLERANCE),
        ).toEqual({ ok: false, reason: 'SIGNATURE_MISMATCH' });
      });
    });

    it('should apply the replay window to t_v1 only (the other forms carry no time)', () => {
      const later = NOW + 10 * TOLERANCE;
      expect(verify(BODY, signTripleSeatPayloadBase64(BODY, KEY), later)).toMatchObject({
        ok: true,
        form: 'base64',
      });
      expect(verify(BODY, signTripleSeatPayload(BODY, KEY, NOW), later)).toMatchObject({
        ok: false,
        reason: 'STALE_TIMESTAMP',
      });
    });

    it('should accept the sha256= prefix in any case, and base64 without padding or url-safe', () => {
      const digest = hmacOf(KEY, raw);
      const unpadded = digest.toString('base64').replace(/=+$/, '');
      const urlSafe = digest.toString('base64url');
      expect(verify(BODY, `SHA256=${digest.toString('hex')}`)).toMatchObject({
        ok: true,
        form: 'sha256_hex',
      });
      expect(verify(BODY, unpadded)).toMatchObject({ ok: true, form: 'base64' });
      expect(verify(BODY, urlSafe)).toMatchObject({ ok: true, form: 'base64' });
    });

    it('should refuse a second spelling of a base64 digest (non-zero padding bits)', () => {
      const b64 = hmacOf(KEY, raw).toString('base64'); // 43 characters and '='
      const last = b64[42];
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      // The last character holds 4 bits of the digest and 2 padding bits that must be zero.
      const sibling = alphabet[alphabet.indexOf(last) ^ 0x01];
      expect(verify(BODY, `${b64.slice(0, 42)}${sibling}=`)).toEqual({
        ok: false,
        reason: 'MALFORMED_SIGNATURE',
      });
    });

    it('should refuse a base64 or hex digest of the wrong length', () => {
      const digest = hmacOf(KEY, raw);
      for (const header of [
        digest.subarray(0, 20).toString('base64'),
        `${digest.toString('base64')}AAAA`,
        `sha256=${digest.subarray(0, 31).toString('base64')}`,
      ]) {
        expect({ header, result: verify(BODY, header) }).toEqual({
          header,
          result: { ok: false, reason: 'MALFORMED_SIGNATURE' },
        });
      }
    });
  });
});

import { createHmac } from 'node:crypto';
import {
  signTripleSeatPayload,
  signTripleSeatPayloadBare,
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
        format: 'v1',
        timestamp: NOW,
      });
    });

    it('should accept a valid bare hex HMAC of the raw body', () => {
      expect(verify(BODY, signTripleSeatPayloadBare(BODY, KEY))).toEqual({
        ok: true,
        format: 'bare',
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
      expect(verify(BODY, header)).toEqual({ ok: false, reason: 'STALE_TIMESTAMP' });
    });

    it('should reject a timestamp too far in the future', () => {
      const header = signTripleSeatPayload(BODY, KEY, NOW + TOLERANCE + 1);
      expect(verify(BODY, header)).toEqual({ ok: false, reason: 'STALE_TIMESTAMP' });
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
        'sha256', // garbage
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
      expect(verify(BODY, header)).toMatchObject({ ok: true, format: 'v1' });
    });
  });
});

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * TripleSeat webhook signatures: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over the
 * exact bytes `"<t>.<raw body>"`, or (older senders) a bare hex HMAC-SHA256 of the raw body.
 *
 * TripleSeat's public docs only say "SHA256-HMAC of the payload computed with the endpoint's
 * signing key"; the `t=…,v1=…` form is what the previous connector expected, so both are accepted.
 * A bare signature carries no timestamp, so it cannot be bounded by the replay window: a captured
 * bare delivery stays valid forever. Callers dedupe deliveries for that reason.
 */

export type SignatureFormat = 'v1' | 'bare';

export type SignatureFailure =
  'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'STALE_TIMESTAMP' | 'SIGNATURE_MISMATCH';

export type SignatureVerification =
  | { ok: true; format: SignatureFormat; timestamp?: number }
  | { ok: false; reason: SignatureFailure };

const SHA256_HEX = /^[0-9a-f]{64}$/i;
const HEX_ONLY = /^[0-9a-f]+$/i;
const TIMESTAMP = /^\d{1,12}$/;

function hmac(key: string, ...parts: Buffer[]): Buffer {
  if (key.length === 0) throw new Error('webhook signing key is empty');
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function toBuffer(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

/** Hex HMAC of the raw body alone: the form older senders put in the header. */
export function signTripleSeatPayloadBare(rawBody: Buffer | string, key: string): string {
  return hmac(key, toBuffer(rawBody)).toString('hex');
}

/** The `X-Signature` header value TripleSeat would send for this body at this time. */
export function signTripleSeatPayload(
  rawBody: Buffer | string,
  key: string,
  timestampSeconds: number,
): string {
  const t = String(Math.floor(timestampSeconds));
  const digest = hmac(key, Buffer.from(`${t}.`, 'utf8'), toBuffer(rawBody));
  return `t=${t},v1=${digest.toString('hex')}`;
}

/** Length is checked first because timingSafeEqual throws on unequal lengths. */
function sameDigest(expected: Buffer, candidateHex: string): boolean {
  const candidate = Buffer.from(candidateHex, 'hex');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

const SCHEME = /^[a-z][a-z0-9_]*$/i;

interface ParsedV1Header {
  t: string;
  signatures: string[];
}

function parseV1Header(header: string): ParsedV1Header | undefined {
  let t: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // Every entry must be `scheme=value`; stray fragments make the header ambiguous.
    if (!SCHEME.test(name) || value === '') return undefined;
    if (name === 't') {
      // Two timestamps would let a sender pick which one we check against the window.
      if (t !== undefined || !TIMESTAMP.test(value)) return undefined;
      t = value;
    } else if (name === 'v1') {
      if (!SHA256_HEX.test(value)) return undefined;
      signatures.push(value);
    }
    // Other schemes (v0, future versions) are ignored so a sender can add them without breaking us.
  }
  return t !== undefined && signatures.length > 0 ? { t, signatures } : undefined;
}

/**
 * Checks a delivery's `X-Signature` against the exact raw request bytes. Several `v1` entries are
 * accepted (one per signing key during a key rotation); any one matching is enough.
 */
export function verifyTripleSeatSignature(
  rawBody: Buffer,
  header: string | undefined,
  key: string,
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureVerification {
  const value = header?.trim();
  if (!value) return { ok: false, reason: 'MISSING_SIGNATURE' };

  if (HEX_ONLY.test(value)) {
    if (!SHA256_HEX.test(value)) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
    return sameDigest(hmac(key, rawBody), value)
      ? { ok: true, format: 'bare' }
      : { ok: false, reason: 'SIGNATURE_MISMATCH' };
  }

  const parsed = parseV1Header(value);
  if (!parsed) return { ok: false, reason: 'MALFORMED_SIGNATURE' };

  // Signed over the timestamp text exactly as sent, so `t=0017…` cannot be re-serialised into a
  // different string than the one the sender hashed.
  const expected = hmac(key, Buffer.from(`${parsed.t}.`, 'utf8'), rawBody);
  // Every entry is compared (no early exit) so timing does not reveal which one matched.
  const matched = parsed.signatures
    .map((candidate) => sameDigest(expected, candidate))
    .reduce((any, ok) => any || ok, false);
  if (!matched) return { ok: false, reason: 'SIGNATURE_MISMATCH' };

  // Checked after the HMAC so that an authentic but replayed delivery is reported as such.
  const timestamp = Number(parsed.t);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, reason: 'STALE_TIMESTAMP' };
  }
  return { ok: true, format: 'v1', timestamp };
}

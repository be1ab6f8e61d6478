import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * TripleSeat webhook signatures (`X-Signature`). TripleSeat documents only "SHA256-HMAC of the
 * payload computed with the webhook endpoint's signing key"; what exactly is signed and how it is
 * encoded is not public (upstream-facts §1.7). So every plausible form is accepted, each over the
 * exact raw bytes and compared in constant time (docs/http-api.md, 'Endpoints'):
 *
 * | form            | header                          | signed bytes          |
 * | --------------- | ------------------------------- | --------------------- |
 * | `t_v1`          | `t=<unix>,v1=<hex>[,v1=<hex>…]` | `"<t>." + raw body`   |
 * | `hex`           | `<hex>`                         | raw body              |
 * | `base64`        | `<base64>`                      | raw body              |
 * | `sha256_hex`    | `sha256=<hex>`                  | raw body              |
 * | `sha256_base64` | `sha256=<base64>`               | raw body              |
 *
 * Only `t_v1` carries a timestamp, so only it is bounded by the replay window; a captured delivery
 * in any other form stays valid forever, which is why deliveries are deduplicated by body hash.
 * The form that matched is reported so that the first real delivery tells operators the format.
 */

/** Stable names of the accepted forms: log fields and the `form` metric label. */
export const SIGNATURE_FORMS = ['t_v1', 'hex', 'base64', 'sha256_hex', 'sha256_base64'] as const;
export type SignatureForm = (typeof SIGNATURE_FORMS)[number];

/** How a test or the sandbox asks for a header (`v1` = `t_v1`, `bare` = `hex`). */
export type SignatureFormat = 'v1' | 'bare' | 'base64' | 'sha256-hex' | 'sha256-base64';

export type SignatureFailure =
  'MISSING_SIGNATURE' | 'MALFORMED_SIGNATURE' | 'STALE_TIMESTAMP' | 'SIGNATURE_MISMATCH';

/** Which of the configured keys produced the matching HMAC: 0 is the current key. */
interface Matched {
  form: SignatureForm;
  keyIndex: number;
  timestamp?: number;
}

export type SignatureVerification =
  | ({ ok: true } & Matched)
  /**
   * An authentic `t_v1` delivery (its HMAC matches) whose `t` lies outside the window: a replay,
   * or TripleSeat re-sending the same bytes late. The caller decides (a recorded delivery is a
   * duplicate, anything else is refused).
   */
  | ({ ok: false; reason: 'STALE_TIMESTAMP' } & Matched & { timestamp: number })
  | { ok: false; reason: Exclude<SignatureFailure, 'STALE_TIMESTAMP'> };

const HEX_DIGEST = /^[0-9a-f]{64}$/i;
const HEX_ONLY = /^[0-9a-f]+$/i;
/** 32 bytes in base64: 43 characters and one `=` of padding (or none); url-safe alphabet too. */
const BASE64_DIGEST = /^[A-Za-z0-9+/_-]{43}=?$/;
const SHA256_PREFIX = /^sha256=/i;
const TIMESTAMP = /^\d{1,12}$/;
const SCHEME = /^[a-z][a-z0-9_]*$/i;
const DIGEST_BYTES = 32;

function hmac(key: string, ...parts: Buffer[]): Buffer {
  if (key.length === 0) throw new Error('webhook signing key is empty');
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function toBuffer(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

/** Hex HMAC-SHA256 of the raw body alone (the `hex` form). */
export function signTripleSeatPayloadBare(rawBody: Buffer | string, key: string): string {
  return hmac(key, toBuffer(rawBody)).toString('hex');
}

/** Base64 HMAC-SHA256 of the raw body alone (the `base64` form). */
export function signTripleSeatPayloadBase64(rawBody: Buffer | string, key: string): string {
  return hmac(key, toBuffer(rawBody)).toString('base64');
}

/** `t=<t>,v1=<hex HMAC of "<t>.<body>">` (the `t_v1` form). */
export function signTripleSeatPayload(
  rawBody: Buffer | string,
  key: string,
  timestampSeconds: number,
): string {
  const t = String(Math.floor(timestampSeconds));
  const digest = hmac(key, Buffer.from(`${t}.`, 'utf8'), toBuffer(rawBody));
  return `t=${t},v1=${digest.toString('hex')}`;
}

/** The `X-Signature` value of one body in the asked format; `t` only matters for `v1`. */
export function signTripleSeatWebhook(
  rawBody: Buffer | string,
  key: string,
  format: SignatureFormat,
  timestampSeconds: number,
): string {
  switch (format) {
    case 'v1':
      return signTripleSeatPayload(rawBody, key, timestampSeconds);
    case 'bare':
      return signTripleSeatPayloadBare(rawBody, key);
    case 'base64':
      return signTripleSeatPayloadBase64(rawBody, key);
    case 'sha256-hex':
      return `sha256=${signTripleSeatPayloadBare(rawBody, key)}`;
    case 'sha256-base64':
      return `sha256=${signTripleSeatPayloadBase64(rawBody, key)}`;
  }
}

/** Decodes a 32-byte digest written in canonical base64 (standard or url-safe alphabet). */
function decodeBase64Digest(text: string): Buffer | undefined {
  if (!BASE64_DIGEST.test(text)) return undefined;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Buffer.from(standard, 'base64');
  if (bytes.length !== DIGEST_BYTES) return undefined;
  // Non-zero padding bits would give a second spelling of the same digest: only one is accepted.
  if (bytes.toString('base64').replace(/=+$/, '') !== standard.replace(/=+$/, '')) {
    return undefined;
  }
  return bytes;
}

/** A candidate digest read from a bare (or `sha256=`-prefixed) header. */
function parseBareDigest(
  value: string,
): { digest: Buffer; encoding: 'hex' | 'base64' } | 'malformed' | undefined {
  // Hex first: 64 hex characters are never a 32-byte base64 digest (that is 43–44 characters).
  if (HEX_DIGEST.test(value)) return { digest: Buffer.from(value, 'hex'), encoding: 'hex' };
  const base64 = decodeBase64Digest(value);
  if (base64) return { digest: base64, encoding: 'base64' };
  // Only hex digits but not 64 of them: a truncated or padded hex signature, not another form.
  return HEX_ONLY.test(value) ? 'malformed' : undefined;
}

interface ParsedV1Header {
  t: string;
  signatures: Buffer[];
}

function parseV1Header(header: string): ParsedV1Header | undefined {
  let t: string | undefined;
  const signatures: Buffer[] = [];
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
      if (!HEX_DIGEST.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, future versions) are ignored so a sender can add them without breaking us.
  }
  return t !== undefined && signatures.length > 0 ? { t, signatures } : undefined;
}

/** Constant time for equal lengths; candidates were length-checked by the parsers. */
function same(expected: Buffer, candidate: Buffer): boolean {
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

/**
 * The index of the first key (in `keys` order) whose HMAC equals one of the candidates, or -1.
 * Every key is tried against every candidate, without an early exit, so the time taken does not
 * tell which key or which entry matched.
 */
function matchingKey(keys: readonly string[], signed: Buffer[], candidates: Buffer[]): number {
  let found = -1;
  keys.forEach((key, index) => {
    const expected = hmac(key, ...signed);
    const hit = candidates.map((c) => same(expected, c)).reduce((any, ok) => any || ok, false);
    if (hit && found < 0) found = index;
  });
  return found;
}

/**
 * Checks a delivery's `X-Signature` against the exact raw request bytes, in every accepted form
 * (see the table above), with each of `keys` (the current signing key first, then the previous one
 * during a rotation). A `t_v1` header may carry several `v1` entries; any one matching is enough.
 */
export function verifyTripleSeatSignature(
  rawBody: Buffer,
  header: string | undefined,
  keys: string | readonly string[],
  nowSeconds: number,
  toleranceSeconds: number,
): SignatureVerification {
  const keyList = (typeof keys === 'string' ? [keys] : keys).filter((k) => k !== '');
  if (keyList.length === 0) throw new Error('webhook signing key is empty');
  const value = header?.trim();
  if (!value) return { ok: false, reason: 'MISSING_SIGNATURE' };

  const prefixed = SHA256_PREFIX.test(value);
  const bare = parseBareDigest(prefixed ? value.slice('sha256='.length) : value);
  if (bare === 'malformed') return { ok: false, reason: 'MALFORMED_SIGNATURE' };
  if (bare) {
    const keyIndex = matchingKey(keyList, [rawBody], [bare.digest]);
    if (keyIndex < 0) return { ok: false, reason: 'SIGNATURE_MISMATCH' };
    const form: SignatureForm = prefixed ? `sha256_${bare.encoding}` : bare.encoding;
    return { ok: true, form, keyIndex };
  }
  if (prefixed) return { ok: false, reason: 'MALFORMED_SIGNATURE' };

  const parsed = parseV1Header(value);
  if (!parsed) return { ok: false, reason: 'MALFORMED_SIGNATURE' };
  // Signed over the timestamp text exactly as sent, so `t=0017…` cannot be re-serialised into a
  // different string than the one the sender hashed.
  const keyIndex = matchingKey(
    keyList,
    [Buffer.from(`${parsed.t}.`, 'utf8'), rawBody],
    parsed.signatures,
  );
  if (keyIndex < 0) return { ok: false, reason: 'SIGNATURE_MISMATCH' };

  // Checked after the HMAC, so that only an authentic delivery can be reported as aged.
  const timestamp = Number(parsed.t);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, reason: 'STALE_TIMESTAMP', form: 't_v1', keyIndex, timestamp };
  }
  return { ok: true, form: 't_v1', keyIndex, timestamp };
}

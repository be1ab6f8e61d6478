import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 digest a bearer token is compared by. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Whether `Authorization: Bearer <token>` carries the expected token. Comparing fixed-length
 * digests in constant time keeps the timing independent of where the strings differ.
 */
export function bearerMatches(authorization: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(tokenDigest(match[1].trim()), expected);
}

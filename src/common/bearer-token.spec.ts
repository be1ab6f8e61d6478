import { bearerMatches, tokenDigest } from './bearer-token';

describe(bearerMatches.name, () => {
  const expected = tokenDigest('the-right-token-0123456789');

  it('should accept the right token in any case of the scheme and with surrounding spaces', () => {
    expect(bearerMatches('Bearer the-right-token-0123456789', expected)).toBe(true);
    expect(bearerMatches('bearer   the-right-token-0123456789  ', expected)).toBe(true);
  });

  it('should refuse a missing header, another scheme, a prefix of the token and a longer token', () => {
    expect(bearerMatches(undefined, expected)).toBe(false);
    expect(bearerMatches('', expected)).toBe(false);
    expect(bearerMatches('Basic the-right-token-0123456789', expected)).toBe(false);
    expect(bearerMatches('Bearer the-right-token', expected)).toBe(false);
    expect(bearerMatches('Bearer the-right-token-0123456789x', expected)).toBe(false);
  });
});

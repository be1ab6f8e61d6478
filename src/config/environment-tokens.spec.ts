import { ConfigValidationError, validateEnvironment } from './environment';

const STRONG = '3f9c2a7be41d08c65f1e9a2b7c4d6e8f';

/** Every variable without a default, with values that pass. */
const REQUIRED = {
  TRIPLESEAT_CLIENT_ID: 'ts-client',
  TRIPLESEAT_CLIENT_SECRET: 'ts-secret-value-1234',
  TRIPLESEAT_WEBHOOK_SIGNING_KEY: 'whsec-value-5678',
  REVEL_API_BASE_URL: 'https://pinkbox.revelup.com',
  REVEL_API_KEY: 'revel-key-value',
  REVEL_API_SECRET: 'revel-secret-value-9abc',
  SYNC_API_TOKEN: STRONG,
} as const;

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('bearer token rules', () => {
  it('should accept 32 characters or more of a random-looking token', () => {
    expect(problemsOf({ ...REQUIRED })).toEqual([]);
    expect(
      problemsOf({ ...REQUIRED, CONSOLE_TOKEN: `${STRONG}x`, METRICS_TOKEN: STRONG.toUpperCase() }),
    ).toEqual([]);
  });

  it.each(['SYNC_API_TOKEN', 'CONSOLE_TOKEN', 'METRICS_TOKEN'])(
    'should refuse a weak %s, say why and how to make one, and never show it',
    (name) => {
      const weak: [string, RegExp][] = [
        ['aaaaaaaaaaaaaaaa', /must be at least 32 characters/],
        ['password12345678', /must be at least 32 characters/],
        [' '.repeat(16), /is only whitespace/],
        [' '.repeat(40), /is only whitespace/],
        ['a'.repeat(40), /is one character repeated/],
        [` ${STRONG}`, /starts or ends with whitespace/],
        [`${STRONG}\t`, /starts or ends with whitespace/],
      ];
      for (const [value, why] of weak) {
        const problems = problemsOf({ ...REQUIRED, [name]: value });
        const problem = problems.find((p) => p.startsWith(`${name}:`));
        expect(problem).toMatch(why);
        expect(problem).toContain('make one with `openssl rand -hex 32`');
        expect(problem).toMatch(/\(value hidden\)$/);
        if (value.trim() !== '') expect(problems.join('\n')).not.toContain(value.trim());
      }
    },
  );
});

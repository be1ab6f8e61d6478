import { ConfigValidationError, EnvironmentVariables, validateEnvironment } from './environment';

/** Every variable without a default, with values that pass. */
const REQUIRED = {
  TRIPLESEAT_CLIENT_ID: 'ts-client',
  TRIPLESEAT_CLIENT_SECRET: 'ts-secret-value-1234',
  TRIPLESEAT_WEBHOOK_SIGNING_KEY: 'whsec-value-5678',
  REVEL_API_BASE_URL: 'https://pinkbox.revelup.com',
  REVEL_API_KEY: 'revel-key-value',
  REVEL_API_SECRET: 'revel-secret-value-9abc',
  SYNC_API_TOKEN: 'sync-api-token-0123456789abcdef0123',
} as const;

function validationErrorOf(raw: Record<string, unknown>): ConfigValidationError {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected validateEnvironment to throw a ConfigValidationError');
}

describe(validateEnvironment.name, () => {
  it('should accept a complete environment and apply the documented defaults', () => {
    const env = validateEnvironment({ ...REQUIRED });

    expect(env).toBeInstanceOf(EnvironmentVariables);
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite:./data/sync.db',
      LOG_LEVEL: 'info',
      TRIPLESEAT_API_BASE_URL: 'https://api.tripleseat.com/v1',
      TRIPLESEAT_OAUTH_TOKEN_URL: 'https://api.tripleseat.com/oauth2/token',
      LOCATIONS_FILE: './config/locations.json',
      ELIGIBLE_STATUSES: ['CLOSED'],
      DRY_RUN: false,
      ENABLE_CONNECTOR: true,
      RECONCILE_ENABLED: true,
      RECONCILE_INTERVAL_MINUTES: 45,
      RECONCILE_LOOKBACK_HOURS: 48,
      WEBHOOK_TOLERANCE_SECONDS: 300,
    });
    expect(env.ALLOWED_LOCATIONS).toBeUndefined();
    expect(env.SMTP_URL).toBeUndefined();
    expect(env.SYNC_API_TOKEN).toBe(REQUIRED.SYNC_API_TOKEN);
  });

  it('should have no TripleSeat auth mode: OAuth 2.0 client credentials are the only one (upstream-facts §1.1)', () => {
    const env = validateEnvironment({ ...REQUIRED });

    // OAuth 1.0 was shut down by TripleSeat on 2026-07-01; TRIPLESEAT_AUTH is gone with it.
    expect(env).not.toHaveProperty('TRIPLESEAT_AUTH');
    expect(Object.keys(new EnvironmentVariables())).not.toContain('TRIPLESEAT_AUTH');
  });

  it('should default and parse the invoice rules, naming a regex that does not compile', () => {
    const env = validateEnvironment({ ...REQUIRED });
    expect(env.INVOICE_DOCUMENT_PATTERN).toBe('invoice');
    expect(env.IGNORED_LINE_CATEGORIES).toEqual([
      'Rental',
      'Room Rental',
      'Room Fee',
      'Labor',
      'Staffing',
      'Audio Visual',
      'Fees',
    ]);
    const custom = validateEnvironment({
      ...REQUIRED,
      INVOICE_DOCUMENT_PATTERN: '^(final )?invoice|BEO',
      IGNORED_LINE_CATEGORIES: 'Room Rental, Valet ,',
    });
    expect(custom.IGNORED_LINE_CATEGORIES).toEqual(['Room Rental', 'Valet']);
    expect(
      validationErrorOf({ ...REQUIRED, INVOICE_DOCUMENT_PATTERN: 'invoice(' }).problems,
    ).toEqual([
      expect.stringMatching(/^INVOICE_DOCUMENT_PATTERN: is not a valid regular expression/),
    ]);
  });

  it('should convert numbers, booleans and comma lists from their text form', () => {
    const env = validateEnvironment({
      ...REQUIRED,
      PORT: '8080',
      DRY_RUN: 'yes',
      ENABLE_CONNECTOR: 'off',
      RECONCILE_LOOKBACK_HOURS: '72',
      ELIGIBLE_STATUSES: ' CLOSED , DEFINITE ,',
      ALLOWED_LOCATIONS: '31883,40009',
      DATABASE_URL: 'postgres://sync@db:5432/sync',
    });

    expect(env.PORT).toBe(8080);
    expect(env.DRY_RUN).toBe(true);
    expect(env.ENABLE_CONNECTOR).toBe(false);
    expect(env.RECONCILE_LOOKBACK_HOURS).toBe(72);
    expect(env.ELIGIBLE_STATUSES).toEqual(['CLOSED', 'DEFINITE']);
    expect(env.ALLOWED_LOCATIONS).toEqual(['31883', '40009']);
    expect(env.DATABASE_URL).toBe('postgres://sync@db:5432/sync');
  });

  it('should treat an empty value as not set, so the default applies', () => {
    const env = validateEnvironment({ ...REQUIRED, PORT: '', DRY_RUN: '' });

    expect(env.PORT).toBe(3000);
    expect(env.DRY_RUN).toBe(false);
  });

  it.each(Object.keys(REQUIRED))(
    'should name %s as required when it is missing or empty',
    (name) => {
      const missing: Record<string, unknown> = { ...REQUIRED };
      delete missing[name];
      const empty = { ...REQUIRED, [name]: '' };

      for (const raw of [missing, empty]) {
        const error = validationErrorOf(raw);
        expect(error.problems).toEqual([`${name}: is required but not set`]);
        expect(error.message).toBe(`Invalid configuration:\n  - ${name}: is required but not set`);
      }
    },
  );

  it('should name every missing secret in one error', () => {
    const error = validationErrorOf({});

    expect(error.problems).toEqual(
      expect.arrayContaining(
        Object.keys(REQUIRED).map((name) => `${name}: is required but not set`),
      ),
    );
    expect(error.problems).toHaveLength(Object.keys(REQUIRED).length);
    expect(error.message).toContain('TRIPLESEAT_CLIENT_SECRET: is required but not set');
  });

  it('should name several bad values at once in one ConfigValidationError message', () => {
    const error = validationErrorOf({
      ...REQUIRED,
      PORT: 'abc',
      DRY_RUN: 'maybe',
      RECONCILE_LOOKBACK_HOURS: '0',
      DATABASE_URL: 'mysql://sync:hunter2@db:3306/sync',
      SMTP_URL: 'smtp://notify:mail-pass-42@mail.local:587',
      NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
    });

    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error.name).toBe('ConfigValidationError');
    expect(error.problems).toHaveLength(5);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid configuration:');
    expect(lines.slice(1)).toEqual(error.problems.map((p) => `  - ${p}`));
    expect(error.message).toMatch(/PORT: .*must be an integer number.*\(got "abc"\)/);
    expect(error.message).toMatch(/DRY_RUN: .*boolean.*\(got "maybe"\)/);
    expect(error.message).toMatch(/RECONCILE_LOOKBACK_HOURS: .*not be less than 1.*\(got 0\)/);
    expect(error.message).toMatch(
      /DATABASE_URL: must be sqlite:<path> or postgres:.*\(value hidden\)/,
    );
    expect(error.message).toContain(
      'NOTIFY_EMAIL_FROM / NOTIFY_EMAIL_TO: required when SMTP_URL is set',
    );
  });

  it('should accept SMTP_URL when both NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO are set', () => {
    const env = validateEnvironment({
      ...REQUIRED,
      SMTP_URL: 'smtp://127.0.0.1:2525',
      NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
      NOTIFY_EMAIL_TO: 'ops@pinkbox.test, owner@pinkbox.test',
    });

    expect(env.NOTIFY_EMAIL_TO).toEqual(['ops@pinkbox.test', 'owner@pinkbox.test']);
  });

  it.each([
    ['SYNC_API_TOKEN', 'too-short-tok'],
    ['DATABASE_URL', 'mysql://sync:db-pass-31337@db/sync'],
    ['SMTP_URL', 'ftp://notify:mail-pass-31337@mail.local'],
  ])('should never echo the bad value of the secret %s', (name, value) => {
    const error = validationErrorOf({
      ...REQUIRED,
      NOTIFY_EMAIL_FROM: 'sync@pinkbox.test',
      NOTIFY_EMAIL_TO: 'ops@pinkbox.test',
      [name]: value,
    });

    const problem = error.problems.find((p) => p.startsWith(`${name}:`));
    expect(problem).toMatch(/\(value hidden\)$/);
    expect(error.message).not.toContain(value);
    expect(error.message).not.toMatch(/31337|too-short-tok/);
  });

  it('should default the request bounds, the unsigned webhook budget and the retention, and bound them', () => {
    expect(validateEnvironment({ ...REQUIRED })).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10000,
      HTTP_BODY_TIMEOUT_MS: 10000,
      WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE: 600,
      LEDGER_RETENTION_DAYS: 30,
    });
    expect(
      validateEnvironment({ ...REQUIRED, LEDGER_RETENTION_DAYS: '0' }).LEDGER_RETENTION_DAYS,
    ).toBe(0);
    const error = validationErrorOf({
      ...REQUIRED,
      LEDGER_RETENTION_DAYS: '-1',
      HTTP_BODY_TIMEOUT_MS: '5',
      HTTP_HEADERS_TIMEOUT_MS: 'soon',
    });
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'HTTP_BODY_TIMEOUT_MS',
      'HTTP_HEADERS_TIMEOUT_MS',
      'LEDGER_RETENTION_DAYS',
    ]);
  });

  it('should show the bad value of a variable that is not a secret', () => {
    const error = validationErrorOf({ ...REQUIRED, LOG_LEVEL: 'verbose' });

    expect(error.problems).toEqual([expect.stringMatching(/^LOG_LEVEL: .*\(got "verbose"\)$/)]);
  });
});

describe('UNMATCHED_POLICY and UNMATCHED_WRITE_LEAD_MINUTES', () => {
  it('should hold, three hours before the start, by default', () => {
    expect(validateEnvironment({ ...REQUIRED })).toMatchObject({
      UNMATCHED_POLICY: 'hold',
      UNMATCHED_WRITE_LEAD_MINUTES: 180,
    });
    expect(
      validateEnvironment({
        ...REQUIRED,
        UNMATCHED_POLICY: 'write',
        UNMATCHED_WRITE_LEAD_MINUTES: '0',
      }),
    ).toMatchObject({ UNMATCHED_POLICY: 'write', UNMATCHED_WRITE_LEAD_MINUTES: 0 });
  });

  it('should refuse anything else, naming the variable', () => {
    expect(validationErrorOf({ ...REQUIRED, UNMATCHED_POLICY: 'wait' }).problems).toEqual([
      expect.stringMatching(/^UNMATCHED_POLICY: /),
    ]);
    for (const lead of ['-1', '1441', '2.5', 'soon']) {
      expect(
        validationErrorOf({ ...REQUIRED, UNMATCHED_WRITE_LEAD_MINUTES: lead }).problems,
      ).toEqual([expect.stringMatching(/^UNMATCHED_WRITE_LEAD_MINUTES: /)]);
    }
  });
});

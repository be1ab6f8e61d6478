import { registerAs } from '@nestjs/config';
import { ConfigValidationError, EnvironmentVariables, validateEnvironment } from './environment';
import { loadLocationsFile, LocationMap } from './locations';

/**
 * ConfigModule's `validate`: checks every variable and the location map together, so one start-up
 * message names every problem. Throws ConfigValidationError; main.ts prints it without a stack.
 */
export function validateConfiguration(raw: Record<string, unknown>): Record<string, unknown> {
  let env: EnvironmentVariables | undefined;
  const problems: string[] = [];
  try {
    env = validateEnvironment(raw);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    problems.push(...error.problems);
  }
  const file =
    typeof raw.LOCATIONS_FILE === 'string' && raw.LOCATIONS_FILE
      ? raw.LOCATIONS_FILE
      : new EnvironmentVariables().LOCATIONS_FILE;
  problems.push(...loadLocationsFile(file).problems);
  if (problems.length > 0 || !env) throw new ConfigValidationError(problems);
  return raw;
}

const env = (): EnvironmentVariables => validateEnvironment(process.env);

export const appConfig = registerAs('app', () => {
  const e = env();
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databaseStartupWaitSeconds: e.DATABASE_STARTUP_WAIT_SECONDS,
    metricsToken: e.METRICS_TOKEN,
  };
});

export const tripleseatConfig = registerAs('tripleseat', () => {
  const e = env();
  return {
    apiBaseUrl: e.TRIPLESEAT_API_BASE_URL.replace(/\/+$/, ''),
    tokenUrl: e.TRIPLESEAT_OAUTH_TOKEN_URL,
    clientId: e.TRIPLESEAT_CLIENT_ID,
    clientSecret: e.TRIPLESEAT_CLIENT_SECRET,
    webhookSigningKey: e.TRIPLESEAT_WEBHOOK_SIGNING_KEY,
    webhookPreviousSigningKey: e.TRIPLESEAT_WEBHOOK_SIGNING_KEY_PREVIOUS,
    webhookToleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS,
    ratePerSecond: e.TRIPLESEAT_RATE_LIMIT_PER_SECOND,
    timeoutMs: e.UPSTREAM_TIMEOUT_MS,
    maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
  };
});

export const revelConfig = registerAs('revel', () => {
  const e = env();
  return {
    apiBaseUrl: e.REVEL_API_BASE_URL.replace(/\/+$/, ''),
    apiKey: e.REVEL_API_KEY,
    apiSecret: e.REVEL_API_SECRET,
    userId: e.REVEL_USER_ID,
    posStationId: e.REVEL_POS_STATION_ID,
    diningOptionId: e.REVEL_DINING_OPTION_ID,
    discountId: e.REVEL_DISCOUNT_ID,
    paymentTypeId: e.REVEL_PAYMENT_TYPE_ID,
    localIdTemplate: e.REVEL_LOCAL_ID_TEMPLATE,
    productCacheTtlSeconds: e.PRODUCT_CACHE_TTL_SECONDS,
    writeSettleSeconds: e.REVEL_WRITE_SETTLE_SECONDS ?? e.REVEL_CREATE_SETTLE_SECONDS,
    ratePerSecond: e.REVEL_RATE_LIMIT_PER_SECOND,
    timeoutMs: e.UPSTREAM_TIMEOUT_MS,
    maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
  };
});

export const syncConfig = registerAs('sync', () => {
  const e = env();
  const locations: LocationMap = loadLocationsFile(e.LOCATIONS_FILE).map;
  return {
    locations,
    eligibleStatuses: e.ELIGIBLE_STATUSES.map((s) => s.toUpperCase()),
    allowedLocations: e.ALLOWED_LOCATIONS?.length ? e.ALLOWED_LOCATIONS : undefined,
    dryRun: e.DRY_RUN,
    enableConnector: e.ENABLE_CONNECTOR,
    fuzzyThreshold: e.FUZZY_MATCH_THRESHOLD,
    invoiceDocumentPattern: new RegExp(e.INVOICE_DOCUMENT_PATTERN, 'i'),
    ignoredLineCategories: e.IGNORED_LINE_CATEGORIES,
    unmatchedPolicy: e.UNMATCHED_POLICY,
    unmatchedWriteLeadMinutes: e.UNMATCHED_WRITE_LEAD_MINUTES,
    reconcileEnabled: e.RECONCILE_ENABLED,
    reconcileIntervalMinutes: e.RECONCILE_INTERVAL_MINUTES,
    reconcileLookbackHours: e.RECONCILE_LOOKBACK_HOURS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerPollMs: e.WORKER_POLL_MS,
    leaseSeconds: e.WORKER_LEASE_SECONDS,
    maxAttempts: e.MAX_ATTEMPTS,
    retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: e.RETRY_MAX_DELAY_MS,
    apiToken: e.SYNC_API_TOKEN,
  };
});

export const httpConfig = registerAs('http', () => {
  const e = env();
  return {
    webhookPerMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    webhookUnsignedPerMinute: e.WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE,
    webhookMaxEventIds: e.WEBHOOK_MAX_EVENT_IDS,
    apiPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: e.HTTP_BODY_TIMEOUT_MS,
    maxConnections: e.HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  };
});

export const consoleConfig = registerAs('console', () => {
  const e = env();
  return {
    enabled: e.CONSOLE_ENABLED,
    /** CONSOLE_TOKEN, else SYNC_API_TOKEN. */
    token: e.CONSOLE_TOKEN ?? e.SYNC_API_TOKEN,
    sessionMs: e.CONSOLE_SESSION_HOURS * 3_600_000,
    signInFailuresPer15Minutes: e.CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES,
  };
});

export const ledgerConfig = registerAs('ledger', () => {
  const e = env();
  return { retentionDays: e.LEDGER_RETENTION_DAYS };
});

export const mailConfig = registerAs('mail', () => {
  const e = env();
  return { smtpUrl: e.SMTP_URL, from: e.NOTIFY_EMAIL_FROM, to: e.NOTIFY_EMAIL_TO ?? [] };
});

export const allConfigNamespaces = [
  appConfig,
  tripleseatConfig,
  revelConfig,
  syncConfig,
  mailConfig,
  httpConfig,
  ledgerConfig,
  consoleConfig,
];

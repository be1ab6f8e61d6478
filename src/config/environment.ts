import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';

/** Thrown once at start-up with every problem in the configuration named. */
export class ConfigValidationError extends Error {
  override readonly name = 'ConfigValidationError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
    ? Number(value)
    : value;
const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : value;

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every environment variable the service reads. Secrets have no default: a deployment that
 * forgets one must not start with a guessable value.
 */
export class EnvironmentVariables {
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'must be sqlite:<path> or postgres://user@host:port/db',
  })
  DATABASE_URL = 'sqlite:./data/sync.db';

  /**
   * How long start-up waits for a database that is unavailable (retrying, with a log line each
   * time) before it gives up; 0 gives up at once.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(86400)
  DATABASE_STARTUP_WAIT_SECONDS = 300;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  // TripleSeat
  @IsUrl(URL_OPTIONS)
  TRIPLESEAT_API_BASE_URL = 'https://api.tripleseat.com/v1';

  @IsUrl(URL_OPTIONS)
  TRIPLESEAT_OAUTH_TOKEN_URL = 'https://api.tripleseat.com/oauth2/token';

  @IsString()
  @IsNotEmpty()
  TRIPLESEAT_CLIENT_ID!: string;

  @IsString()
  @IsNotEmpty()
  TRIPLESEAT_CLIENT_SECRET!: string;

  @IsString()
  @IsNotEmpty()
  TRIPLESEAT_WEBHOOK_SIGNING_KEY!: string;

  /** The key being retired during a rotation: deliveries signed with it are still accepted. */
  @IsOptional()
  @IsString()
  TRIPLESEAT_WEBHOOK_SIGNING_KEY_PREVIOUS?: string;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(86400)
  WEBHOOK_TOLERANCE_SECONDS = 300;

  /** Event ids one delivery may queue (after de-duplication); the rest are left to reconciliation. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10000)
  WEBHOOK_MAX_EVENT_IDS = 50;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  TRIPLESEAT_RATE_LIMIT_PER_SECOND = 10;

  // Revel
  @IsUrl(URL_OPTIONS)
  REVEL_API_BASE_URL!: string;

  @IsString()
  @IsNotEmpty()
  REVEL_API_KEY!: string;

  @IsString()
  @IsNotEmpty()
  REVEL_API_SECRET!: string;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  REVEL_USER_ID = 1;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  REVEL_POS_STATION_ID = 4;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  REVEL_DINING_OPTION_ID = 113;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  REVEL_DISCOUNT_ID = 3358;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  REVEL_PAYMENT_TYPE_ID = 236;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  REVEL_RATE_LIMIT_PER_SECOND = 20;

  @IsString()
  @Matches(/\{eventId\}/, { message: 'must contain {eventId}' })
  REVEL_LOCAL_ID_TEMPLATE = 'Triple Seat_{eventId}';

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(86400)
  PRODUCT_CACHE_TTL_SECONDS = 600;

  /**
   * How long after a create (Order, OrderItem, Payment, OrderHistory) of unknown outcome before it
   * may be sent again, and before the order is read back. REVEL_CREATE_SETTLE_SECONDS is the same
   * setting under its older name; this one wins when both are set.
   */
  @IsOptional()
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(3600)
  REVEL_WRITE_SETTLE_SECONDS?: number;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(3600)
  REVEL_CREATE_SETTLE_SECONDS = 300;

  // Both upstreams
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(120000)
  UPSTREAM_TIMEOUT_MS = 10000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(10)
  UPSTREAM_MAX_ATTEMPTS = 4;

  // Policy
  @IsString()
  @IsNotEmpty()
  LOCATIONS_FILE = './config/locations.json';

  @Transform(toList)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  ELIGIBLE_STATUSES: string[] = ['CLOSED'];

  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  ALLOWED_LOCATIONS?: string[];

  @Transform(toBoolean)
  @IsBoolean()
  DRY_RUN = false;

  @Transform(toBoolean)
  @IsBoolean()
  ENABLE_CONNECTOR = true;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.5)
  @Max(1)
  FUZZY_MATCH_THRESHOLD = 0.75;

  /**
   * Case-insensitive regex on a document's `title` that marks the invoice (docs/architecture.md,
   * 'Which document').
   */
  @IsString()
  @IsNotEmpty()
  INVOICE_DOCUMENT_PATTERN = 'invoice';

  /**
   * Line-item categories that are venue charges, not food (docs/architecture.md, 'Which lines');
   * compared case-insensitively.
   */
  @Transform(toList)
  @IsString({ each: true })
  IGNORED_LINE_CATEGORIES: string[] = [
    'Rental',
    'Room Rental',
    'Room Fee',
    'Labor',
    'Staffing',
    'Audio Visual',
    'Fees',
  ];

  /**
   * What happens on its day to an event with lines that match no Revel product: `hold` it until
   * they are mapped (or its deadline), or `write` at once with what matches.
   */
  @IsIn(['hold', 'write'])
  UNMATCHED_POLICY: 'hold' | 'write' = 'hold';

  /** A held event is written with what matches this many minutes before its start at the site. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(1440)
  UNMATCHED_WRITE_LEAD_MINUTES = 180;

  // Reconciliation and worker
  @Transform(toBoolean)
  @IsBoolean()
  RECONCILE_ENABLED = true;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1440)
  RECONCILE_INTERVAL_MINUTES = 45;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(720)
  RECONCILE_LOOKBACK_HOURS = 48;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 16;

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(60000)
  WORKER_POLL_MS = 1000;

  @Transform(toNumber)
  @IsInt()
  @Min(5)
  @Max(3600)
  WORKER_LEASE_SECONDS = 120;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100)
  MAX_ATTEMPTS = 8;

  @Transform(toNumber)
  @IsInt()
  @Min(100)
  RETRY_BASE_DELAY_MS = 30000;

  @Transform(toNumber)
  @IsInt()
  @Min(1000)
  RETRY_MAX_DELAY_MS = 3600000;

  /**
   * Webhook deliveries and finished reconciliation runs older than this many days are pruned (an
   * hourly job, one replica per hour); event rows and their history are kept. 0 keeps everything.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(3650)
  LEDGER_RETENTION_DAYS = 30;

  // API
  /** Checked by tokenProblem (below), like every bearer secret we choose ourselves. */
  @IsString()
  SYNC_API_TOKEN!: string;

  // Abuse protection, per client address and replica
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WEBHOOK_RATE_LIMIT_PER_MINUTE = 60000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  API_RATE_LIMIT_PER_MINUTE = 600;

  /**
   * Unsigned (or wrongly signed) webhook requests per client address and minute. A budget of their
   * own: junk never spends the signed deliveries' WEBHOOK_RATE_LIMIT_PER_MINUTE.
   */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE = 600;

  /** How long a client may take to send a request's headers. */
  @Transform(toNumber)
  @IsInt()
  @Min(1000)
  @Max(120000)
  HTTP_HEADERS_TIMEOUT_MS = 10000;

  /** How long a client may take to send a request's body once its headers arrived (then 408). */
  @Transform(toNumber)
  @IsInt()
  @Min(100)
  @Max(120000)
  HTTP_BODY_TIMEOUT_MS = 10000;

  /** Open connections the server keeps at most; more are closed as they arrive. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1000000)
  HTTP_MAX_CONNECTIONS = 800;

  /** Open connections one peer address may hold at once (0: no cap); more are closed at once. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(1000000)
  HTTP_MAX_CONNECTIONS_PER_ADDRESS = 256;

  // Operator console (/console)
  /** `false` turns the console off: its routes answer 404. */
  @Transform(toBoolean)
  @IsBoolean()
  CONSOLE_ENABLED = true;

  /** The console's sign-in token; SYNC_API_TOKEN when unset. */
  @IsOptional()
  @IsString()
  CONSOLE_TOKEN?: string;

  /** How long a console session lasts after sign-in. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(168)
  CONSOLE_SESSION_HOURS = 12;

  /** Wrong console sign-in tokens allowed per client address per 15 minutes (then 429). */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1000)
  CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES = 10;

  /** Express `trust proxy`: set behind a load balancer so client addresses come from X-Forwarded-For. */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  /** When set, `/metrics` requires `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;

  // Mail
  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'must be smtp://host:port or smtps://…' })
  SMTP_URL?: string;

  @IsOptional()
  @IsString()
  NOTIFY_EMAIL_FROM?: string;

  @IsOptional()
  @Transform(toList)
  @IsString({ each: true })
  NOTIFY_EMAIL_TO?: string[];
}

const SECRET_NAMES = new Set([
  'TRIPLESEAT_CLIENT_SECRET',
  'TRIPLESEAT_WEBHOOK_SIGNING_KEY',
  'TRIPLESEAT_WEBHOOK_SIGNING_KEY_PREVIOUS',
  'REVEL_API_KEY',
  'REVEL_API_SECRET',
  'SYNC_API_TOKEN',
  'CONSOLE_TOKEN',
  'METRICS_TOKEN',
  'SMTP_URL',
  'DATABASE_URL',
]);

/** The bearer secrets the operator chooses (TripleSeat and Revel issue the others). */
const BEARER_TOKENS = ['SYNC_API_TOKEN', 'CONSOLE_TOKEN', 'METRICS_TOKEN'] as const;
export const MIN_TOKEN_LENGTH = 32;

/** Why a bearer token is too weak to guard the service, or undefined when it is fine. */
export function tokenProblem(token: string): string | undefined {
  if (token.trim() === '') return 'is only whitespace';
  if (token !== token.trim()) return 'starts or ends with whitespace';
  if (token.length < MIN_TOKEN_LENGTH) return `must be at least ${MIN_TOKEN_LENGTH} characters`;
  if (new Set(token).size === 1) return 'is one character repeated';
  return undefined;
}

/** class-validator's checks of a value's kind, as opposed to its range or shape. */
const TYPE_CONSTRAINTS = ['isInt', 'isNumber', 'isBoolean', 'isString', 'isNotEmpty'];

/** One message per problem: a value that is not a number is not also "less than 0". */
function describe(error: ValidationError): string[] {
  if (error.value === undefined) return [`${error.property}: is required but not set`];
  const constraints = error.constraints ?? {};
  // The kind of value first: "abc" is not a number, which says more than any range would.
  const kind = TYPE_CONSTRAINTS.find((name) => constraints[name] !== undefined);
  const first = kind ? constraints[kind] : Object.values(constraints)[0];
  const problems = (first ?? 'is not valid').replace(new RegExp(`^${error.property} `), '');
  const shown = SECRET_NAMES.has(error.property)
    ? 'value hidden'
    : `got ${JSON.stringify(error.value)}`;
  return [`${error.property}: ${problems} (${shown})`];
}

/** Validates the environment; throws one ConfigValidationError naming every problem. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  // Empty strings mean "not set": `FOO=` in a .env file must not override a default with ''.
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== '' && value !== undefined) input[key] = value;
  }
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  const problems = errors.flatMap(describe);
  for (const name of BEARER_TOKENS) {
    const token = env[name];
    const problem = typeof token === 'string' ? tokenProblem(token) : undefined;
    if (problem) {
      problems.push(`${name}: ${problem}; make one with \`openssl rand -hex 32\` (value hidden)`);
    }
  }
  if (env.SMTP_URL && (!env.NOTIFY_EMAIL_FROM || !env.NOTIFY_EMAIL_TO?.length)) {
    problems.push('NOTIFY_EMAIL_FROM / NOTIFY_EMAIL_TO: required when SMTP_URL is set');
  }
  if (typeof env.INVOICE_DOCUMENT_PATTERN === 'string') {
    try {
      new RegExp(env.INVOICE_DOCUMENT_PATTERN, 'i');
    } catch (error) {
      problems.push(
        `INVOICE_DOCUMENT_PATTERN: is not a valid regular expression (${(error as Error).message})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return env;
}

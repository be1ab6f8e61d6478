/**
 * `npm run sandbox`: the TripleSeat and Revel stand-ins on loopback, for trying the service by hand.
 *
 *   npm run sandbox -- --tripleseat-port 4010 --revel-port 4020
 *
 * Credentials come from the same environment variables the service reads (demo values when unset),
 * so one `.env` serves both. The Revel catalogue is seeded for establishments 4 and 9, the ones in
 * config/locations.example.json. Runs until Ctrl-C, then closes both servers.
 */
import { DateTime } from 'luxon';
import { fixtureProducts, RevelSandbox } from './revel.sandbox';
import { TripleSeatSandbox } from './tripleseat.sandbox';

/** Demo-only values: never use them for a real account. */
export const DEMO_CREDENTIALS = {
  tripleseatClientId: 'demo-tripleseat-client',
  tripleseatClientSecret: 'demo-tripleseat-secret-0123456789',
  webhookSigningKey: 'demo-webhook-signing-key-0123456789',
  revelApiKey: 'demo-revel-key',
  revelApiSecret: 'demo-revel-secret-0123456789',
} as const;

/** Establishments of config/locations.example.json. */
export const DEMO_ESTABLISHMENTS = [4, 9] as const;

/** The service's API token in config/sandbox.env (and the demo's): a demo value, not a secret. */
export const DEMO_SYNC_API_TOKEN = 'demo-sync-api-token-0123456789abcdef0123';

/** The location map the sandboxes' catalogue is seeded for. */
export const SANDBOX_LOCATIONS_FILE = './config/locations.example.json';

export interface SandboxCredentials {
  tripleseatClientId: string;
  tripleseatClientSecret: string;
  webhookSigningKey: string;
  revelApiKey: string;
  revelApiSecret: string;
}

export interface Sandboxes {
  tripleseat: TripleSeatSandbox;
  revel: RevelSandbox;
  credentials: SandboxCredentials;
  /** The service's environment for talking to these sandboxes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface StartSandboxesOptions {
  tripleseatPort?: number;
  revelPort?: number;
  credentials?: Partial<SandboxCredentials>;
}

/** Credentials from the service's environment variables, demo values for any that are unset. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxCredentials {
  const pick = (name: string, fallback: string): string => {
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? value : fallback;
  };
  return {
    tripleseatClientId: pick('TRIPLESEAT_CLIENT_ID', DEMO_CREDENTIALS.tripleseatClientId),
    tripleseatClientSecret: pick(
      'TRIPLESEAT_CLIENT_SECRET',
      DEMO_CREDENTIALS.tripleseatClientSecret,
    ),
    webhookSigningKey: pick('TRIPLESEAT_WEBHOOK_SIGNING_KEY', DEMO_CREDENTIALS.webhookSigningKey),
    revelApiKey: pick('REVEL_API_KEY', DEMO_CREDENTIALS.revelApiKey),
    revelApiSecret: pick('REVEL_API_SECRET', DEMO_CREDENTIALS.revelApiSecret),
  };
}

/** Starts both sandboxes on 127.0.0.1 (free ports by default) with the Revel catalogue seeded. */
export async function startSandboxes(options: StartSandboxesOptions = {}): Promise<Sandboxes> {
  const credentials: SandboxCredentials = { ...DEMO_CREDENTIALS, ...options.credentials };
  const tripleseat = await TripleSeatSandbox.start({
    clientId: credentials.tripleseatClientId,
    clientSecret: credentials.tripleseatClientSecret,
    webhookSigningKey: credentials.webhookSigningKey,
    port: options.tripleseatPort ?? 0,
    host: '127.0.0.1',
  });
  let revel: RevelSandbox;
  try {
    revel = await RevelSandbox.start({
      apiKey: credentials.revelApiKey,
      apiSecret: credentials.revelApiSecret,
      port: options.revelPort ?? 0,
      host: '127.0.0.1',
    });
  } catch (error) {
    await tripleseat.close();
    throw error;
  }
  for (const establishment of DEMO_ESTABLISHMENTS) {
    revel.seedProducts(establishment, fixtureProducts());
  }
  const env: Record<string, string> = {
    TRIPLESEAT_API_BASE_URL: tripleseat.apiBaseUrl,
    TRIPLESEAT_OAUTH_TOKEN_URL: tripleseat.tokenUrl,
    TRIPLESEAT_CLIENT_ID: credentials.tripleseatClientId,
    TRIPLESEAT_CLIENT_SECRET: credentials.tripleseatClientSecret,
    TRIPLESEAT_WEBHOOK_SIGNING_KEY: credentials.webhookSigningKey,
    REVEL_API_BASE_URL: revel.url,
    REVEL_API_KEY: credentials.revelApiKey,
    REVEL_API_SECRET: credentials.revelApiSecret,
  };
  let closed = false;
  return {
    tripleseat,
    revel,
    credentials,
    env,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([tripleseat.close(), revel.close()]);
    },
  };
}

/**
 * The service's complete environment for these sandboxes: the variables of config/sandbox.env, in
 * its order, with the sandboxes' actual URLs and credentials (so it equals that file on the default
 * ports 4010 and 4020). SYNC_API_TOKEN comes from the environment when set, like the credentials.
 */
export function serviceEnvironment(
  sandboxes: Pick<Sandboxes, 'env'>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const token = env.SYNC_API_TOKEN;
  return {
    ...sandboxes.env,
    LOCATIONS_FILE: SANDBOX_LOCATIONS_FILE,
    SYNC_API_TOKEN: token !== undefined && token.trim() !== '' ? token : DEMO_SYNC_API_TOKEN,
  };
}

/**
 * An event for `date` (MM/DD/YYYY) at the Los Angeles site of config/locations.example.json, in
 * TripleSeat's API shape: 8 × TRIPLE OG at 3.60, invoice total 28.80. The banner's seeding example.
 */
export function exampleEvent(id: number, date: string): Record<string, unknown> {
  return {
    id,
    name: 'Sandbox party',
    status: 'CLOSED',
    event_date: date,
    location_id: 31883,
    site_id: 15691,
    grand_total: '28.80',
    documents: [
      {
        id: 1,
        title: 'Invoice',
        deleted_at: null,
        billing_totals: [],
        financials: { grand_total: '28.80' },
        line_items: [
          {
            id: 11,
            display_name: 'TRIPLE OG',
            quantity: '8',
            price: '3.60',
            category: { name: 'Food' },
          },
        ],
      },
    ],
  };
}

function portFlag(argv: readonly string[], name: string, fallback: number): number {
  const flag = `--${name}`;
  let raw: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === flag) raw = argv[i + 1];
    else if (arg.startsWith(`${flag}=`)) raw = arg.slice(flag.length + 1);
  });
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** What `npm run sandbox` prints at start-up. `today`: MM/DD/YYYY at the Los Angeles site. */
export function banner(
  sandboxes: Pick<Sandboxes, 'tripleseat' | 'revel' | 'env'>,
  env: NodeJS.ProcessEnv = process.env,
  today: string = DateTime.now().setZone('America/Los_Angeles').toFormat('MM/dd/yyyy'),
): string {
  const { tripleseat, revel } = sandboxes;
  const serviceEnv = serviceEnvironment(sandboxes, env);
  const example = JSON.stringify(exampleEvent(7002, today));
  const lines = [
    'TripleSeat and Revel sandboxes are running (loopback only; Ctrl-C to stop).',
    '',
    `  TripleSeat  ${tripleseat.url}   API ${tripleseat.apiBaseUrl}, token ${tripleseat.tokenUrl}`,
    '              (OAuth 2.0 client credentials; a wrong secret gets 401 invalid_client)',
    `  Revel       ${revel.url}   catalogue seeded for establishments ${DEMO_ESTABLISHMENTS.join(', ')}`,
    '',
    'Environment for the service: paste the block below into .env (config/sandbox.env holds the',
    'same for the default ports 4010 and 4020):',
    '',
    '# The service against the TripleSeat and Revel sandboxes (demo values, not real secrets)',
    ...Object.entries(serviceEnv).map(([name, value]) => `${name}=${value}`),
    '',
    'Seed an event for today at the Los Angeles site from the command line, then sync it (the',
    'service on port 3000):',
    '',
    `  curl -s ${tripleseat.url}/__sandbox/events -d '${example}'`,
    `  curl -s -X POST -H 'Authorization: Bearer ${serviceEnv.SYNC_API_TOKEN}' 'http://127.0.0.1:3000/api/sync/tripleseat?event_id=7002'`,
    '',
    'Admin routes (unauthenticated, never faulted):',
    '',
    `  TripleSeat ${tripleseat.url}/__sandbox`,
    '    GET    /events                 stored events',
    '    POST   /events                 upsert one event, an array, or {"events":[…]}, in TripleSeat\'s',
    '                                   API shape, each with an id; read as JSON whatever the',
    '                                   content type; answers {"upserted":N}',
    '    DELETE /events/:id             remove an event (the API then answers 404)',
    '    GET    /bookings               stored bookings',
    '    POST   /bookings               upsert a booking, an array, or {"bookings":[…]}',
    '    GET    /faults                 fault rules and their statistics',
    '    PUT    /faults                 replace the fault rules (JSON array)',
    '    DELETE /faults                 clear the fault rules',
    '    GET    /requests               API requests received, and counts by route',
    '    DELETE /requests               forget the request log',
    '    POST   /tokens/revoke          invalidate every issued OAuth 2.0 token (next call gets 401)',
    '    GET    /switches               the go-live failure switches below, as they are now',
    '    POST   /account-linked         {"linked":false}: tokens issued, every API call 401',
    '                                   "Token resource owner not found" (account not linked)',
    '    POST   /html-login             {"enabled":true}: API and token endpoint answer an HTML',
    '                                   sign-in page (200 text/html) instead of JSON',
    '    POST   /reset                  empty everything, switches back to normal',
    `  Revel      ${revel.url}/__sandbox`,
    '    GET    /orders                 orders with their items, payments and histories',
    '                                   (filters as query parameters, e.g. ?local_id=…)',
    '    POST   /products               seed a catalogue: {"establishmentId":4,"products":[…]}',
    '                                   (the fixture catalogue when "products" is absent)',
    '    GET    /faults                 fault rules',
    '    PUT    /faults                 replace the fault rules (a rule or an array)',
    '    DELETE /faults                 clear the fault rules',
    '    GET    /requests               API requests received, and counts by route',
    '    POST   /reset                  empty everything, products included',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sandboxes = await startSandboxes({
    tripleseatPort: portFlag(argv, 'tripleseat-port', 4010),
    revelPort: portFlag(argv, 'revel-port', 4020),
    credentials: credentialsFromEnv(),
  });
  console.log(banner(sandboxes));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: closing the sandboxes…`);
    sandboxes.close().then(
      () => {
        console.log('closed.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`close failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    const inUse = (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
    console.error(
      `sandbox start-up failed: ${error instanceof Error ? error.message : String(error)}` +
        (inUse
          ? ' (another sandbox may be running: stop it, or move these with --tripleseat-port N' +
            ' --revel-port N, and point the service at them as the banner then prints)'
          : ''),
    );
    process.exit(1);
  });
}

/**
 * A TripleSeat stand-in on loopback for unit tests, e2e tests, benchmarks and the demo.
 *
 * What the real search API looks like, and where that comes from:
 * - `GET https://api.tripleseat.com/v1/events/search.json`. The support article "Events API"
 *   (support.tripleseat.com/hc/en-us/articles/212171807) documents the event fields (`event_date`
 *   as MM/DD/YYYY, `event_date_iso8601`, `status` in PROSPECT/TENTATIVE/DEFINITE/CLOSED/LOST/
 *   WAITLIST, `show_financial=true` for line items); the excerpts available to us did not include
 *   its search section, so the parameters below come from public client code calling the live API.
 * - Parameters seen in that code: `event_start_date` / `event_end_date` (MM/DD/YYYY, a range on
 *   the event's date), `status` (lower case, e.g. `status=definite`), `page` (1-based), `query`
 *   (free text), `location_ids`, `site_id`, `event_updated_start_date` / `event_updated_end_date`
 *   (MM/DD/YYYY), `active`, `show_financial`.
 * - Page shape, confirmed by a live-response note in one of those clients and by a typed C#
 *   client (`[JsonPropertyName("total_pages")]`, `[JsonPropertyName("results")]`):
 *   `{ "results": [ {event…}, … ], "total_pages": N }`; an empty search has `total_pages: 0`.
 * - Unconfirmed: the page size (not settable by the caller as far as we know; configurable here,
 *   default 50), whether `status` takes a comma list (accepted here; the client sends one status
 *   per walk so it does not depend on it), and the names of sort parameters (`order` and
 *   `sort_direction` are accepted here; the client does not send them).
 *
 * Auth on /v1: `Authorization: Bearer <token>` from POST /oauth2/token (client credentials), or
 * OAuth 1.0a two-legged HMAC-SHA1 verified for real (signature over method + full URL with its
 * query, nonce not reusable). Fault injection applies to /oauth2 and /v1 only; /__sandbox admin
 * routes are neither faulted nor authenticated, which is why the server binds to loopback only.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import OAuth from 'oauth-1.0a';
import type { TripleSeatBooking, TripleSeatEvent } from '../src/tripleseat/tripleseat.types';
import {
  signTripleSeatPayload,
  signTripleSeatPayloadBare,
} from '../src/tripleseat/webhook-signature';
import { FaultInjector, type FaultRule, ruleFromJson } from './fault-injector';

/** Events as the API sends them carry more fields than the service reads. */
export type SandboxEvent = TripleSeatEvent & Record<string, unknown>;
export type SandboxBooking = TripleSeatBooking & Record<string, unknown>;

export type SandboxAuthKind = 'bearer' | 'oauth1' | 'none' | 'other';

export interface SandboxRequestRecord {
  method: string;
  path: string;
  /** Route pattern, e.g. `GET /v1/events/:id.json`; the key of `countsByRoute()`. */
  route: string;
  query: Record<string, string>;
  correlationId?: string;
  auth: SandboxAuthKind;
  /** Epoch milliseconds at arrival, before any injected latency. */
  at: number;
  /** Final status; undefined while in flight or when the connection was hung or dropped. */
  status?: number;
}

export interface TripleSeatSandboxOptions {
  clientId: string;
  clientSecret: string;
  webhookSigningKey?: string;
  tokenTtlSeconds?: number;
  pageSize?: number;
  port?: number;
  host?: string;
}

export interface SendWebhookOptions {
  format?: 'v1' | 'bare';
  /** Unix seconds for the `t=` part; now when absent. */
  timestamp?: number;
  /** Signing key; the sandbox's `webhookSigningKey` when absent. */
  key?: string;
  /** Exact bytes to send instead of `JSON.stringify(body)`. */
  rawBody?: string;
  /** Replaces the computed `X-Signature`; null sends none. */
  signature?: string | null;
}

export interface WebhookResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A canned answer for the next matching API request, after auth (e.g. an HTML login page). */
export interface RawResponse {
  path?: string;
  status: number;
  contentType: string;
  body: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const US_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const OAUTH1_TIMESTAMP_SKEW_SECONDS = 300;

/** YYYY-MM-DD → MM/DD/YYYY. */
export function toUsDate(iso: string): string {
  const m = ISO_DATE.exec(iso);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${iso}`);
  return `${m[2]}/${m[3]}/${m[1]}`;
}

/** MM/DD/YYYY → YYYY-MM-DD, or undefined when it is not a real calendar date. */
export function fromUsDate(us: string): string | undefined {
  const m = US_DATE.exec(us.trim());
  if (!m) return undefined;
  const iso = `${m[3]}-${m[1]}-${m[2]}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso
    ? iso
    : undefined;
}

function eventIsoDate(event: SandboxEvent): string | undefined {
  if (typeof event.event_date_iso8601 === 'string' && ISO_DATE.test(event.event_date_iso8601)) {
    return event.event_date_iso8601;
  }
  if (typeof event.event_date !== 'string') return undefined;
  return ISO_DATE.test(event.event_date) ? event.event_date : fromUsDate(event.event_date);
}

let fixtureSeq = 0;

/**
 * A rich event shaped like `GET /v1/events/55521609` (legacy reference §13.2). Give
 * `event_date_iso8601` or `event_date` alone and the other date fields follow it.
 */
export function fixtureEvent(overrides: Partial<SandboxEvent> = {}): SandboxEvent {
  fixtureSeq += 1;
  const given = typeof overrides.event_date === 'string' ? overrides.event_date : undefined;
  // TripleSeat sometimes sends event_date in ISO form; both are read here.
  const givenIso = given && ISO_DATE.test(given) ? given : given ? fromUsDate(given) : undefined;
  const iso = overrides.event_date_iso8601 ?? givenIso ?? '2025-12-28';
  // An explicit date that does not parse must not be rescued by a default ISO date.
  const garbled = 'event_date' in overrides && !givenIso && !overrides.event_date_iso8601;
  const us = toUsDate(iso);
  // The API also sends `views` (links to the public invoice page), which this service ignores.
  const invoice = {
    type: 'billing_invoice',
    subtotal: 108.8,
    grand_total: 108.8,
    total: 108.8,
    amount_due: 0,
    views: [
      {
        name: 'Invoice',
        url: 'https://portal.tripleseat.com/doc/0123456789abcdef0123456789abcdef01234567/296467',
      },
    ],
  };
  const base: SandboxEvent = {
    id: 55521609 + fixtureSeq - 1,
    name: 'Jon Ponder',
    status: 'CLOSED',
    event_date: us,
    event_date_iso8601: garbled ? null : iso,
    event_start: `${us} 6:00 PM`,
    event_end: `${us} 6:15 PM`,
    event_start_iso8601: `${iso}T18:00:00-08:00`,
    site_id: 15691,
    location_id: 31883,
    booking_id: 52511006,
    guest_count: 25,
    updated_at: `${us} 12:56 PM`,
    grand_total: '108.80',
    contact: {
      first_name: 'Jon',
      last_name: 'Ponder',
      phone_numbers: [{ number: '(702) 555-0142' }],
    },
    items: [
      { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
      { name: 'MAPLE BAR', quantity: '8', price: 3.2 },
    ],
    menu_items: [],
    documents: [invoice],
  };
  // Overrides win, so a test can still send a missing or garbled date on purpose.
  return { ...base, ...overrides };
}

/** A booking whose packing-slip custom field names one item (legacy reference §13.2). */
export function fixtureBooking(overrides: Partial<SandboxBooking> = {}): SandboxBooking {
  return {
    id: 52511006,
    site_id: 15691,
    location_id: 31883,
    event_ids: [55521609],
    status: 'CLOSED',
    custom_fields: [{ custom_field_name: 'Boxing/Packing Slip', value: 'TRIPLE OG' }],
    ...overrides,
  };
}

function routeOf(method: string, path: string): string {
  if (path === '/oauth2/token') return `${method} /oauth2/token`;
  if (path === '/v1/events/search.json') return `${method} /v1/events/search.json`;
  if (/^\/v1\/events\/[^/]+$/.test(path)) return `${method} /v1/events/:id.json`;
  if (/^\/v1\/bookings\/[^/]+$/.test(path)) return `${method} /v1/bookings/:id.json`;
  return `${method} ${path}`;
}

function authKind(header: string | undefined): SandboxAuthKind {
  if (!header) return 'none';
  if (/^bearer\s/i.test(header)) return 'bearer';
  if (/^oauth\s/i.test(header)) return 'oauth1';
  return 'other';
}

function queryOf(originalUrl: string): Record<string, string> {
  const q = originalUrl.indexOf('?');
  const out: Record<string, string> = {};
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(originalUrl.slice(q + 1))) out[k] = v;
  return out;
}

function idFromParam(param: string | string[] | undefined): string {
  const value = Array.isArray(param) ? param.join('/') : (param ?? '');
  return value.replace(/\.json$/, '');
}

/** `OAuth k="v", …` → decoded map; undefined when it does not parse. */
function parseOAuthHeader(header: string): Record<string, string> | undefined {
  const body = header.replace(/^oauth\s+/i, '');
  const out: Record<string, string> = {};
  for (const part of body.split(',')) {
    const m = /^\s*([A-Za-z0-9_]+)="([^"]*)"\s*$/.exec(part);
    if (!m) return undefined;
    try {
      out[m[1]] = decodeURIComponent(m[2]);
    } catch {
      return undefined;
    }
  }
  return out;
}

function safeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function asArray<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object' && Array.isArray((body as Record<string, unknown>)[key])) {
    return (body as Record<string, T[]>)[key];
  }
  return [body as T];
}

function hasId(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const id = (value as { id?: unknown }).id;
  return (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id !== '');
}

function serializeRule(rule: FaultRule): Record<string, unknown> {
  return { ...rule, path: rule.path instanceof RegExp ? `re:${rule.path.source}` : rule.path };
}

export class TripleSeatSandbox {
  readonly faults = new FaultInjector();
  readonly url: string;
  readonly apiBaseUrl: string;
  readonly tokenUrl: string;

  private readonly eventStore = new Map<string, SandboxEvent>();
  private readonly bookingStore = new Map<string, SandboxBooking>();
  private readonly tokens = new Map<string, number>();
  private readonly seenNonces = new Set<string>();
  private readonly log: SandboxRequestRecord[] = [];
  private readonly rawQueue: RawResponse[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly oauth1: OAuth;
  private issued = 0;
  private pageSize: number;
  private tokenTtlSeconds: number;

  private constructor(
    private readonly server: Server,
    private readonly options: TripleSeatSandboxOptions,
    port: number,
    host: string,
  ) {
    const hostPart = host.includes(':') ? `[${host}]` : host;
    this.url = `http://${hostPart}:${port}`;
    this.apiBaseUrl = `${this.url}/v1`;
    this.tokenUrl = `${this.url}/oauth2/token`;
    this.pageSize = options.pageSize ?? 50;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 7200;
    this.oauth1 = new OAuth({
      consumer: { key: options.clientId, secret: options.clientSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(opts: TripleSeatSandboxOptions): Promise<TripleSeatSandbox> {
    const host = opts.host ?? '127.0.0.1';
    if (!LOOPBACK.has(host)) {
      throw new Error(`the sandbox serves unauthenticated admin routes; refusing to bind ${host}`);
    }
    const app = express();
    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const sandbox = new TripleSeatSandbox(server, opts, port, host);
    sandbox.mount(app);
    return sandbox;
  }

  // ---- store -----------------------------------------------------------------------------

  upsertEvent(event: SandboxEvent): void {
    this.eventStore.set(String(event.id), structuredClone(event));
  }

  removeEvent(id: string | number): boolean {
    return this.eventStore.delete(String(id));
  }

  upsertBooking(booking: SandboxBooking): void {
    this.bookingStore.set(String(booking.id), structuredClone(booking));
  }

  events(): SandboxEvent[] {
    return [...this.eventStore.values()].map((e) => structuredClone(e));
  }

  bookings(): SandboxBooking[] {
    return [...this.bookingStore.values()].map((b) => structuredClone(b));
  }

  /** Empties the store, the request log, tokens, nonces, canned answers and fault rules. */
  reset(): void {
    this.eventStore.clear();
    this.bookingStore.clear();
    this.tokens.clear();
    this.seenNonces.clear();
    this.log.length = 0;
    this.rawQueue.length = 0;
    this.issued = 0;
    this.faults.clear();
  }

  setPageSize(size: number): void {
    if (!Number.isInteger(size) || size < 1)
      throw new Error('page size must be a positive integer');
    this.pageSize = size;
  }

  setTokenTtl(seconds: number): void {
    this.tokenTtlSeconds = seconds;
  }

  // ---- tokens ----------------------------------------------------------------------------

  get tokensIssued(): number {
    return this.issued;
  }

  /** Every token issued so far stops working; the next API call with one gets 401. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  // ---- observation -----------------------------------------------------------------------

  requests(): SandboxRequestRecord[] {
    return this.log.map((r) => ({ ...r, query: { ...r.query } }));
  }

  countsByRoute(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.log) counts[r.route] = (counts[r.route] ?? 0) + 1;
    return counts;
  }

  count(route: string): number {
    return this.log.filter((r) => r.route === route).length;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  /** The next API request matching `path` (prefix; any when absent) gets this answer. */
  queueRawResponse(response: RawResponse): void {
    this.rawQueue.push(response);
  }

  // ---- webhooks --------------------------------------------------------------------------

  /** POSTs a delivery signed the way TripleSeat signs (see webhook-signature.ts). */
  async sendWebhook(
    url: string,
    body: unknown,
    opts: SendWebhookOptions = {},
  ): Promise<WebhookResponse> {
    const raw = opts.rawBody ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.signature !== null) {
      headers['x-signature'] = opts.signature ?? this.signature(raw, opts);
    }
    const res = await fetch(url, { method: 'POST', headers, body: raw });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the caller sees the text as it came.
    }
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => (out[name] = value));
    return { status: res.status, body: parsed, headers: out };
  }

  private signature(raw: string, opts: SendWebhookOptions): string {
    const key = opts.key ?? this.options.webhookSigningKey;
    if (!key) throw new Error('sendWebhook needs a signing key (start option or opts.key)');
    return opts.format === 'bare'
      ? signTripleSeatPayloadBare(raw, key)
      : signTripleSeatPayload(raw, key, opts.timestamp ?? Math.floor(Date.now() / 1000));
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async close(): Promise<void> {
    this.faults.releaseHanging();
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private mount(app: express.Express): void {
    app.disable('x-powered-by');
    app.set('etag', false);

    const faults = this.faults.middleware();
    const upstream = (req: Request) =>
      req.path.startsWith('/v1/') || req.path.startsWith('/oauth2/');
    // Recorded before faults so that faulted attempts are visible to tests too.
    app.use((req, res, next) => (upstream(req) ? this.record(req, res, next) : next()));
    // Mounted at the root (not on a sub-path) so that fault rules match full paths like /v1/events.
    app.use((req, res, next) => (upstream(req) ? faults(req, res, next) : next()));

    app.post('/oauth2/token', express.urlencoded({ extended: false }), express.json(), (req, res) =>
      this.token(req, res),
    );

    const api = express.Router();
    api.use((req, res, next) => this.authenticate(req, res, next));
    api.use((req, res, next) => this.canned(req, res, next));
    api.get('/events/search.json', (req, res) => this.search(req, res));
    api.get('/events/:id', (req, res) => this.getOne(res, 'event', this.eventStore, req.params.id));
    api.get('/bookings/:id', (req, res) =>
      this.getOne(res, 'booking', this.bookingStore, req.params.id),
    );
    api.use((_req, res) => {
      res.status(404).json({ error: 'Not Found' });
    });
    app.use('/v1', api);

    app.use('/__sandbox', this.adminRouter());

    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status =
        err && typeof err === 'object' && 'status' in err && typeof err.status === 'number'
          ? err.status
          : 500;
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
    });
  }

  private record(req: Request, res: Response, next: NextFunction): void {
    const header = req.headers['x-correlation-id'];
    const entry: SandboxRequestRecord = {
      method: req.method,
      path: req.path,
      route: routeOf(req.method, req.path),
      query: queryOf(req.originalUrl),
      correlationId: Array.isArray(header) ? header[0] : header,
      auth: authKind(req.headers.authorization),
      at: Date.now(),
    };
    this.log.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    next();
  }

  private token(req: Request, res: Response): void {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type' });
      return;
    }
    const id = typeof body.client_id === 'string' ? body.client_id : '';
    const secret = typeof body.client_secret === 'string' ? body.client_secret : '';
    if (
      !safeEqualText(id, this.options.clientId) ||
      !safeEqualText(secret, this.options.clientSecret)
    ) {
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, Date.now() + this.tokenTtlSeconds * 1000);
    this.issued += 1;
    res.json({
      access_token: token,
      token_type: 'bearer',
      expires_in: this.tokenTtlSeconds,
      created_at: Math.floor(Date.now() / 1000),
    });
  }

  private authenticate(req: Request, res: Response, next: NextFunction): void {
    const header = req.headers.authorization ?? '';
    const kind = authKind(header);
    if (kind === 'bearer') {
      const token = header.replace(/^bearer\s+/i, '').trim();
      const expiresAt = this.tokens.get(token);
      if (expiresAt !== undefined && expiresAt > Date.now()) {
        next();
        return;
      }
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer error="invalid_token"')
        .json({ error: 'invalid_token' });
      return;
    }
    if (kind === 'oauth1') {
      const problem = this.oauth1Problem(req, header);
      if (!problem) {
        next();
        return;
      }
      res.status(401).json({ error: problem });
      return;
    }
    res.status(401).json({ error: 'unauthorized' });
  }

  /** Why an OAuth 1.0a header is refused, or undefined when it is good. */
  private oauth1Problem(req: Request, header: string): string | undefined {
    const params = parseOAuthHeader(header);
    if (!params) return 'malformed_oauth_header';
    const signature = params.oauth_signature;
    if (!signature || params.oauth_signature_method !== 'HMAC-SHA1') return 'unsupported_signature';
    if (params.oauth_consumer_key !== this.options.clientId) return 'invalid_consumer';
    const timestamp = Number(params.oauth_timestamp);
    if (
      !Number.isFinite(timestamp) ||
      Math.abs(Date.now() / 1000 - timestamp) > OAUTH1_TIMESTAMP_SKEW_SECONDS
    ) {
      return 'timestamp_refused';
    }
    const nonce = params.oauth_nonce;
    if (!nonce) return 'nonce_missing';

    const oauthData: OAuth.Data = {
      oauth_consumer_key: params.oauth_consumer_key,
      oauth_nonce: nonce,
      oauth_signature_method: params.oauth_signature_method,
      oauth_timestamp: timestamp,
      oauth_version: params.oauth_version ?? '1.0',
    };
    if (params.oauth_token !== undefined) oauthData.oauth_token = params.oauth_token;
    const fullUrl = `http://${req.headers.host ?? ''}${req.originalUrl}`;
    const expected = this.oauth1.getSignature(
      { url: fullUrl, method: req.method, data: {} },
      undefined,
      oauthData,
    );
    if (!safeEqualText(signature, expected)) return 'invalid_signature';
    // Only a correctly signed nonce is remembered, so garbage cannot poison the set.
    const nonceKey = `${timestamp}:${nonce}`;
    if (this.seenNonces.has(nonceKey)) return 'nonce_used';
    this.seenNonces.add(nonceKey);
    return undefined;
  }

  private canned(req: Request, res: Response, next: NextFunction): void {
    const at = this.rawQueue.findIndex((r) => !r.path || req.originalUrl.startsWith(r.path));
    if (at < 0) {
      next();
      return;
    }
    const [raw] = this.rawQueue.splice(at, 1);
    res.status(raw.status).type(raw.contentType).send(raw.body);
  }

  private getOne<T>(
    res: Response,
    key: 'event' | 'booking',
    store: Map<string, T>,
    param: string | string[] | undefined,
  ): void {
    const found = store.get(idFromParam(param));
    if (!found) {
      res.status(404).json({ error: `${key} not found` });
      return;
    }
    res.json({ [key]: found });
  }

  private search(req: Request, res: Response): void {
    const q = queryOf(req.originalUrl);
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(page) || page < 1) {
      res.status(400).json({ error: 'page must be a positive integer' });
      return;
    }
    const from = q.event_start_date ? fromUsDate(q.event_start_date) : undefined;
    const to = q.event_end_date ? fromUsDate(q.event_end_date) : undefined;
    if ((q.event_start_date && !from) || (q.event_end_date && !to)) {
      res.status(400).json({ error: 'event_start_date and event_end_date must be MM/DD/YYYY' });
      return;
    }
    const statuses = q.status
      ? new Set(
          q.status
            .split(',')
            .map((s) => s.trim().toUpperCase())
            .filter(Boolean),
        )
      : undefined;
    const locations = q.location_ids
      ? new Set(q.location_ids.split(',').map((s) => s.trim()))
      : undefined;
    const text = q.query?.trim().toLowerCase();

    const matches = [...this.eventStore.values()].filter((event) => {
      const date = eventIsoDate(event);
      if ((from || to) && !date) return false;
      if (from && date && date < from) return false;
      if (to && date && date > to) return false;
      if (statuses && !statuses.has(String(event.status ?? '').toUpperCase())) return false;
      if (locations && !locations.has(String(event.location_id ?? ''))) return false;
      if (q.site_id && String(event.site_id ?? '') !== q.site_id) return false;
      if (
        text &&
        !String(event.name ?? '')
          .toLowerCase()
          .includes(text)
      )
        return false;
      return true;
    });

    const direction = q.sort_direction?.toLowerCase() === 'desc' ? -1 : 1;
    const order = q.order ?? 'event_date';
    const sortKey = (e: SandboxEvent): string =>
      order === 'updated_at' || order === 'name' || order === 'id'
        ? String(e[order] ?? '')
        : (eventIsoDate(e) ?? '');
    // A total order (id breaks ties) keeps page boundaries stable between requests.
    matches.sort((a, b) => {
      const byKey = sortKey(a).localeCompare(sortKey(b));
      const byId = String(a.id).localeCompare(String(b.id), 'en', { numeric: true });
      return direction * (byKey !== 0 ? byKey : byId);
    });

    const totalPages = Math.ceil(matches.length / this.pageSize);
    const results = matches.slice((page - 1) * this.pageSize, page * this.pageSize);
    res.json({ results, total_pages: totalPages });
  }

  private adminRouter(): express.Router {
    const admin = express.Router();
    admin.use(express.json({ limit: '10mb' }));

    admin.get('/events', (_req, res) => {
      res.json({ events: this.events() });
    });
    admin.post('/events', (req, res) => {
      const events = asArray<SandboxEvent>(req.body, 'events');
      if (!events.every(hasId)) {
        res.status(400).json({ error: 'every event needs an id' });
        return;
      }
      events.forEach((e) => this.upsertEvent(e));
      res.json({ upserted: events.length });
    });
    admin.delete('/events/:id', (req, res) => {
      const removed = this.removeEvent(idFromParam(req.params.id));
      res.status(removed ? 204 : 404).end();
    });

    admin.get('/bookings', (_req, res) => {
      res.json({ bookings: this.bookings() });
    });
    admin.post('/bookings', (req, res) => {
      const bookings = asArray<SandboxBooking>(req.body, 'bookings');
      if (!bookings.every(hasId)) {
        res.status(400).json({ error: 'every booking needs an id' });
        return;
      }
      bookings.forEach((b) => this.upsertBooking(b));
      res.json({ upserted: bookings.length });
    });

    admin.get('/faults', (_req, res) => {
      res.json({ rules: this.faults.list().map(serializeRule), stats: this.faults.stats });
    });
    admin.put('/faults', (req, res) => {
      const body: unknown = req.body;
      if (!Array.isArray(body) || !body.every((r) => r && typeof r === 'object')) {
        res.status(400).json({ error: 'expected a JSON array of fault rules' });
        return;
      }
      this.faults.set((body as Record<string, unknown>[]).map(ruleFromJson));
      res.json({ rules: this.faults.list().map(serializeRule) });
    });
    admin.delete('/faults', (_req, res) => {
      this.faults.clear();
      res.status(204).end();
    });

    admin.get('/requests', (_req, res) => {
      res.json({ requests: this.requests(), counts: this.countsByRoute() });
    });
    admin.delete('/requests', (_req, res) => {
      this.clearRequests();
      res.status(204).end();
    });

    admin.post('/tokens/revoke', (_req, res) => {
      this.revokeTokens();
      res.status(204).end();
    });
    admin.post('/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    return admin;
  }
}

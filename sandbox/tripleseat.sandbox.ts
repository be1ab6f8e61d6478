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
 * Auth on /v1: `Authorization: Bearer <token>` from POST /oauth2/token (OAuth 2.0 client
 * credentials, upstream-facts §1.1); anything else is refused, OAuth 1.0 included (TripleSeat shut
 * it down on 2026-07-01). The three go-live failures of upstream-facts §1.1 can be switched on,
 * from code or over /__sandbox: a wrong secret (401 invalid_client at the token endpoint, always
 * on), an account that is not linked ({@link TripleSeatSandbox.setAccountLinked}: tokens are
 * issued, every /v1 call answers 401 "Token resource owner not found"), and an HTML login page
 * instead of JSON ({@link TripleSeatSandbox.setHtmlLogin}). Fault injection applies to /oauth2 and
 * /v1 only; /__sandbox admin routes are neither faulted nor authenticated, which is why the server
 * binds to loopback only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type SignatureFormat, signTripleSeatWebhook } from '../src/tripleseat/webhook-signature';
import { FaultInjector, type FaultRule, ruleFromJson } from './fault-injector';
import {
  fromUsDate,
  type SandboxBooking,
  type SandboxEvent,
  withoutFinancials,
} from './tripleseat.fixtures';

export {
  DEFAULT_FOOD,
  type FixtureLine,
  fixtureBooking,
  fixtureEvent,
  fromUsDate,
  invoiceDocument,
  type SandboxBooking,
  type SandboxDocument,
  type SandboxEvent,
  toUsDate,
  withoutFinancials,
} from './tripleseat.fixtures';

export type SandboxAuthKind = 'bearer' | 'none' | 'other';

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
  /**
   * The `X-Signature` form (upstream-facts §1.7): `v1` (default) `t=<unix>,v1=<hex>` over "<t>.<raw
   * body>"; `bare` the hex HMAC-SHA256 of the raw body; `base64` the same in base64; `sha256-hex`
   * and `sha256-base64` those two prefixed `sha256=`.
   */
  format?: SignatureFormat;
  /** Unix seconds for the `t=` part (format `v1` only); now when absent. */
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
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * What TripleSeat sends where JSON was expected when the credentials or the endpoint are wrong:
 * its sign-in page, with 200 (upstream-facts §1.1: "A wrong endpoint or bad credentials can
 * answer an HTML login page instead of JSON, with 200 or a redirect"; §1.6).
 */
export const LOGIN_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Tripleseat | Sign In</title></head>
<body>
<form action="/users/sign_in" method="post">
<label>Email <input type="email" name="user[email]"></label>
<label>Password <input type="password" name="user[password]"></label>
<button type="submit">Sign In</button>
</form>
</body>
</html>
`;

/**
 * The body of every /v1 answer while the account is not linked (upstream-facts §1.1, the old
 * connector's OAUTH_STATUS.md).
 */
export const RESOURCE_OWNER_NOT_FOUND = { error: 'Token resource owner not found' } as const;

function eventIsoDate(event: SandboxEvent): string | undefined {
  if (typeof event.event_date_iso8601 === 'string' && ISO_DATE.test(event.event_date_iso8601)) {
    return event.event_date_iso8601;
  }
  if (typeof event.event_date !== 'string') return undefined;
  return ISO_DATE.test(event.event_date) ? event.event_date : fromUsDate(event.event_date);
}

function routeOf(method: string, path: string): string {
  if (path === '/oauth2/token') return `${method} /oauth2/token`;
  if (path === '/v1/events/search.json') return `${method} /v1/events/search.json`;
  if (path === '/v1/events.json') return `${method} /v1/events.json`;
  if (/^\/v1\/events\/[^/]+$/.test(path)) return `${method} /v1/events/:id.json`;
  if (/^\/v1\/bookings\/[^/]+$/.test(path)) return `${method} /v1/bookings/:id.json`;
  return `${method} ${path}`;
}

function authKind(header: string | undefined): SandboxAuthKind {
  if (!header) return 'none';
  if (/^bearer\s/i.test(header)) return 'bearer';
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
  private readonly log: SandboxRequestRecord[] = [];
  private readonly rawQueue: RawResponse[] = [];
  private readonly sockets = new Set<Socket>();
  private issued = 0;
  private accountLinked = true;
  private htmlLogin = false;
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

  /**
   * Empties the store, the request log, tokens, canned answers and fault rules, and switches the
   * go-live failures off (account linked, JSON answers).
   */
  reset(): void {
    this.eventStore.clear();
    this.bookingStore.clear();
    this.tokens.clear();
    this.log.length = 0;
    this.rawQueue.length = 0;
    this.issued = 0;
    this.accountLinked = true;
    this.htmlLogin = false;
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

  // ---- go-live failures (upstream-facts §1.1) --------------------------------------------

  /**
   * `false`: the account is not linked to the API application. Tokens are still issued, but every
   * /v1 call with one answers 401 `{"error":"Token resource owner not found"}` (upstream-facts
   * §1.1: what the old connector's tenant saw). `true` (the default) undoes it.
   */
  setAccountLinked(linked: boolean): void {
    this.accountLinked = linked;
  }

  /**
   * `true`: every /v1 call and the token endpoint answer 200 `text/html` with a sign-in page
   * instead of JSON (upstream-facts §1.1, §1.6). `false` (the default) undoes it.
   */
  setHtmlLogin(enabled: boolean): void {
    this.htmlLogin = enabled;
  }

  /** The go-live failure switches as they are now. */
  switches(): { accountLinked: boolean; htmlLogin: boolean } {
    return { accountLinked: this.accountLinked, htmlLogin: this.htmlLogin };
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
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    return signTripleSeatWebhook(raw, key, opts.format ?? 'v1', timestamp);
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
    // The HTML sign-in page answers every API and token request while switched on
    // (upstream-facts §1.1: a wrong endpoint or bad credentials can answer an HTML login page;
    // §1.6).
    app.use((req, res, next) => (upstream(req) && this.htmlLogin ? this.loginPage(res) : next()));

    // OAuth 2.0 client credentials (upstream-facts §1.1): form-encoded (JSON tolerated), a wrong id
    // or secret answers 401 invalid_client, the third go-live failure.
    app.post('/oauth2/token', express.urlencoded({ extended: false }), express.json(), (req, res) =>
      this.token(req, res),
    );

    const api = express.Router();
    api.use((req, res, next) => this.authenticate(req, res, next));
    api.use((req, res, next) => this.canned(req, res, next));
    api.get('/events/search.json', (req, res) => this.search(req, res));
    // The event list (upstream-facts §1.2 "GET /v1/events.json?page=N", §1.3 paging: 1-based, 50 a
    // page, `{total_pages, results}`); the call §1.2 recommends for a go-live check.
    api.get('/events.json', (req, res) => this.list(req, res));
    api.get('/events/:id', (req, res) => this.getEvent(req, res));
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
    // The token response of upstream-facts §1.1 (TripleSeat's OAuth 2.0 article): no refresh token
    // for client credentials.
    res.json({
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.tokenTtlSeconds,
      scope: 'events:read',
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
        if (!this.accountLinked) {
          // A valid token that belongs to no linked account (upstream-facts §1.1).
          res.status(401).json(RESOURCE_OWNER_NOT_FOUND);
          return;
        }
        next();
        return;
      }
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer error="invalid_token"')
        .json({ error: 'invalid_token' });
      return;
    }
    res.status(401).json({ error: 'unauthorized' });
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

  /**
   * `GET /v1/events/{id}.json`: documents carry line items, billing totals and financials only
   * when `show_financial=true` is asked for (upstream-facts §1.2: "show_financial=true adds
   * include payments, billing item totals, line items, and category totals").
   */
  private getEvent(req: Request, res: Response): void {
    const found = this.eventStore.get(idFromParam(req.params.id));
    if (!found) {
      res.status(404).json({ error: 'event not found' });
      return;
    }
    const financial = queryOf(req.originalUrl).show_financial === 'true';
    res.json({ event: financial ? found : withoutFinancials(found) });
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

  private loginPage(res: Response): void {
    res.status(200).type('text/html; charset=utf-8').send(LOGIN_PAGE_HTML);
  }

  /**
   * `GET /v1/events.json?page=N` (upstream-facts §1.2, §1.3): every event, by id, `pageSize` a page
   * (50 by default), `{total_pages, results}`; results carry no financial detail, like search.
   */
  private list(req: Request, res: Response): void {
    const q = queryOf(req.originalUrl);
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(page) || page < 1) {
      res.status(400).json({ error: 'page must be a positive integer' });
      return;
    }
    const all = [...this.eventStore.values()].sort((a, b) =>
      String(a.id).localeCompare(String(b.id), 'en', { numeric: true }),
    );
    const totalPages = Math.ceil(all.length / this.pageSize);
    const results = all
      .slice((page - 1) * this.pageSize, page * this.pageSize)
      .map(withoutFinancials);
    res.json({ total_pages: totalPages, results });
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
    // Search results carry no financial detail (upstream-facts §1.3), whatever the query asks for.
    const results = matches
      .slice((page - 1) * this.pageSize, page * this.pageSize)
      .map(withoutFinancials);
    res.json({ results, total_pages: totalPages });
  }

  private adminRouter(): express.Router {
    const admin = express.Router();
    admin.use(express.json({ limit: '10mb' }));

    admin.get('/events', (_req, res) => {
      res.json({ events: this.events() });
    });
    // Seeds from the command line: one event, an array, or {"events":[…]}, in TripleSeat's API
    // shape; answers {"upserted":N}. Read as JSON whatever the content type, since `curl -d`
    // without a header sends form-encoded.
    admin.post('/events', express.json({ limit: '10mb', type: () => true }), (req, res) => {
      const body: unknown = req.body;
      const events = body === undefined ? [] : asArray<SandboxEvent>(body, 'events');
      if (body === undefined || !events.every(hasId)) {
        res.status(400).json({
          error:
            'send an event, an array of events or {"events":[…]} as JSON; every event needs an id',
        });
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

    // The go-live failures of upstream-facts §1.1, for a doctor check or a demo by hand:
    // `POST /__sandbox/account-linked {"linked":false}`, `POST /__sandbox/html-login {"enabled":true}`.
    admin.get('/switches', (_req, res) => {
      res.json(this.switches());
    });
    admin.post('/account-linked', (req, res) => {
      const linked = (req.body as { linked?: unknown } | undefined)?.linked;
      if (typeof linked !== 'boolean') {
        res.status(400).json({ error: 'expected {"linked": true|false}' });
        return;
      }
      this.setAccountLinked(linked);
      res.json(this.switches());
    });
    admin.post('/html-login', (req, res) => {
      const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
      if (typeof enabled !== 'boolean') {
        res.status(400).json({ error: 'expected {"enabled": true|false}' });
        return;
      }
      this.setHtmlLogin(enabled);
      res.json(this.switches());
    });
    admin.post('/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
    return admin;
  }
}

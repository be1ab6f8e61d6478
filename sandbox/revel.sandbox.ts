import express, { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import type {
  RevelOrder,
  RevelOrderHistory,
  RevelOrderItem,
  RevelPayment,
  RevelProduct,
} from '../src/revel/revel.types';
import { FaultInjector, FaultRule, ruleFromJson } from './fault-injector';

/**
 * An in-memory stand-in for Revel's Tastypie-style REST API, limited to what the service calls.
 * It is deliberately as lax as the real thing where laxness hurts us: `local_id` and `uuid` are
 * not unique, so a client that re-POSTs blindly gets a duplicate order here exactly as in production.
 */

export interface SandboxProduct {
  id: number;
  name: string;
  price: number | string;
  cost?: number | string;
  active?: boolean;
}

export interface SandboxRequestLog {
  method: string;
  path: string;
  query: Record<string, string>;
  correlationId?: string;
  /** Method and path with numeric ids replaced by `:id`, e.g. `PATCH /resources/Order/:id/`. */
  route: string;
  /** Undefined while the request is unanswered (hung, dropped, response withheld). */
  status?: number;
  at: string;
}

export interface SeedOrderInput {
  establishmentId: number;
  localId: string;
  uuid?: string;
  /** Any other order fields, e.g. totals, as the old connector left them. */
  fields?: Partial<Omit<RevelOrder, 'id' | 'resource_uri'>>;
}

/**
 * The request is processed (the record is written) but its response is never sent, as when
 * Revel commits an order and the connection dies before the answer arrives.
 */
export interface LostResponseRule {
  method: string;
  /** Path prefix, matched against the full path without the query. */
  path: string;
  count: number;
}

export interface RevelSandboxOptions {
  apiKey: string;
  apiSecret: string;
  port?: number;
  host?: string;
}

type Row = Record<string, unknown> & { id: number; resource_uri: string };
type Query = Record<string, string>;
type Filter = Record<string, string | number | boolean>;

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;
/** Query parameters that steer the listing rather than filter it. */
const RESERVED_QUERY = new Set(['limit', 'offset', 'format', 'order_by', 'api_key', 'api_secret']);
const URI_ID = /^\/(?:resources|enterprise)\/[A-Za-z]+\/(\d+)\/$/;
const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/** A realistic Pinkbox catalogue (legacy §6.5/§13), with near-miss names for fuzzy matching. */
export function fixtureProducts(): SandboxProduct[] {
  return [
    { id: 577, name: 'OG', price: 1.75, cost: 0.45 },
    { id: 579, name: 'TRIPLE OG', price: 2.0, cost: 0.6 },
    { id: 581, name: 'SUGA DADDY', price: 2.25, cost: 0.65 },
    { id: 583, name: "FEELIN' TOASTY", price: 2.5, cost: 0.7 },
    { id: 585, name: 'CHOCOLATE RAINBOW RING', price: 2.25, cost: 0.6 },
    { id: 586, name: 'PINK RAINBOW RING', price: 2.25, cost: 0.6 },
    { id: 588, name: "OL' FASHIONED", price: 1.75, cost: 0.4 },
    { id: 590, name: 'MAPLE BAR', price: 2.5, cost: 0.7 },
    { id: 592, name: 'FUDGY WUDGY', price: 2.75, cost: 0.8 },
    { id: 594, name: 'HEY BLONDIE', price: 2.75, cost: 0.8 },
    { id: 701, name: 'O G', price: 1.75, cost: 0.45 },
    { id: 702, name: 'MAPLE BARS', price: 12.0, cost: 3.5 },
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decimal (number or string) → integer millionths, so sandbox sums stay exact too. */
function toMicros(value: unknown): number | undefined {
  const text =
    typeof value === 'number' ? value.toFixed(6) : typeof value === 'string' ? value.trim() : '';
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const micros = Number(match[2]) * 1_000_000 + Number((match[3] ?? '').padEnd(6, '0'));
  return match[1] ? -micros : micros;
}

function microsToString(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const fraction = abs % 1_000_000;
  return `${sign}${(abs - fraction) / 1_000_000}.${String(fraction).padStart(6, '0')}`;
}

function uriId(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = URI_ID.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** Revel's plain equality filter; a reference field also matches the bare id of its URI. */
function fieldMatches(actual: unknown, wanted: string): boolean {
  if (typeof actual === 'string') {
    return actual === wanted || (/^\d+$/.test(wanted) && uriId(actual) === Number(wanted));
  }
  // Tastypie compares scalars by their text form: `?web_order=true`, `?id=42`.
  if (typeof actual === 'number' || typeof actual === 'boolean') return String(actual) === wanted;
  return actual === null && wanted === 'null';
}

function matchesAll(row: Row, filter: Query): boolean {
  return Object.entries(filter).every(([key, wanted]) => fieldMatches(row[key], wanted));
}

function flatQuery(query: unknown): Query {
  const out: Query = {};
  if (!isRecord(query)) return out;
  for (const [key, value] of Object.entries(query)) {
    const first: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

function routeOf(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/:id')}`;
}

function sendError(
  res: Response,
  status: number,
  error: string,
  fields?: Record<string, string>,
): void {
  res.status(status).json(fields ? { error, fields } : { error });
}

export class RevelSandbox {
  readonly faults = new FaultInjector();
  private readonly orderRows = new Map<number, Row>();
  private readonly itemRows = new Map<number, Row>();
  private readonly paymentRows = new Map<number, Row>();
  private readonly historyRows = new Map<number, Row>();
  /** Keyed `<establishment>:<product id>`: Revel products belong to one establishment. */
  private readonly productRows = new Map<string, Row>();
  private readonly log: SandboxRequestLog[] = [];
  private readonly counts = new Map<string, number>();
  private readonly lostResponseRules: LostResponseRule[] = [];
  private readonly withheld = new Set<Response>();
  private readonly sockets = new Set<Socket>();
  private nextIds = RevelSandbox.initialIds();
  private server?: Server;
  private baseUrl = '';

  private constructor(private readonly options: RevelSandboxOptions) {}

  static async start(opts: RevelSandboxOptions): Promise<RevelSandbox> {
    const sandbox = new RevelSandbox(opts);
    await sandbox.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
    return sandbox;
  }

  get url(): string {
    return this.baseUrl;
  }

  // ---- inspection and seeding helpers for tests and the demo ----

  orders(filter?: Filter | ((order: RevelOrder) => boolean)): RevelOrder[] {
    const all = [...this.orderRows.values()];
    const selected =
      typeof filter === 'function'
        ? all.filter((row) => filter(row as unknown as RevelOrder))
        : all.filter((row) => matchesAll(row, filter ? this.stringify(filter) : {}));
    return selected.map((row) => structuredClone(row) as unknown as RevelOrder);
  }

  ordersByLocalId(localId: string): RevelOrder[] {
    return this.orders((order) => order.local_id === localId);
  }

  orderItems(orderId: number): RevelOrderItem[] {
    return this.childrenOf(this.itemRows, orderId) as unknown as RevelOrderItem[];
  }

  payments(orderId: number): RevelPayment[] {
    return this.childrenOf(this.paymentRows, orderId) as unknown as RevelPayment[];
  }

  histories(orderId: number): RevelOrderHistory[] {
    return this.childrenOf(this.historyRows, orderId) as unknown as RevelOrderHistory[];
  }

  products(establishmentId: number): RevelProduct[] {
    return this.productList({
      establishment: String(establishmentId),
    }) as unknown as RevelProduct[];
  }

  seedProducts(establishmentId: number, products: SandboxProduct[]): void {
    for (const product of products) {
      this.productRows.set(`${establishmentId}:${product.id}`, {
        id: product.id,
        resource_uri: `/resources/Product/${product.id}/`,
        name: product.name,
        price: product.price,
        cost: product.cost ?? null,
        active: product.active ?? true,
        deleted: false,
        establishment: `/enterprise/Establishment/${establishmentId}/`,
      });
    }
  }

  /** An order written by someone else (the old connector, a cashier), e.g. `Triple Seat 555`. */
  seedOrder(input: SeedOrderInput): RevelOrder {
    const row = this.insertOrder({
      uuid: input.uuid ?? randomUUID(),
      establishment: `/enterprise/Establishment/${input.establishmentId}/`,
      local_id: input.localId,
      web_order: true,
      ...input.fields,
    });
    return structuredClone(row) as unknown as RevelOrder;
  }

  /**
   * Reopens an order, as a manager reopening a closed check at the POS: its history no longer
   * records a close, so Revel no longer derives `closed`. Returns the order, or undefined.
   */
  reopenOrder(orderId: number): RevelOrder | undefined {
    const order = this.orderRows.get(orderId);
    if (!order) return undefined;
    for (const history of this.historyRows.values()) {
      if (history.order === order.resource_uri) history.closed = null;
    }
    this.deriveTotals(order);
    return structuredClone(order) as unknown as RevelOrder;
  }

  /** Withholds the response of the next `count` matching requests after processing them. */
  loseResponses(rule: LostResponseRule): this {
    this.lostResponseRules.push({ ...rule, method: rule.method.toUpperCase() });
    return this;
  }

  requests(): SandboxRequestLog[] {
    return this.log.map((entry) => ({ ...entry, query: { ...entry.query } }));
  }

  /** Requests per route (`POST /resources/Order/`), faulted ones included. */
  requestCount(route?: string): number {
    if (route === undefined) return this.log.length;
    return this.counts.get(route) ?? 0;
  }

  routeCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    for (const rows of [this.orderRows, this.itemRows, this.paymentRows, this.historyRows]) {
      rows.clear();
    }
    this.productRows.clear();
    this.log.length = 0;
    this.counts.clear();
    this.lostResponseRules.length = 0;
    this.releaseWithheld();
    this.faults.clear();
    this.nextIds = RevelSandbox.initialIds();
  }

  async close(): Promise<void> {
    this.faults.releaseHanging();
    this.releaseWithheld();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- server ----

  private static initialIds() {
    return {
      order: 10_685_000,
      item: 52_400_000,
      payment: 8_100_000,
      history: 6_765_000,
      discount: 310_000,
    };
  }

  private async listen(port: number, host: string): Promise<void> {
    const server = createServer(this.buildApp());
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: '1mb' }));
    this.mountAdmin(app);

    const isApi = (req: Request) =>
      req.path.startsWith('/resources/') || req.path.startsWith('/enterprise/');
    const faults = this.faults.middleware();
    app.use((req, res, next) => (isApi(req) ? this.record(req, res, next) : next()));
    // Mounted without a prefix so rules match full paths such as `/resources/OrderItem/`.
    app.use((req, res, next) => (isApi(req) ? faults(req, res, next) : next()));
    app.use((req, res, next) => (isApi(req) ? this.authenticate(req, res, next) : next()));

    app.get('/resources/Order/', (req, res) => this.list(req, res, this.orderRows));
    app.post('/resources/Order/', (req, res) => this.createOrder(req, res));
    app.get('/resources/Order/:id/', (req, res) => this.getOrder(req, res));
    app.patch('/resources/Order/:id/', (req, res) => this.patchOrder(req, res));
    app.get('/resources/OrderItem/', (req, res) => this.list(req, res, this.itemRows));
    app.post('/resources/OrderItem/', (req, res) => this.createOrderItem(req, res));
    app.patch('/resources/OrderItem/:id/', (req, res) =>
      this.patchChild(req, res, this.itemRows, 'OrderItem'),
    );
    app.delete('/resources/OrderItem/:id/', (req, res) => this.deleteOrderItem(req, res));
    app.get('/resources/Payment/', (req, res) => this.list(req, res, this.paymentRows));
    app.post('/resources/Payment/', (req, res) => this.createPayment(req, res));
    app.patch('/resources/Payment/:id/', (req, res) =>
      this.patchChild(req, res, this.paymentRows, 'Payment'),
    );
    app.get('/resources/OrderHistory/', (req, res) => this.list(req, res, this.historyRows));
    app.post('/resources/OrderHistory/', (req, res) => this.createHistory(req, res));
    app.get('/resources/Product/', (req, res) =>
      this.page(req, res, this.productList(this.filterOf(req))),
    );
    app.use((req, res) => sendError(res, 404, `no such resource: ${req.method} ${req.path}`));
    // Express 5 hands body-parser failures here; Revel answers malformed JSON with a 400.
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = isRecord(error) && typeof error.status === 'number' ? error.status : 500;
      sendError(res, status, error instanceof Error ? error.message : 'internal error');
    });
    return app;
  }

  /** Control surface for the CLI and demo: neither authenticated, faulted nor logged. */
  private mountAdmin(app: express.Express): void {
    app.get('/__sandbox/orders', (req, res) => {
      res.json(
        this.orders(this.filterOf(req)).map((order) => ({
          ...order,
          items: this.orderItems(order.id),
          payments: this.payments(order.id),
          histories: this.histories(order.id),
        })),
      );
    });
    app.post('/__sandbox/products', (req, res) => {
      const body: unknown = req.body;
      const establishmentId = isRecord(body) ? Number(body.establishmentId) : NaN;
      if (!Number.isInteger(establishmentId)) {
        sendError(res, 400, 'establishmentId (integer) is required');
        return;
      }
      const products =
        isRecord(body) && Array.isArray(body.products)
          ? (body.products as SandboxProduct[])
          : fixtureProducts();
      this.seedProducts(establishmentId, products);
      res.status(201).json({ establishmentId, seeded: products.length });
    });
    app.get('/__sandbox/faults', (_req, res) => {
      res.json(
        this.faults.list().map((rule) => ({
          ...rule,
          path: rule.path instanceof RegExp ? `re:${rule.path.source}` : rule.path,
        })),
      );
    });
    app.put('/__sandbox/faults', (req, res) => {
      const body: unknown = req.body;
      const raw = Array.isArray(body) ? (body as unknown[]) : [body];
      if (!raw.every(isRecord)) {
        sendError(res, 400, 'a fault rule object or an array of them is required');
        return;
      }
      const rules: FaultRule[] = raw.map((rule) => ruleFromJson(rule));
      this.faults.set(rules);
      res.json({ rules: rules.length });
    });
    app.delete('/__sandbox/faults', (_req, res) => {
      this.faults.clear();
      res.status(204).end();
    });
    app.get('/__sandbox/requests', (_req, res) => {
      res.json({ total: this.log.length, byRoute: this.routeCounts(), requests: this.requests() });
    });
    app.post('/__sandbox/reset', (_req, res) => {
      this.reset();
      res.status(204).end();
    });
  }

  private record(req: Request, res: Response, next: NextFunction): void {
    const entry: SandboxRequestLog = {
      method: req.method,
      path: req.path,
      query: flatQuery(req.query),
      correlationId: req.get('x-correlation-id') ?? undefined,
      route: routeOf(req.method, req.path),
      at: new Date().toISOString(),
    };
    this.log.push(entry);
    this.counts.set(entry.route, (this.counts.get(entry.route) ?? 0) + 1);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    next();
  }

  private authenticate(req: Request, res: Response, next: NextFunction): void {
    const expected = `${this.options.apiKey}:${this.options.apiSecret}`;
    if (req.get('api-authentication') !== expected) {
      sendError(
        res,
        401,
        'Authentication failed: API-AUTHENTICATION must be <api key>:<api secret>',
      );
      return;
    }
    next();
  }

  // ---- handlers ----

  private list(req: Request, res: Response, rows: Map<number, Row>): void {
    const filter = this.filterOf(req);
    const selected = [...rows.values()].filter((row) => matchesAll(row, filter));
    this.page(req, res, selected);
  }

  private page(req: Request, res: Response, rows: Row[]): void {
    const query = flatQuery(req.query);
    const asked = Number.parseInt(query.limit ?? '', 10);
    // Tastypie treats limit=0 as "as many as allowed".
    const limit =
      Number.isNaN(asked) || asked < 0
        ? DEFAULT_LIMIT
        : asked === 0
          ? MAX_LIMIT
          : Math.min(asked, MAX_LIMIT);
    const offset = Math.max(0, Number.parseInt(query.offset ?? '0', 10) || 0);
    const link = (at: number) => {
      const params = new URLSearchParams({ ...query, limit: String(limit), offset: String(at) });
      return `${req.path}?${params.toString()}`;
    };
    this.respond(req, res, 200, {
      meta: {
        limit,
        offset,
        next: offset + limit < rows.length ? link(offset + limit) : null,
        previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
        total_count: rows.length,
      },
      objects: rows.slice(offset, offset + limit).map((row) => structuredClone(row)),
    });
  }

  private createOrder(req: Request, res: Response): void {
    const body = this.bodyOf(req, res);
    if (!body) return;
    const problems: Record<string, string> = {};
    if (
      uriId(body.establishment) === undefined ||
      !String(body.establishment).startsWith('/enterprise/Establishment/')
    ) {
      problems.establishment = 'an /enterprise/Establishment/<id>/ URI is required';
    }
    if (typeof body.uuid !== 'string' || body.uuid.length === 0) problems.uuid = 'required';
    if (Object.keys(problems).length > 0) {
      sendError(res, 400, 'invalid Order', problems);
      return;
    }
    this.respond(req, res, 201, this.insertOrder(body));
  }

  private getOrder(req: Request, res: Response): void {
    const order = this.orderRows.get(Number(req.params.id));
    if (!order) {
      sendError(res, 404, 'Order not found');
      return;
    }
    this.respond(req, res, 200, order);
  }

  private patchOrder(req: Request, res: Response): void {
    const order = this.orderRows.get(Number(req.params.id));
    if (!order) {
      sendError(res, 404, 'Order not found');
      return;
    }
    const body = this.bodyOf(req, res);
    if (!body) return;
    const readOnly = new Set([
      'id',
      'resource_uri',
      'closed',
      'orderhistory',
      'applied_discounts',
      'version',
    ]);
    for (const [key, value] of Object.entries(body)) {
      if (!readOnly.has(key)) order[key] = value;
    }
    order.version = Number(order.version ?? 1) + 1;
    this.materialiseDiscount(order);
    this.deriveTotals(order);
    this.respond(req, res, 200, order);
  }

  private createOrderItem(req: Request, res: Response): void {
    const body = this.bodyOf(req, res);
    if (!body) return;
    const problems: Record<string, string> = {};
    const order = this.orderRows.get(uriId(body.order) ?? NaN);
    if (!order) problems.order = 'an existing /resources/Order/<id>/ URI is required';
    const productId = uriId(body.product);
    const establishmentId = order ? uriId(order.establishment) : undefined;
    if (productId === undefined || !this.productRows.has(`${establishmentId}:${productId}`)) {
      problems.product =
        "an existing /resources/Product/<id>/ URI of the order's establishment is required";
    }
    if (typeof body.quantity !== 'number' || !(body.quantity > 0))
      problems.quantity = 'a positive number is required';
    if (toMicros(body.price) === undefined) problems.price = 'a decimal is required';
    if (Object.keys(problems).length > 0) {
      sendError(res, 400, 'invalid OrderItem', problems);
      return;
    }
    const row = this.insertChild(this.itemRows, 'OrderItem', 'item', body);
    this.respond(req, res, 201, row);
  }

  /** PATCH of an OrderItem or a Payment: the given fields change, references do not. */
  private patchChild(
    req: Request,
    res: Response,
    rows: Map<number, Row>,
    resource: 'OrderItem' | 'Payment',
  ): void {
    const row = rows.get(Number(req.params.id));
    if (!row) {
      sendError(res, 404, `${resource} not found`);
      return;
    }
    const body = this.bodyOf(req, res);
    if (!body) return;
    const problems: Record<string, string> = {};
    if ('quantity' in body && (typeof body.quantity !== 'number' || !(body.quantity > 0)))
      problems.quantity = 'a positive number is required';
    for (const field of ['price', 'initial_price', 'price_to_display', 'amount']) {
      if (field in body && toMicros(body[field]) === undefined)
        problems[field] = 'a decimal is required';
    }
    if (Object.keys(problems).length > 0) {
      sendError(res, 400, `invalid ${resource}`, problems);
      return;
    }
    const readOnly = new Set(['id', 'resource_uri', 'uuid', 'order']);
    for (const [key, value] of Object.entries(body)) {
      if (!readOnly.has(key)) row[key] = value;
    }
    const order = this.orderRows.get(uriId(row.order) ?? NaN);
    if (order) this.deriveTotals(order);
    this.respond(req, res, 200, row);
  }

  private deleteOrderItem(req: Request, res: Response): void {
    const id = Number(req.params.id);
    const row = this.itemRows.get(id);
    if (!row) {
      sendError(res, 404, 'OrderItem not found');
      return;
    }
    this.itemRows.delete(id);
    const order = this.orderRows.get(uriId(row.order) ?? NaN);
    if (order) this.deriveTotals(order);
    this.respond(req, res, 204, undefined);
  }

  private createPayment(req: Request, res: Response): void {
    const body = this.bodyOf(req, res);
    if (!body) return;
    const problems: Record<string, string> = {};
    const order = this.orderRows.get(uriId(body.order) ?? NaN);
    if (!order) problems.order = 'an existing /resources/Order/<id>/ URI is required';
    if (toMicros(body.amount) === undefined) problems.amount = 'a decimal is required';
    if (!order || Object.keys(problems).length > 0) {
      sendError(res, 400, 'invalid Payment', problems);
      return;
    }
    const row = this.insertChild(this.paymentRows, 'Payment', 'payment', body);
    this.deriveTotals(order);
    this.respond(req, res, 201, row);
  }

  private createHistory(req: Request, res: Response): void {
    const body = this.bodyOf(req, res);
    if (!body) return;
    const order = this.orderRows.get(uriId(body.order) ?? NaN);
    if (!order) {
      sendError(res, 400, 'invalid OrderHistory', {
        order: 'an existing /resources/Order/<id>/ URI is required',
      });
      return;
    }
    const row = this.insertChild(this.historyRows, 'OrderHistory', 'history', body);
    order.orderhistory = [...(order.orderhistory as string[]), row.resource_uri];
    order.has_history = true;
    this.deriveTotals(order);
    this.respond(req, res, 201, row);
  }

  // ---- store ----

  private insertOrder(body: Record<string, unknown>): Row {
    const id = this.nextIds.order++;
    const now = new Date().toISOString().replace('Z', '');
    const row: Row = {
      uuid: null,
      establishment: null,
      local_id: null,
      notes: '',
      call_name: null,
      pos_mode: 'Q',
      web_order: false,
      dining_option: null,
      created_date: now,
      updated_date: now,
      created_by: null,
      updated_by: null,
      station: null,
      created_at: null,
      last_updated_at: null,
      subtotal: 0,
      final_total: 0,
      tax: 0,
      surcharge: 0,
      remaining_due: 0,
      discount: null,
      discount_amount: 0,
      discount_rule_amount: 0,
      discount_reason: '',
      discounted_by: null,
      is_discounted: false,
      applied_taxes: [
        {
          name: 'Default Tax',
          tax_rate: '8.3750',
          resource_uri: `/resources/AppliedTaxOrder/${id}/`,
        },
      ],
      opened: false,
      printed: false,
      has_history: false,
      reporting_id: null,
      deleted: false,
      ...body,
      // Read-only on Revel's side whatever the client sends.
      id,
      resource_uri: `/resources/Order/${id}/`,
      applied_discounts: [],
      orderhistory: [],
      closed: false,
      version: 1,
    };
    this.orderRows.set(id, row);
    return row;
  }

  private insertChild(
    rows: Map<number, Row>,
    resource: string,
    counter: 'item' | 'payment' | 'history',
    body: Record<string, unknown>,
  ): Row {
    const id = this.nextIds[counter]++;
    const row: Row = { ...body, id, resource_uri: `/resources/${resource}/${id}/` };
    rows.set(id, row);
    return row;
  }

  /** Revel creates an AppliedDiscountOrder when an order's discount and amount are PATCHed. */
  private materialiseDiscount(order: Row): void {
    const amount = toMicros(order.discount_amount);
    if (typeof order.discount !== 'string' || amount === undefined || amount <= 0) {
      // The discount was taken off (PATCHed to null or to a zero amount).
      order.applied_discounts = [];
      order.is_discounted = false;
      return;
    }
    const existing = (order.applied_discounts as Row[]).find((d) => d.discount === order.discount);
    const applied: Row = existing ?? {
      id: this.nextIds.discount++,
      resource_uri: '',
      discount: order.discount,
      order: order.resource_uri,
    };
    applied.resource_uri = `/resources/AppliedDiscountOrder/${applied.id}/`;
    applied.name =
      typeof order.discount_reason === 'string' && order.discount_reason
        ? order.discount_reason
        : 'Discount';
    applied.discount_amount = microsToString(amount);
    applied.rule_amount = microsToString(toMicros(order.discount_rule_amount) ?? amount);
    order.applied_discounts = existing
      ? order.applied_discounts
      : [...(order.applied_discounts as Row[]), applied];
    order.is_discounted = true;
  }

  /** remaining_due and closed are Revel's to compute, from the total, payments and history. */
  private deriveTotals(order: Row): void {
    const paid = this.childrenOf(this.paymentRows, order.id).reduce(
      (sum, payment) => sum + (toMicros(payment.amount) ?? 0),
      0,
    );
    const due = Math.max(0, (toMicros(order.final_total) ?? 0) - paid);
    order.remaining_due = Number(microsToString(due));
    const historyClosed = this.childrenOf(this.historyRows, order.id).some(
      (h) => typeof h.closed === 'string',
    );
    order.closed = historyClosed && due === 0;
  }

  private childrenOf(rows: Map<number, Row>, orderId: number): Row[] {
    const uri = `/resources/Order/${orderId}/`;
    return [...rows.values()].filter((row) => row.order === uri).map((row) => structuredClone(row));
  }

  private productList(filter: Query): Row[] {
    return [...this.productRows.values()]
      .filter((row) => matchesAll(row, filter))
      .sort(
        (a, b) => String(a.establishment).localeCompare(String(b.establishment)) || a.id - b.id,
      );
  }

  private filterOf(req: Request): Query {
    return Object.fromEntries(
      Object.entries(flatQuery(req.query)).filter(([key]) => !RESERVED_QUERY.has(key)),
    );
  }

  private stringify(filter: Filter): Query {
    return Object.fromEntries(Object.entries(filter).map(([key, value]) => [key, String(value)]));
  }

  private bodyOf(req: Request, res: Response): Record<string, unknown> | undefined {
    const body: unknown = req.body;
    if (!isRecord(body)) {
      sendError(res, 400, 'a JSON object body is required');
      return undefined;
    }
    return body;
  }

  private respond(req: Request, res: Response, status: number, body: unknown): void {
    const ruleIndex = this.lostResponseRules.findIndex(
      (rule) => rule.count > 0 && rule.method === req.method && req.path.startsWith(rule.path),
    );
    if (ruleIndex >= 0) {
      const rule = this.lostResponseRules[ruleIndex];
      rule.count -= 1;
      if (rule.count === 0) this.lostResponseRules.splice(ruleIndex, 1);
      this.withheld.add(res);
      res.on('close', () => this.withheld.delete(res));
      return;
    }
    res.status(status).json(body);
  }

  private releaseWithheld(): void {
    for (const res of this.withheld) res.socket?.destroy();
    this.withheld.clear();
  }
}

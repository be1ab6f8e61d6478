import express, { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { createServer, Server, STATUS_CODES } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  REVEL_KNOWN_FIELDS,
  REVEL_ORDER_FIELDS,
  type RevelEstablishment,
  type RevelOrder,
  type RevelOrderField,
  type RevelOrderHistory,
  type RevelOrderItem,
  type RevelPayment,
  type RevelProduct,
} from '../src/revel/revel.types';
import { FaultInjector, FaultRule, ruleFromJson } from './fault-injector';

/**
 * An in-memory stand-in for Revel's Tastypie-style REST API, limited to what the service calls.
 * It imitates Revel, not our client:
 * - It is as lax as the real thing where laxness hurts us: `local_id` and `uuid` are not unique,
 *   so a client that re-POSTs blindly gets a duplicate order here exactly as in production.
 * - A field Revel does not know is ignored, as Tastypie does, but recorded ({@link
 *   RevelSandbox.unknownFields}), so a writer sending e.g. `opened` on an Order shows up in tests.
 *   An Order keeps only the fields of a real Order (REVEL_ORDER_FIELDS); the lists of the other
 *   resources are partial (no real GET was captured), so their unknown fields are still stored.
 * - A POST carrying `id` or `resource_uri` is refused (upstream-facts §2.2).
 * - Auth failures and 404s can answer an HTML page, as real Revel sometimes does ({@link
 *   RevelSandbox.setHtmlErrors}).
 */

export interface SandboxProduct {
  id: number;
  name: string;
  price: number | string;
  cost?: number | string;
  /** Default true. An inactive product is hidden by `?active=true`. */
  active?: boolean;
  /** Default false. Revel keeps deleted products; `?active=true` does not hide them by itself. */
  deleted?: boolean;
}

/** A write field the resource does not have (Revel ignores it silently). */
export interface UnknownFieldRecord {
  /** Resource name as in the path, e.g. `Order`. */
  resource: string;
  method: string;
  field: string;
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
/** A write route whose body is checked against the resource's known fields. */
const CHECKED_WRITE = /^\/resources\/(Order|OrderItem|Payment|OrderHistory)\/(?:\d+\/)?$/;
const ORDER_FIELD_SET: ReadonlySet<string> = new Set(REVEL_ORDER_FIELDS);
const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/** A realistic Pinkbox catalogue (upstream-facts §3.4), with near-miss names for fuzzy matching. */
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
    // A POS keyboard's names: capitals without accents, for a menu's "Pâté" and "Crème Brûlée".
    { id: 720, name: 'PATE', price: 9.0, cost: 2.5 },
    { id: 721, name: 'CREME BRULEE', price: 7.5, cost: 2.0 },
    { id: 722, name: 'JALAPENO POPPERS', price: 6.0, cost: 1.5 },
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

/**
 * Tastypie lookups as Revel documents them (upstream-facts §2.3): `field=value` is equality and
 * `field__in=a,b,c` matches any of the comma-separated values. Other `__<op>` lookups are not
 * used by the service; the sandbox refuses them (see `unsupportedLookup`) rather than match nothing.
 */
function matchesAll(row: Row, filter: Query): boolean {
  return Object.entries(filter).every(([key, wanted]) => {
    if (key.endsWith('__in')) {
      const actual = row[key.slice(0, -'__in'.length)];
      return wanted.split(',').some((one) => fieldMatches(actual, one));
    }
    return fieldMatches(row[key], wanted);
  });
}

/** A `__<op>` lookup the sandbox does not implement, so a test fails loudly instead of silently. */
export function unsupportedLookup(filter: Query): string | undefined {
  return Object.keys(filter).find((key) => key.includes('__') && !key.endsWith('__in'));
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

function htmlPage(status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const escaped = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${escaped}</p></body></html>\n`;
}

/** Order fields a real Order GET answers as JSON numbers (upstream-facts, "Revel order detail"). */
const ORDER_MONEY_FIELDS = [
  'subtotal',
  'final_total',
  'tax',
  'remaining_due',
  'surcharge',
  'discount_amount',
  'discount_rule_amount',
] as const;

/** A new order as Revel stores it: every key of a real Order GET, nothing else. */
function orderDefaults(id: number, now: string): Record<RevelOrderField, unknown> {
  return {
    id,
    uuid: null,
    resource_uri: `/resources/Order/${id}/`,
    local_id: null,
    notes: '',
    call_name: null,
    call_number: null,
    pos_mode: 'Q',
    dining_option: null,
    web_order: false,
    closed: false,
    printed: false,
    has_items: false,
    has_history: false,
    deleted: false,
    is_unpaid: false,
    is_invoice: false,
    is_readonly: false,
    version: 1,
    subtotal: 0,
    final_total: 0,
    tax: 0,
    remaining_due: 0,
    discount_amount: 0,
    discount_rule_amount: 0,
    discount_reason: '',
    is_discounted: false,
    discounted_by: null,
    discount: null,
    surcharge: 0,
    service_charge: null,
    gratuity: null,
    service_fee_untaxed: '0.000000',
    discount_total_amount: '0.000000',
    establishment: null,
    created_by: null,
    updated_by: null,
    created_at: null,
    last_updated_at: null,
    customer: null,
    created_date: now,
    updated_date: now,
    applied_discounts: [],
    applied_taxes: [
      {
        id,
        uuid: randomUUID(),
        name: 'Default Tax',
        tax_rate: '8.3750',
        fiscal_rate: '0',
        tax_type: 0,
        rounding_type: 0,
        on_full_price: true,
        is_prevailing: true,
        order: `/resources/Order/${id}/`,
        resource_uri: `/resources/AppliedTaxOrder/${id}/`,
      },
    ],
    applied_service_fee: [],
    orderhistory: [],
    reporting_id: null,
    asap: false,
    auto_grat_pct: null,
    bill_number: 0,
    bill_parent: null,
    billing_address: null,
    billing_zip_code: null,
    bills_info: null,
    bills_type: 0,
    check_sum: null,
    crv_taxed: false,
    crv_value: null,
    customer_address_distance: null,
    customer_birthdate: null,
    deleted_discounts: null,
    delivery_address: null,
    delivery_clock_in: null,
    delivery_clock_out: null,
    delivery_distance: null,
    delivery_duration: null,
    delivery_employee: null,
    delivery_estimated_distance: null,
    device_id: null,
    discount_code: null,
    discount_nontaxable_surcharge_included: null,
    discount_rule_type: null,
    discount_tax_amount: null,
    discount_tax_amount_included: 0,
    discount_taxed: null,
    drive_through_data: null,
    exchange_discount: null,
    exchanged: null,
    external_sync: null,
    fleet_service_data: null,
    gift_reward_data: '',
    gratuity_type: null,
    ha_applied: false,
    has_delivery_info: false,
    invoice_date: null,
    kitchen_status: 0,
    loyalty_account_id: null,
    notification_email_sent: false,
    notification_text_sent: false,
    number_of_people: null,
    package: [],
    pickup_data: null,
    pickup_time: null,
    points_added: 0,
    points_redeemed: 0,
    prevailing_surcharge: null,
    prevailing_tax: null,
    registry_data: null,
    rounding_delta: null,
    running_tax_number: null,
    sent: false,
    service_fee_tax: '0.000000',
    service_fee_taxed: '0.000000',
    smart_order: false,
    smartpay_gratuity: 0,
    smartpay_tip: 0,
    surcharge_excluded: 0,
    table: null,
    table_owner: null,
    tax_country: null,
    tax_excluded_amount: 0,
    tax_rebate: null,
    tax_rounding_model: null,
    taxable_surcharge: 0,
    taxable_surcharge_excluded: 0,
    vehicle: null,
    virtual_data: null,
  };
}

/** The fields of `body` a real Order has; Revel (Tastypie) silently drops the others. */
function orderFieldsOf(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => ORDER_FIELD_SET.has(key)));
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
  /** Establishments registered by name; those with products are known too. */
  private readonly establishmentNames = new Map<number, string>();
  private readonly unknownFieldLog: UnknownFieldRecord[] = [];
  private htmlErrors = false;
  /** When on, an order's PATCHed final total gets its Default Tax added (see setTaxApplied). */
  private taxApplied = false;
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

  /**
   * Adds or replaces products of an establishment (upsert by id). `active: false` and `deleted:
   * true` products are kept and listed, as Revel does, unless a filter such as `?active=true`
   * hides them.
   */
  seedProducts(establishmentId: number, products: SandboxProduct[]): void {
    for (const product of products) {
      this.productRows.set(`${establishmentId}:${product.id}`, {
        id: product.id,
        resource_uri: `/resources/Product/${product.id}/`,
        name: product.name,
        price: product.price,
        cost: product.cost ?? null,
        active: product.active ?? true,
        deleted: product.deleted ?? false,
        establishment: `/enterprise/Establishment/${establishmentId}/`,
      });
    }
  }

  /**
   * Makes `GET /enterprise/Establishment/<id>/` answer for this id (an establishment with
   * products is known without this).
   */
  addEstablishment(id: number, name?: string): void {
    this.establishmentNames.set(id, name ?? `Establishment ${id}`);
  }

  /** The establishment as the API answers it, or undefined when the sandbox does not know it. */
  establishment(id: number): RevelEstablishment | undefined {
    const uri = `/enterprise/Establishment/${id}/`;
    const known =
      this.establishmentNames.has(id) ||
      [...this.productRows.values()].some((row) => row.establishment === uri);
    if (!known) return undefined;
    return {
      id,
      name: this.establishmentNames.get(id) ?? `Establishment ${id}`,
      resource_uri: uri,
    };
  }

  /**
   * Fields written (POST/PATCH on Order, OrderItem, Payment, OrderHistory) that the resource does
   * not have; each distinct resource/method/field once, in the order first seen.
   */
  unknownFields(): UnknownFieldRecord[] {
    return this.unknownFieldLog.map((entry) => ({ ...entry }));
  }

  clearUnknownFields(): void {
    this.unknownFieldLog.length = 0;
  }

  /**
   * When on, Revel's auto-attached Default Tax (8.375 %) is applied: a PATCH that sets an order's
   * `final_total` gets the tax on subtotal − discount added to it, and `tax` says how much, as a
   * Revel establishment taxing web orders does (upstream-facts, "Revel order detail").
   */
  setTaxApplied(enabled: boolean): this {
    this.taxApplied = enabled;
    return this;
  }

  /** When on, auth failures (401) and 404s answer a text/html page instead of JSON. */
  setHtmlErrors(enabled: boolean): this {
    this.htmlErrors = enabled;
    return this;
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
    this.establishmentNames.clear();
    this.unknownFieldLog.length = 0;
    this.htmlErrors = false;
    this.taxApplied = false;
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
    app.use((req, res, next) => this.checkWrite(req, res, next));

    app.get('/resources/Order/', (req, res) => this.list(req, res, this.orderRows));
    app.post('/resources/Order/', (req, res) => this.createOrder(req, res));
    app.get('/resources/Order/:id/', (req, res) => this.getOrder(req, res));
    app.patch('/resources/Order/:id/', (req, res) => this.patchOrder(req, res));
    app.get('/resources/OrderItem/', (req, res) => this.list(req, res, this.itemRows));
    app.post('/resources/OrderItem/', (req, res) => this.createOrderItem(req, res));
    app.patch('/resources/OrderItem/:id/', (req, res) =>
      this.patchChild(req, res, this.itemRows, 'OrderItem'),
    );
    app.delete('/resources/Order/:id/', (req, res) => this.deleteOrder(req, res));
    app.delete('/resources/OrderItem/:id/', (req, res) =>
      this.deleteChild(req, res, this.itemRows, 'OrderItem'),
    );
    app.delete('/resources/Payment/:id/', (req, res) =>
      this.deleteChild(req, res, this.paymentRows, 'Payment'),
    );
    app.delete('/resources/OrderHistory/:id/', (req, res) =>
      this.deleteChild(req, res, this.historyRows, 'OrderHistory'),
    );
    app.get('/resources/Payment/', (req, res) => this.list(req, res, this.paymentRows));
    app.post('/resources/Payment/', (req, res) => this.createPayment(req, res));
    app.patch('/resources/Payment/:id/', (req, res) =>
      this.patchChild(req, res, this.paymentRows, 'Payment'),
    );
    app.get('/resources/OrderHistory/', (req, res) => this.list(req, res, this.historyRows));
    app.post('/resources/OrderHistory/', (req, res) => this.createHistory(req, res));
    app.patch('/resources/OrderHistory/:id/', (req, res) =>
      this.patchChild(req, res, this.historyRows, 'OrderHistory'),
    );
    app.get('/resources/Product/', (req, res) =>
      this.page(req, res, this.productList(this.filterOf(req))),
    );
    app.get('/enterprise/Establishment/:id/', (req, res) => this.getEstablishment(req, res));
    app.use((req, res) => this.apiError(res, 404, `no such resource: ${req.method} ${req.path}`));
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
    app.post('/__sandbox/establishments', (req, res) => {
      const body: unknown = req.body;
      const id = isRecord(body) ? Number(body.id) : NaN;
      if (!Number.isInteger(id)) {
        sendError(res, 400, 'id (integer) is required');
        return;
      }
      const name = isRecord(body) && typeof body.name === 'string' ? body.name : undefined;
      this.addEstablishment(id, name);
      res.status(201).json(this.establishment(id));
    });
    app.get('/__sandbox/unknown-fields', (_req, res) => {
      res.json(this.unknownFields());
    });
    app.delete('/__sandbox/unknown-fields', (_req, res) => {
      this.clearUnknownFields();
      res.status(204).end();
    });
    app.put('/__sandbox/html-errors', (req, res) => {
      const body: unknown = req.body;
      if (!isRecord(body) || typeof body.enabled !== 'boolean') {
        sendError(res, 400, '{"enabled": true|false} is required');
        return;
      }
      this.setHtmlErrors(body.enabled);
      res.json({ enabled: body.enabled });
    });
    app.put('/__sandbox/tax', (req, res) => {
      const body: unknown = req.body;
      if (!isRecord(body) || typeof body.applied !== 'boolean') {
        sendError(res, 400, '{"applied": true|false} is required');
        return;
      }
      this.setTaxApplied(body.applied);
      res.json({ applied: body.applied });
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
      this.apiError(
        res,
        401,
        'Authentication failed: API-AUTHENTICATION must be <api key>:<api secret>',
      );
      return;
    }
    next();
  }

  /**
   * Before any write handler: records the fields the resource does not know (Revel ignores them
   * silently, so this is the only place they show) and refuses a POST that carries `id` or
   * `resource_uri` (upstream-facts §2.2: "POST requests will not be accepted if an ID or resource_uri
   * is passed").
   */
  private checkWrite(req: Request, res: Response, next: NextFunction): void {
    const match = CHECKED_WRITE.exec(req.path);
    const body: unknown = req.body;
    if (!match || (req.method !== 'POST' && req.method !== 'PATCH') || !isRecord(body)) {
      next();
      return;
    }
    const resource = match[1];
    const known = REVEL_KNOWN_FIELDS[resource];
    for (const field of Object.keys(body)) {
      if (known.includes(field)) continue;
      const seen = this.unknownFieldLog.some(
        (e) => e.resource === resource && e.method === req.method && e.field === field,
      );
      if (!seen) this.unknownFieldLog.push({ resource, method: req.method, field });
    }
    if (req.method === 'POST' && ('id' in body || 'resource_uri' in body)) {
      sendError(res, 400, `a POST to ${resource} must not carry id or resource_uri`, {
        ...('id' in body ? { id: 'assigned by Revel' } : {}),
        ...('resource_uri' in body ? { resource_uri: 'assigned by Revel' } : {}),
      });
      return;
    }
    next();
  }

  /** An API error: JSON, or in HTML mode an HTML page for auth failures and 404s. */
  private apiError(
    res: Response,
    status: number,
    error: string,
    fields?: Record<string, string>,
  ): void {
    if (this.htmlErrors && (status === 401 || status === 403 || status === 404)) {
      res.status(status).type('html').send(htmlPage(status, error));
      return;
    }
    sendError(res, status, error, fields);
  }

  // ---- handlers ----

  private list(req: Request, res: Response, rows: Map<number, Row>): void {
    const filter = this.filterOf(req);
    const unsupported = unsupportedLookup(filter);
    if (unsupported !== undefined) {
      res
        .status(400)
        .json({ error: `The '${unsupported}' lookup is not supported by this sandbox` });
      return;
    }
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

  private getEstablishment(req: Request, res: Response): void {
    const establishment = this.establishment(Number(req.params.id));
    if (!establishment) {
      this.apiError(res, 404, 'Establishment not found');
      return;
    }
    this.respond(req, res, 200, establishment);
  }

  /**
   * `GET /resources/Order/<id>/`: the order object alone, in the shape of a captured real order
   * (test/fixtures/revel/order.json), totals as Revel keeps them after its own recomputing and
   * its money as JSON numbers whatever decimal strings were written (upstream-facts, "Revel order
   * detail"); 404 for an id it does not have.
   */
  private getOrder(req: Request, res: Response): void {
    const order = this.orderRows.get(Number(req.params.id));
    if (!order) {
      this.apiError(res, 404, 'Order not found');
      return;
    }
    const answer: Row = { ...order };
    for (const field of ORDER_MONEY_FIELDS) {
      const micros = toMicros(answer[field]);
      if (typeof answer[field] === 'string' && micros !== undefined) {
        answer[field] = Number(microsToString(micros));
      }
    }
    this.respond(req, res, 200, answer);
  }

  private patchOrder(req: Request, res: Response): void {
    const order = this.orderRows.get(Number(req.params.id));
    if (!order) {
      this.apiError(res, 404, 'Order not found');
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
    // A field a real Order does not have is ignored (and recorded by checkWrite).
    for (const [key, value] of Object.entries(orderFieldsOf(body))) {
      if (!readOnly.has(key)) order[key] = value;
    }
    order.version = Number(order.version ?? 1) + 1;
    this.materialiseDiscount(order);
    if (this.taxApplied && 'final_total' in body) {
      const base = (toMicros(order.subtotal) ?? 0) - (toMicros(order.discount_amount) ?? 0);
      // To the cent, half up, in millionths.
      const tax = Math.round((base * 0.08375) / 10_000) * 10_000;
      order.tax = Number(microsToString(tax));
      order.final_total = microsToString((toMicros(order.final_total) ?? 0) + tax);
    }
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
    if (order) this.deriveTotals(order);
    this.respond(req, res, 201, row);
  }

  /** PATCH of an OrderItem or a Payment: the given fields change, references do not. */
  private patchChild(
    req: Request,
    res: Response,
    rows: Map<number, Row>,
    resource: 'OrderItem' | 'Payment' | 'OrderHistory',
  ): void {
    const row = rows.get(Number(req.params.id));
    if (!row) {
      this.apiError(res, 404, `${resource} not found`);
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

  /**
   * Tastypie's detail DELETE (upstream-facts, "Revel DELETE"): 204 and the record is gone; 404 for
   * an id it does not have. Removing an OrderItem, Payment or OrderHistory recomputes its order.
   */
  private deleteChild(
    req: Request,
    res: Response,
    rows: Map<number, Row>,
    resource: 'OrderItem' | 'Payment' | 'OrderHistory',
  ): void {
    const id = Number(req.params.id);
    const row = rows.get(id);
    if (!row) {
      this.apiError(res, 404, `${resource} not found`);
      return;
    }
    rows.delete(id);
    const order = this.orderRows.get(uriId(row.order) ?? NaN);
    if (order) {
      if (resource === 'OrderHistory') {
        order.orderhistory = (order.orderhistory as string[]).filter((u) => u !== row.resource_uri);
        order.has_history = (order.orderhistory as string[]).length > 0;
      }
      this.deriveTotals(order);
    }
    this.respond(req, res, 204, undefined);
  }

  /** An Order's detail DELETE removes it with the records that point at it (Django's cascade). */
  private deleteOrder(req: Request, res: Response): void {
    const id = Number(req.params.id);
    const order = this.orderRows.get(id);
    if (!order) {
      this.apiError(res, 404, 'Order not found');
      return;
    }
    this.orderRows.delete(id);
    for (const rows of [this.itemRows, this.paymentRows, this.historyRows]) {
      for (const [childId, row] of rows) if (row.order === order.resource_uri) rows.delete(childId);
    }
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
      ...orderDefaults(id, now),
      ...orderFieldsOf(body),
      // Read-only on Revel's side whatever the client sends.
      id,
      resource_uri: `/resources/Order/${id}/`,
      applied_discounts: [],
      orderhistory: [],
      closed: false,
      has_items: false,
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
    // Shaped like the captured AppliedDiscountOrder (upstream-facts §2.2, the old connector's order_10685039.json).
    const applied: Row = existing ?? {
      id: this.nextIds.discount++,
      uuid: randomUUID(),
      resource_uri: '',
      discount: order.discount,
      order: order.resource_uri,
      rule_type: null,
      discounted_by: null,
      tax_amount_included: '0.000000',
      discount_function: 0,
      qty: null,
      taxed: false,
      stackable_type: 0,
      discount_code: null,
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
    order.has_items = [...this.itemRows.values()].some((item) => item.order === order.resource_uri);
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

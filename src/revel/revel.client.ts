import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { AxiosRequestConfig } from 'axios';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { RequestOptions, ResilienceOptions, ResilientHttp } from '../common/http/resilient-http';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import {
  RevelEstablishment,
  RevelList,
  RevelOrder,
  RevelOrderCreate,
  RevelOrderHistory,
  RevelOrderHistoryCreate,
  RevelOrderItem,
  RevelOrderItemCreate,
  RevelOrderItemPatch,
  RevelOrderPatch,
  RevelPayment,
  RevelPaymentCreate,
  RevelPaymentPatch,
  RevelProduct,
  revelUri,
} from './revel.types';

/**
 * Knobs of the HTTP layer that configuration does not expose (backoff, concurrency, page size).
 * Production uses the defaults; tests shrink the delays so a retry costs milliseconds.
 */
export interface RevelHttpTuning extends Partial<Omit<ResilienceOptions, 'upstream'>> {
  /** Objects asked for per list page; Revel caps it (1000 is known to be accepted). */
  pageSize?: number;
}

export const REVEL_HTTP_TUNING = Symbol('REVEL_HTTP_TUNING');

const DEFAULT_PAGE_SIZE = 1000;
/** local_id values in one batched lookup: ~25 characters each keeps the URL near 2 kB. */
const MAX_LOOKUP_BATCH = 90;

interface LookupBatch {
  ids: Set<string>;
  /** Set when the request is sent: later lookups start a new batch. */
  frozen: boolean;
  result: Promise<RevelOrder[]>;
}
/** A list longer than this many pages means the server's paging is broken, not a big catalogue. */
const MAX_PAGES = 500;

type Guard<T> = (value: unknown) => value is T;
type Query = Record<string, string | number>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isResource(
  value: unknown,
): value is Record<string, unknown> & { id: number; resource_uri: string } {
  return isRecord(value) && Number.isInteger(value.id) && typeof value.resource_uri === 'string';
}

/** Old orders may lack a uuid; they still count as orders (never as "nothing there"). */
const isOrder = (value: unknown): value is RevelOrder =>
  isResource(value) &&
  (value.uuid === undefined || value.uuid === null || typeof value.uuid === 'string');
const isChild = <T>(value: unknown): value is T => isResource(value);
/** A DELETE answers 204 with no body: nothing to check. */
const isAnything = (_value: unknown): _value is unknown => true;
const isProduct = (value: unknown): value is RevelProduct =>
  isResource(value) && typeof value.name === 'string';
const isEstablishment = (value: unknown): value is RevelEstablishment =>
  isResource(value) && (value.name === undefined || typeof value.name === 'string');

function badResponse(where: string, status: number | undefined, why: string): UpstreamError {
  // A body we cannot read will not read better on a retry, so this is permanent.
  return new UpstreamError(
    'revel',
    `revel ${where} answered an unusable body: ${why}`,
    status,
    false,
    undefined,
    'BAD_RESPONSE',
  );
}

/**
 * The only class that talks HTTP to Revel. Every call goes through ResilientHttp (timeouts,
 * retries, rate limit) and leaves as a typed value or an UpstreamError, never as "empty".
 */
@Injectable()
export class RevelClient {
  private readonly http: ResilientHttp;
  private readonly pageSize: number;
  /** The not-yet-sent dedup lookup of each establishment, which new lookups join. */
  private readonly lookupBatches = new Map<number, LookupBatch>();

  constructor(
    httpService: HttpService,
    @Inject(revelConfig.KEY) config: ConfigType<typeof revelConfig>,
    @Optional() @Inject(REVEL_HTTP_TUNING) tuning: RevelHttpTuning = {},
    @Optional() metrics?: MetricsService,
  ) {
    const axios = httpService.axiosRef;
    const authentication = `${config.apiKey}:${config.apiSecret}`;
    // This axios instance belongs to RevelModule alone, so the credentials cannot leak to another upstream.
    axios.interceptors.request.use((request) => {
      request.headers.set('API-AUTHENTICATION', authentication);
      const correlationId = currentCorrelationId();
      if (correlationId) request.headers.set('X-Correlation-Id', correlationId);
      return request;
    });
    const { pageSize, ...resilience } = tuning;
    this.pageSize = pageSize ?? DEFAULT_PAGE_SIZE;
    this.http = new ResilientHttp(axios, {
      upstream: 'revel',
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      ratePerSecond: config.ratePerSecond,
      baseDelayMs: 250,
      maxDelayMs: 8000,
      maxConcurrent: 4,
      ...resilience,
      metrics,
    });
  }

  /** Requests sent so far, retries included. */
  get requestsSent(): number {
    return this.http.sent;
  }

  /**
   * Orders of one establishment carrying `localId`. A lookup that fails throws: treating an
   * error as "not found" is how the old connector created duplicates.
   */
  findOrdersByLocalId(establishmentId: number, localId: string): Promise<RevelOrder[]> {
    return this.listAll(
      '/resources/Order/',
      { establishment: establishmentId, local_id: localId },
      isOrder,
    );
  }

  /**
   * Orders of one establishment carrying any of `localIds`, in one call: Revel's documented
   * `__in` lookup takes a comma-separated list (upstream-facts §2.3: `id__in=1,2,3`; the dedup
   * lookup `local_id__in=a,b,c` "for a batch"). Concurrent callers for the same establishment share
   * one request: a lookup joins the batch that has not been sent yet, and the batch is frozen when
   * the rate limiter actually sends it, so every caller's question is asked after it was put (the
   * same answer as a lookup of its own) while a busy limiter turns many lookups into one call. The
   * request is a background one: it waits (at most 3 s) while writes are queued for the limiter,
   * so the events that reach their lookup meanwhile join it instead of sending their own.
   * Like every lookup, a failure throws for every caller: never "none".
   */
  async findOrdersByLocalIds(
    establishmentId: number,
    localIds: readonly string[],
  ): Promise<RevelOrder[]> {
    const ids = [...new Set(localIds)];
    if (ids.length === 0) return [];
    // A comma would split one local id into two values of the __in list.
    const bad = ids.find((id) => id.includes(','));
    if (bad !== undefined) {
      throw new UpstreamError(
        'revel',
        `local_id ${JSON.stringify(bad)} contains a comma and cannot be looked up with __in`,
        undefined,
        false,
        undefined,
        'INVALID_LOCAL_ID',
      );
    }
    let batch = this.lookupBatches.get(establishmentId);
    if (!batch || batch.frozen || batch.ids.size + ids.length > MAX_LOOKUP_BATCH) {
      batch = { ids: new Set(ids), frozen: false, result: Promise.resolve([]) };
      const current = batch;
      this.lookupBatches.set(establishmentId, current);
      current.result = this.listAll(
        '/resources/Order/',
        () => {
          if (!current.frozen) {
            current.frozen = true;
            if (this.lookupBatches.get(establishmentId) === current) {
              this.lookupBatches.delete(establishmentId);
            }
          }
          return { establishment: establishmentId, local_id__in: [...current.ids].join(',') };
        },
        isOrder,
        'background',
      );
    } else {
      for (const id of ids) batch.ids.add(id);
    }
    const wanted = new Set(ids);
    return (await batch.result).filter(
      (order) => typeof order.local_id === 'string' && wanted.has(order.local_id),
    );
  }

  getOrder(id: number): Promise<RevelOrder> {
    return this.send(
      { method: 'GET', url: revelUri.order(id), params: { format: 'json' } },
      true,
      isOrder,
    );
  }

  /**
   * One establishment, `GET /enterprise/Establishment/<id>/` (upstream-facts §2.2: it lives under
   * /enterprise/, not /resources/). Proves that the credentials reach this establishment; an
   * unknown id is an UpstreamError with status 404.
   */
  getEstablishment(id: number): Promise<RevelEstablishment> {
    return this.send(
      { method: 'GET', url: revelUri.establishment(id), params: { format: 'json' } },
      true,
      isEstablishment,
    );
  }

  /**
   * Not retried on an unknown outcome: the caller looks the order up before creating again.
   * `beforeSend` is awaited right before the POST leaves (see RequestOptions.beforeSend).
   */
  createOrder(body: RevelOrderCreate, beforeSend?: () => Promise<void>): Promise<RevelOrder> {
    return this.send(
      { method: 'POST', url: '/resources/Order/', data: body },
      false,
      isOrder,
      'normal',
      beforeSend,
    );
  }

  /**
   * Tastypie's detail DELETE (upstream-facts, "Revel DELETE"): removes a duplicate our read-back
   * found. One already gone (a retried DELETE) is not an error.
   */
  async deleteRecord(resource: 'Order' | 'OrderItem' | 'Payment' | 'OrderHistory', id: number) {
    const url = {
      Order: revelUri.order,
      OrderItem: revelUri.orderItem,
      Payment: revelUri.payment,
      OrderHistory: revelUri.orderHistory,
    }[resource](id);
    try {
      await this.send({ method: 'DELETE', url }, true, isAnything);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return;
      throw error;
    }
  }

  updateOrder(id: number, patch: RevelOrderPatch): Promise<RevelOrder> {
    return this.send({ method: 'PATCH', url: revelUri.order(id), data: patch }, true, isOrder);
  }

  createOrderItem(body: RevelOrderItemCreate): Promise<RevelOrderItem> {
    return this.send(
      { method: 'POST', url: '/resources/OrderItem/', data: body },
      false,
      isChild<RevelOrderItem>,
    );
  }

  /** Absolute values, so a retried PATCH changes nothing more (resync only). */
  updateOrderItem(id: number, patch: RevelOrderItemPatch): Promise<RevelOrderItem> {
    return this.send(
      { method: 'PATCH', url: revelUri.orderItem(id), data: patch },
      true,
      isChild<RevelOrderItem>,
    );
  }

  /** Removes an order item (resync only). One already gone (a retried DELETE) is not an error. */
  deleteOrderItem(id: number): Promise<void> {
    return this.deleteRecord('OrderItem', id);
  }

  listOrderItems(orderId: number): Promise<RevelOrderItem[]> {
    return this.listAll('/resources/OrderItem/', { order: orderId }, isChild<RevelOrderItem>);
  }

  createPayment(body: RevelPaymentCreate): Promise<RevelPayment> {
    return this.send(
      { method: 'POST', url: '/resources/Payment/', data: body },
      false,
      isChild<RevelPayment>,
    );
  }

  /** Absolute values, so a retried PATCH changes nothing more (resync only). */
  updatePayment(id: number, patch: RevelPaymentPatch): Promise<RevelPayment> {
    return this.send(
      { method: 'PATCH', url: revelUri.payment(id), data: patch },
      true,
      isChild<RevelPayment>,
    );
  }

  listPayments(orderId: number): Promise<RevelPayment[]> {
    return this.listAll('/resources/Payment/', { order: orderId }, isChild<RevelPayment>);
  }

  createOrderHistory(body: RevelOrderHistoryCreate): Promise<RevelOrderHistory> {
    return this.send(
      { method: 'POST', url: '/resources/OrderHistory/', data: body },
      false,
      isChild<RevelOrderHistory>,
    );
  }

  listOrderHistory(orderId: number): Promise<RevelOrderHistory[]> {
    return this.listAll('/resources/OrderHistory/', { order: orderId }, isChild<RevelOrderHistory>);
  }

  /**
   * The active catalogue of one establishment, every page, each product once. `active=true` is a
   * documented Product filter (upstream-facts §2.3); a product that still says `active: false` or `deleted:
   * true` is dropped here too, so an inactive product is never ordered whatever the filter did.
   */
  async listProducts(establishmentId: number): Promise<RevelProduct[]> {
    const listed = await this.listAll(
      '/resources/Product/',
      { establishment: establishmentId, active: 'true' },
      isProduct,
    );
    const products = listed.filter((p) => p.active !== false && p.deleted !== true);
    // Offset paging over a list that changes between pages can repeat a product.
    const byId = new Map<number, RevelProduct>();
    for (const product of products) if (!byId.has(product.id)) byId.set(product.id, product);
    return [...byId.values()];
  }

  /**
   * Walks a list page by page. The next offset is computed from what the server actually returned
   * (it may cap `limit`), and `meta.next` says whether there is more.
   */
  private async listAll<T>(
    path: string,
    filter: Query | (() => Query),
    guard: Guard<T>,
    priority: RequestOptions['priority'] = 'normal',
  ): Promise<T[]> {
    const objects: T[] = [];
    let offset = 0;
    let frozen: Query | undefined = typeof filter === 'function' ? undefined : filter;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const pageOffset = offset;
      // A lazy filter is read when the first page is actually sent, then kept for every page.
      const config = (): AxiosRequestConfig => {
        frozen ??= (filter as () => Query)();
        return {
          method: 'GET',
          url: path,
          params: { ...frozen, format: 'json', limit: this.pageSize, offset: pageOffset },
        };
      };
      const list = await this.send(
        config,
        true,
        (value): value is RevelList<T> =>
          isRecord(value) && isRecord(value.meta) && Array.isArray(value.objects),
        priority,
      );
      const where = `GET ${path}`;
      if (!list.objects.every((object) => guard(object))) {
        throw badResponse(
          where,
          200,
          'a listed object lacks id/resource_uri or has the wrong shape',
        );
      }
      objects.push(...list.objects);
      const next = list.meta.next;
      if (next === null || next === undefined || next === '' || list.objects.length === 0)
        return objects;
      offset =
        (typeof list.meta.offset === 'number' ? list.meta.offset : offset) + list.objects.length;
    }
    throw badResponse(`GET ${path}`, 200, `more than ${MAX_PAGES} pages`);
  }

  private async send<T>(
    config: AxiosRequestConfig | (() => AxiosRequestConfig),
    idempotent: boolean,
    guard: Guard<T>,
    priority: RequestOptions['priority'] = 'normal',
    beforeSend?: RequestOptions['beforeSend'],
  ): Promise<T> {
    let sent: AxiosRequestConfig | undefined = typeof config === 'function' ? undefined : config;
    const response = await this.http.request<unknown>(
      typeof config === 'function'
        ? () => {
            sent = config();
            return { responseType: 'json', ...sent };
          }
        : { responseType: 'json', ...config },
      { idempotent, priority, ...(beforeSend ? { beforeSend } : {}) },
    );
    if (!guard(response.data)) {
      const what = typeof response.data === 'string' ? 'not JSON' : 'unexpected JSON shape';
      throw badResponse(`${sent?.method ?? 'GET'} ${sent?.url ?? ''}`, response.status, what);
    }
    return response.data;
  }
}

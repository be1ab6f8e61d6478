import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { type AxiosRequestConfig, type InternalAxiosRequestConfig, isAxiosError } from 'axios';
import { CORRELATION_HEADER, currentCorrelationId } from '../common/correlation/correlation-id';
import { type ResilienceOptions, ResilientHttp } from '../common/http/resilient-http';
import { UpstreamError } from '../common/upstream.error';
import { tripleseatConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import { TripleSeatAuth } from './tripleseat-auth';
import type { EventSearchFilter, TripleSeatBooking, TripleSeatEvent } from './tripleseat.types';

/** Backoff and concurrency knobs that have no environment variable; tests shorten the delays. */
export type TripleSeatResilienceOverrides = Partial<
  Pick<ResilienceOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxConcurrent'>
>;
export const TRIPLESEAT_RESILIENCE = Symbol('TRIPLESEAT_RESILIENCE');

const DEFAULT_RESILIENCE = { baseDelayMs: 250, maxDelayMs: 10_000, maxConcurrent: 4 };
/** A search that claims more pages than this is treated as a broken answer, not walked forever. */
const MAX_SEARCH_PAGES = 1000;
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const hasUsableId = (value: unknown): value is { id: number | string } =>
  isObject(value) &&
  ((typeof value.id === 'number' && Number.isFinite(value.id)) ||
    (typeof value.id === 'string' && value.id !== ''));

function badResponse(message: string): UpstreamError {
  return new UpstreamError('tripleseat', message, undefined, false, undefined, 'BAD_RESPONSE');
}

function invalidInput(message: string, code: string): UpstreamError {
  return new UpstreamError('tripleseat', message, undefined, false, undefined, code);
}

/** YYYY-MM-DD → MM/DD/YYYY, the only date form the search endpoint takes. */
function toUsDate(iso: string, field: string): string {
  const m = ISO_DATE.exec(iso);
  const valid = m && new Date(`${iso}T00:00:00Z`).toISOString().startsWith(iso);
  if (!m || !valid)
    throw invalidInput(`${field} must be a YYYY-MM-DD date, got "${iso}"`, 'INVALID_FILTER');
  return `${m[2]}/${m[3]}/${m[1]}`;
}

/** RFC 3986 encoding (no `+` for spaces), so the logged URL is byte for byte the URL we send. */
function queryString(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/**
 * All HTTP to TripleSeat. Every call goes through ResilientHttp (timeouts, retries with backoff
 * honouring Retry-After, a client-side rate limit); every failure leaves as an UpstreamError.
 */
@Injectable()
export class TripleSeatClient {
  private readonly logger = new Logger(TripleSeatClient.name);
  private readonly http: ResilientHttp;
  private readonly apiBaseUrl: string;

  constructor(
    httpService: HttpService,
    @Inject(tripleseatConfig.KEY) config: ConfigType<typeof tripleseatConfig>,
    private readonly auth: TripleSeatAuth,
    @Optional() @Inject(TRIPLESEAT_RESILIENCE) overrides?: TripleSeatResilienceOverrides,
    @Optional() metrics?: MetricsService,
  ) {
    this.apiBaseUrl = config.apiBaseUrl.replace(/\/+$/, '');
    const axios = httpService.axiosRef;
    axios.interceptors.request.use((request) => this.beforeAttempt(request));
    axios.interceptors.response.use(undefined, (error: unknown) => this.afterFailure(error));
    this.http = new ResilientHttp(axios, {
      upstream: 'tripleseat',
      timeoutMs: config.timeoutMs,
      maxAttempts: config.maxAttempts,
      ratePerSecond: config.ratePerSecond,
      ...DEFAULT_RESILIENCE,
      ...overrides,
      metrics,
    });
  }

  /** Requests sent to TripleSeat so far: API attempts (retries included) plus token calls. */
  get requestsSent(): number {
    return this.http.sent + this.auth.tokenRequests;
  }

  /**
   * The event with its documents' line items, billing totals and financials: TripleSeat includes
   * them only when `show_financial=true` is asked for (upstream-facts §1.2).
   */
  async getEvent(id: string): Promise<TripleSeatEvent> {
    const body = await this.getJson(
      `/events/${this.safeId(id)}.json${queryString({ show_financial: 'true' })}`,
    );
    if (!isObject(body) || !hasUsableId(body.event)) {
      throw badResponse(`TripleSeat event ${id}: answer is not {"event":{...}}`);
    }
    return body.event;
  }

  async getBooking(id: string): Promise<TripleSeatBooking> {
    const body = await this.getJson(`/bookings/${this.safeId(id)}.json`);
    if (!isObject(body) || !hasUsableId(body.booking)) {
      throw badResponse(`TripleSeat booking ${id}: answer is not {"booking":{...}}`);
    }
    return body.booking;
  }

  /**
   * One page of `GET /v1/events.json?page=N` (upstream-facts §1.2, §1.3: `{total_pages, results}`,
   * 50 a page, 1-based). It is the call upstream-facts §1.1 recommends to prove that an issued
   * token is accepted by the API (the go-live check); results carry no financial detail.
   */
  async listEventsPage(page: number): Promise<{ results: TripleSeatEvent[]; totalPages?: number }> {
    if (!Number.isInteger(page) || page < 1) {
      throw invalidInput(`page must be a positive integer, got ${String(page)}`, 'INVALID_FILTER');
    }
    const body = await this.getJson(`/events.json${queryString({ page })}`);
    return this.searchPage(body, 'TripleSeat event list');
  }

  /**
   * Every event whose date lies in [fromDate, toDate] (and whose status is listed, when given),
   * each once, page by page. One walk per status: TripleSeat's public material shows `status`
   * with a single value only, and a list it silently ignored would hide events.
   */
  async *searchEvents(filter: EventSearchFilter): AsyncGenerator<TripleSeatEvent> {
    const from = toUsDate(filter.fromDate, 'fromDate');
    const to = toUsDate(filter.toDate, 'toDate');
    const statuses = [
      ...new Set((filter.statuses ?? []).map((s) => s.trim().toLowerCase())),
    ].filter((s) => s !== '');
    // Pages shift when events change during a walk, so one event can show up on two pages.
    const seen = new Set<string>();
    for (const status of statuses.length > 0 ? statuses : [undefined]) {
      for (let page = 1; ; page += 1) {
        if (page > MAX_SEARCH_PAGES) {
          throw badResponse(`TripleSeat search did not end after ${MAX_SEARCH_PAGES} pages`);
        }
        const body = await this.getJson(
          `/events/search.json${queryString({ event_start_date: from, event_end_date: to, status, page })}`,
        );
        const { results, totalPages } = this.searchPage(body, 'TripleSeat search');
        for (const event of results) {
          const key = String(event.id);
          if (seen.has(key)) continue;
          seen.add(key);
          yield event;
        }
        // Without total_pages (not seen in practice), an empty page is the only end marker.
        const done = totalPages === undefined ? results.length === 0 : page >= totalPages;
        if (done) break;
      }
    }
  }

  /** A `{total_pages, results}` page (search and list share it, upstream-facts §1.3). */
  private searchPage(
    body: unknown,
    what: string,
  ): { results: TripleSeatEvent[]; totalPages?: number } {
    if (!isObject(body) || !Array.isArray(body.results)) {
      throw badResponse(`${what}: answer has no results array`);
    }
    if (!body.results.every(hasUsableId)) {
      throw badResponse(`${what}: a result has no id`);
    }
    const raw = body.total_pages;
    if (raw === undefined || raw === null) {
      return { results: body.results };
    }
    const totalPages = Number(raw);
    if (!Number.isInteger(totalPages) || totalPages < 0) {
      throw badResponse(`${what}: total_pages is ${JSON.stringify(raw)}`);
    }
    return { results: body.results, totalPages };
  }

  private safeId(id: string): string {
    const text = String(id).trim();
    if (!SAFE_ID.test(text)) throw invalidInput(`not a TripleSeat id: "${id}"`, 'INVALID_ID');
    return text;
  }

  /** One GET, logged once at debug with its outcome; a refused token is renewed once. */
  private async getJson(pathAndQuery: string): Promise<unknown> {
    const url = `${this.apiBaseUrl}${pathAndQuery}`;
    const path = new URL(url).pathname;
    // Captured here, not in the interceptor: bottleneck may start a queued attempt from another
    // caller's async context, where the CLS id would belong to someone else.
    const correlationId = currentCorrelationId();
    const config: AxiosRequestConfig = {
      method: 'GET',
      url,
      headers: {
        Accept: 'application/json',
        ...(correlationId ? { [CORRELATION_HEADER]: correlationId } : {}),
      },
    };
    const started = Date.now();
    try {
      const response = await this.sendWithReauth(config);
      this.logger.debug(`GET ${path} -> ${response.status} in ${Date.now() - started}ms`);
      return response.data;
    } catch (error) {
      const outcome =
        error instanceof UpstreamError ? (error.status ?? error.code) : 'unexpected error';
      this.logger.debug(`GET ${path} -> ${outcome} in ${Date.now() - started}ms`);
      throw error;
    }
  }

  /**
   * A 401 from the API means the token was revoked or expired early: the response interceptor has
   * already dropped it, and the request is sent once more with a fresh one. Not for the token
   * endpoint's refusal (AUTH_REJECTED) nor an HTML login page (AUTH_HTML): a new token cannot
   * cure those. A 401 "Token resource owner not found" (AUTH_ACCOUNT_NOT_LINKED) is retried once
   * too, since a revoked token can say the same; when the fresh token is refused alike, the
   * account is not linked and that error is what the caller gets.
   */
  private async sendWithReauth(config: AxiosRequestConfig) {
    try {
      return await this.http.request<unknown>(config, { idempotent: true });
    } catch (error) {
      const refused =
        error instanceof UpstreamError &&
        error.answeredStatus === 401 &&
        (error.code === 'HTTP_401' || error.code === 'AUTH_ACCOUNT_NOT_LINKED');
      if (!refused) throw error;
      return await this.http.request<unknown>(config, { idempotent: true });
    }
  }

  private isApiUrl(url: string | undefined): url is string {
    return url !== undefined && url.startsWith(`${this.apiBaseUrl}/`);
  }

  /**
   * Runs before every attempt, retries included: the current bearer token, and the correlation id
   * for calls that did not set one. Credentials only ever go to the API base URL.
   */
  private async beforeAttempt(
    request: InternalAxiosRequestConfig,
  ): Promise<InternalAxiosRequestConfig> {
    const given = request.headers.get(CORRELATION_HEADER);
    const correlationId = typeof given === 'string' && given ? given : currentCorrelationId();
    if (correlationId) request.headers.set(CORRELATION_HEADER, correlationId);
    if (this.isApiUrl(request.url)) {
      request.headers.set('Authorization', await this.auth.authorizationFor(correlationId));
    }
    return request;
  }

  private afterFailure(error: unknown): Promise<never> {
    if (isAxiosError(error) && error.response?.status === 401 && this.isApiUrl(error.config?.url)) {
      const sent = error.config?.headers?.get('Authorization');
      this.auth.invalidate(typeof sent === 'string' ? sent : undefined);
    }
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

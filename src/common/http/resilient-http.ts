import { AsyncResource } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import { AxiosError, AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import Bottleneck from 'bottleneck';
import { DelegateBackoff, handleWhen, IRetryBackoffContext, retry, RetryPolicy } from 'cockatiel';
import { UpstreamError, UpstreamName } from '../upstream.error';
import { type HttpMetrics, routeLabel } from './http-metrics';

export interface ResilienceOptions {
  upstream: UpstreamName;
  /** Per attempt: an answer that takes longer is a TIMEOUT. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Client-side rate limit, requests per second, shared by every caller of this client. */
  ratePerSecond: number;
  maxConcurrent: number;
  /** Where each attempt and retry is counted (Prometheus); nothing is counted when absent. */
  metrics?: HttpMetrics;
}

export interface RequestOptions {
  /**
   * Whether a failure whose effect upstream is unknown (timeout, 5xx, reset after sending) may be
   * retried here. False for creating POSTs: the caller re-reads the upstream state first, so a
   * retry can never write a second copy.
   */
  idempotent: boolean;
  /**
   * `background` requests are handed to the rate limiter only once no `normal` request is waiting
   * for it (or after BACKGROUND_MAX_DEFER_MS). The Revel client's batched dedup lookups use it:
   * while writes are queued, more callers join the one lookup instead of each sending its own.
   */
  priority?: 'normal' | 'background';
  /**
   * Awaited right before each attempt is sent (after the rate limiter and any pause); a rejection
   * ends the request unsent with that error. The Revel writer checks the kill switch here, so an
   * Order POST queued before the switch was turned off is never sent after it.
   */
  beforeSend?: () => Promise<void>;
}

/** The rate limit's window: one second, and a little more so that network jitter stays inside it. */
const WINDOW_MS = 1020;

/** The longest a background request defers to queued normal ones (bounds the delay it adds). */
const BACKGROUND_MAX_DEFER_MS = 3000;

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const NETWORK_CODES_RETRYABLE = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: unknown, nowMs = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** First characters of a body worth looking at; bodies are never copied whole into messages. */
const SNIFF_LENGTH = 2000;
/**
 * A 401 body that says the token is fine but belongs to no linked account (upstream-facts §1.1).
 */
const RESOURCE_OWNER = /resource[\s_-]*owner/i;

function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const bag = headers as Record<string, unknown> & { get?: (n: string) => unknown };
  const value = typeof bag.get === 'function' ? bag.get(name) : bag[name];
  if (Array.isArray(value)) return value.map(String).join(', ');
  return typeof value === 'string' ? value : undefined;
}

/** The start of a body as text: strings and buffers as they are, JSON re-serialised. */
function bodyText(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, SNIFF_LENGTH);
  if (Buffer.isBuffer(data)) return data.subarray(0, SNIFF_LENGTH).toString('utf8');
  if (data === undefined || data === null) return '';
  try {
    return (JSON.stringify(data) ?? '').slice(0, SNIFF_LENGTH);
  } catch {
    return '';
  }
}

/**
 * Whether an answer is an HTML page (in practice a login page) instead of the JSON both APIs
 * send: a `text/html` (or XHTML) content type, or a body that starts with `<` (upstream-facts §1.1,
 * §1.6, §2.5).
 */
export function isHtmlAnswer(headers: unknown, data: unknown): boolean {
  const type = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  if (type.includes('text/html') || type.includes('application/xhtml')) return true;
  const text = typeof data === 'string' || Buffer.isBuffer(data) ? bodyText(data) : '';
  return text.trimStart().startsWith('<');
}

/** `GET /v1/events/1.json`: method and path only; origin and query string are dropped. */
export function describeRequest(method: string | undefined, url: string | undefined): string {
  let path = url ?? '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = '/';
    }
  }
  return `${(method ?? 'GET').toUpperCase()} ${path.split(/[?#]/, 1)[0] || '/'}`;
}

/**
 * An HTML page where JSON was expected: an authentication failure, whatever status carried it
 * (a login page answered 200 or 404 is neither data nor "not found"). Reported as status 401 so
 * that no caller reading `status === 404` mistakes it for a missing record; never retried.
 */
export function htmlAnswerError(
  upstream: UpstreamName,
  method: string | undefined,
  url: string | undefined,
  answeredStatus: number | undefined,
  hint = 'the credentials or the account link are wrong',
): UpstreamError {
  const status = answeredStatus === undefined ? '' : ` (status ${answeredStatus})`;
  return new UpstreamError(
    upstream,
    `${upstream} ${describeRequest(method, url)} answered an HTML page (a login page?) instead of JSON${status}: ${hint}`,
    401,
    false,
    undefined,
    'AUTH_HTML',
    answeredStatus,
  );
}

/**
 * Whether an HTML error answer is a login page rather than a gateway's error page: a 5xx, 408 or
 * 429 in HTML is a proxy or load balancer speaking (an outage), and stays retryable.
 */
function htmlMeansAuth(status: number): boolean {
  return status < 500 && status !== 408 && status !== 429;
}

/** The single place where an HTTP failure is judged retryable or permanent. */
export function classifyHttpFailure(upstream: UpstreamName, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof AxiosError) {
    const method = (error.config?.method ?? 'get').toUpperCase();
    const where = `${method} ${error.config?.url ?? ''}`;
    if (error.response) {
      const status = error.response.status;
      const data: unknown = error.response.data;
      if (htmlMeansAuth(status) && isHtmlAnswer(error.response.headers, data)) {
        return htmlAnswerError(upstream, method, error.config?.url, status);
      }
      if (status === 401 && RESOURCE_OWNER.test(bodyText(data))) {
        return new UpstreamError(
          upstream,
          `${upstream} ${describeRequest(method, error.config?.url)} answered 401 "Token resource owner not found": ` +
            'the token was issued but the account is not linked to this API application ' +
            '(a customer admin must authorize or link the application in the account)',
          401,
          false,
          undefined,
          'AUTH_ACCOUNT_NOT_LINKED',
        );
      }
      const retryAfterMs =
        status === 429 || status === 503
          ? parseRetryAfter(error.response.headers['retry-after'])
          : undefined;
      return new UpstreamError(
        upstream,
        `${upstream} ${where} answered ${status}`,
        status,
        RETRYABLE_STATUSES.has(status),
        retryAfterMs,
      );
    }
    const code = error.code ?? 'NETWORK_ERROR';
    const timedOut =
      code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(error.message);
    return new UpstreamError(
      upstream,
      `${upstream} ${where} failed: ${timedOut ? 'timed out' : error.message}`,
      undefined,
      timedOut || NETWORK_CODES_RETRYABLE.has(code) || /socket hang up/i.test(error.message),
      undefined,
      timedOut ? 'TIMEOUT' : code,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError(
    upstream,
    `${upstream} call failed: ${message}`,
    undefined,
    false,
    undefined,
    'CLIENT_ERROR',
  );
}

/** A failure that certainly did not reach the upstream's business logic. */
function neverProcessed(error: UpstreamError): boolean {
  return error.status === 429 || error.code === 'ECONNREFUSED';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Timeouts, retries with exponential backoff and full jitter (honouring Retry-After), and a
 * client-side rate limit, around one axios instance. Built on cockatiel and bottleneck.
 */
export class ResilientHttp {
  private readonly logger: Logger;
  private readonly limiter: Bottleneck;
  private readonly retryPolicy: RetryPolicy;
  private readonly retryPolicyForWrites: RetryPolicy;
  /** After a 429 every caller of this upstream waits, not just the one that was told. */
  private pausedUntil = 0;
  private requestCount = 0;
  /** When the requests of the last WINDOW_MS were sent (see withinWindow). */
  private readonly recentSends: number[] = [];
  /** Normal requests handed to the limiter and not started yet. */
  private normalWaiting = 0;
  /** Background requests deferring to them, with their deferral caps. */
  private readonly backgroundWaiters = new Map<() => void, NodeJS.Timeout>();

  constructor(
    private readonly axios: AxiosInstance,
    private readonly options: ResilienceOptions,
  ) {
    this.logger = new Logger(`${options.upstream}-http`);
    this.limiter = new Bottleneck({
      maxConcurrent: options.maxConcurrent,
      minTime: Math.ceil(1000 / options.ratePerSecond),
    });
    const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>((context) =>
      this.backoffDelay(context),
    );
    const build = (filter: (e: UpstreamError) => boolean) =>
      retry(
        handleWhen((e) => e instanceof UpstreamError && e.retryable && filter(e)),
        { maxAttempts: options.maxAttempts - 1, backoff },
      );
    this.retryPolicy = build(() => true);
    this.retryPolicyForWrites = build(neverProcessed);
    this.retryPolicy.onRetry((reason) => this.onRetry(reason));
    this.retryPolicyForWrites.onRetry((reason) => this.onRetry(reason));
  }

  /** Requests sent so far (attempts, retries included); benchmarks read it. */
  get sent(): number {
    return this.requestCount;
  }

  /**
   * One request with timeouts, retries and the rate limit. `config` may be a function: it is then
   * called when an attempt actually starts (after the rate limiter and any 429 pause), so a caller
   * can keep gathering what the request asks for until the moment it is sent (see the Revel
   * client's batched lookups). It is called again for each retry and must then answer the same.
   */
  async request<T>(
    config: AxiosRequestConfig | (() => AxiosRequestConfig),
    options: RequestOptions,
  ): Promise<AxiosResponse<T>> {
    const policy = options.idempotent ? this.retryPolicy : this.retryPolicyForWrites;
    // Bottleneck may start a queued job from another caller's async context; binding keeps the
    // caller's (its correlation id travels on the request).
    const job = AsyncResource.bind(() => this.attempt<T>(config, options.beforeSend));
    return policy.execute(() =>
      options.priority === 'background' ? this.scheduleBackground(job) : this.scheduleNormal(job),
    );
  }

  private async scheduleBackground<T>(job: () => Promise<T>): Promise<T> {
    if (this.normalWaiting > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.backgroundWaiters.delete(resolve);
          resolve();
        }, BACKGROUND_MAX_DEFER_MS);
        this.backgroundWaiters.set(resolve, timer);
      });
    }
    return this.limiter.schedule(job);
  }

  /** Counted as waiting from now until the limiter starts it (or it fails to start). */
  private scheduleNormal<T>(job: () => Promise<T>): Promise<T> {
    this.normalWaiting += 1;
    let waiting = true;
    const started = () => {
      if (!waiting) return;
      waiting = false;
      this.normalWaiting -= 1;
      if (this.normalWaiting === 0) this.releaseBackground();
    };
    return this.limiter
      .schedule(() => {
        started();
        return job();
      })
      .finally(started);
  }

  private releaseBackground(): void {
    for (const [resolve, timer] of this.backgroundWaiters) {
      clearTimeout(timer);
      resolve();
    }
    this.backgroundWaiters.clear();
  }

  private async attempt<T>(
    lazyConfig: AxiosRequestConfig | (() => AxiosRequestConfig),
    beforeSend?: () => Promise<void>,
  ): Promise<AxiosResponse<T>> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await sleep(wait);
    if (beforeSend) await beforeSend();
    await this.withinWindow();
    const config = typeof lazyConfig === 'function' ? lazyConfig() : lazyConfig;
    this.requestCount += 1;
    const started = performance.now();
    let response: AxiosResponse<T>;
    try {
      response = await this.axios.request<T>({ timeout: this.options.timeoutMs, ...config });
    } catch (error) {
      const failure = classifyHttpFailure(this.options.upstream, error);
      const answered = failure.answeredStatus;
      this.observe(config, answered !== undefined ? String(answered) : failure.code, started);
      if (failure.status === 429) {
        const pause = failure.retryAfterMs ?? this.options.baseDelayMs;
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + pause);
      }
      throw failure;
    }
    this.observe(config, String(response.status), started);
    // A login page answered 200 is the most misleading answer of all: never let it pass as data.
    if (isHtmlAnswer(response.headers, response.data)) {
      throw htmlAnswerError(this.options.upstream, config.method, config.url, response.status);
    }
    return response;
  }

  /**
   * Bottleneck spaces request starts by 1000/rate ms, but a timer that fires late (a busy event
   * loop) moves a request into the next second, which already holds `rate` slots: an upstream that
   * counts per second then answers 429 and every caller pauses. So each send also checks the real
   * send times: never more than `rate` within any second (plus a small margin for jitter).
   */
  private async withinWindow(): Promise<void> {
    const limit = Math.max(1, Math.floor(this.options.ratePerSecond));
    for (;;) {
      const now = Date.now();
      const sends = this.recentSends;
      while (sends.length > 0 && sends[0] <= now - WINDOW_MS) sends.shift();
      if (sends.length < limit) {
        sends.push(now);
        return;
      }
      await sleep(sends[0] + WINDOW_MS - now);
    }
  }

  private backoffDelay(context: IRetryBackoffContext<unknown>): number {
    const exponential = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** (context.attempt - 1),
    );
    const jittered = Math.random() * exponential;
    const error = 'error' in context.result ? context.result.error : undefined;
    const asked = error instanceof UpstreamError ? (error.retryAfterMs ?? 0) : 0;
    return Math.max(jittered, Math.min(asked, this.options.maxDelayMs * 4));
  }

  /** Metrics must never break a request: a failing hook is logged and ignored. */
  private observe(config: AxiosRequestConfig, status: string, startedMs: number): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    try {
      const seconds = (performance.now() - startedMs) / 1000;
      const route = routeLabel(config.method, config.url);
      metrics.observeUpstreamRequest(this.options.upstream, route, status, seconds);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'upstream metrics hook failed');
    }
  }

  private onRetry(
    reason: { delay: number; attempt: number } & ({ error: Error } | { value: unknown }),
  ): void {
    this.logRetry(reason);
    try {
      this.options.metrics?.countUpstreamRetry(this.options.upstream);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'upstream metrics hook failed');
    }
  }

  private logRetry(
    reason: { delay: number; attempt: number } & ({ error: Error } | { value: unknown }),
  ): void {
    const message = 'error' in reason ? reason.error.message : 'unexpected result';
    this.logger.warn(
      { attempt: reason.attempt, delayMs: Math.round(reason.delay) },
      `retrying after: ${message}`,
    );
  }
}

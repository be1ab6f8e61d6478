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
}

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

/** The single place where an HTTP failure is judged retryable or permanent. */
export function classifyHttpFailure(upstream: UpstreamName, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof AxiosError) {
    const method = (error.config?.method ?? 'get').toUpperCase();
    const where = `${method} ${error.config?.url ?? ''}`;
    if (error.response) {
      const status = error.response.status;
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

  async request<T>(config: AxiosRequestConfig, options: RequestOptions): Promise<AxiosResponse<T>> {
    const policy = options.idempotent ? this.retryPolicy : this.retryPolicyForWrites;
    // Bottleneck may start a queued job from another caller's async context; binding keeps the
    // caller's (its correlation id travels on the request).
    return policy.execute(() =>
      this.limiter.schedule(AsyncResource.bind(() => this.attempt<T>(config))),
    );
  }

  private async attempt<T>(config: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await sleep(wait);
    this.requestCount += 1;
    const started = performance.now();
    try {
      const response = await this.axios.request<T>({ timeout: this.options.timeoutMs, ...config });
      this.observe(config, String(response.status), started);
      return response;
    } catch (error) {
      const failure = classifyHttpFailure(this.options.upstream, error);
      this.observe(
        config,
        failure.status !== undefined ? String(failure.status) : failure.code,
        started,
      );
      if (failure.status === 429) {
        const pause = failure.retryAfterMs ?? this.options.baseDelayMs;
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + pause);
      }
      throw failure;
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

import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpMetrics } from '../common/http/http-metrics';
import type { UpstreamName } from '../common/upstream.error';
import { LEDGER_STATES } from '../database/database.types';
import type { SignatureForm } from '../tripleseat/webhook-signature';

/** How a webhook delivery ended; the `outcome` label of `tripleseat_webhook_deliveries_total`. */
export const WEBHOOK_OUTCOMES = [
  'QUEUED',
  'DUPLICATE_DELIVERY',
  'TRIGGER_NOT_ACTIONABLE',
  'REJECTED_SIGNATURE',
  'BAD_REQUEST',
  'UNAVAILABLE',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** Which configured key verified a webhook: the `key` label of the signature-form counter. */
export type WebhookSigningKeyLabel = 'current' | 'previous';

/** The trigger label when the delivery was not (or could not be) read. */
export const UNKNOWN_TRIGGER = 'unknown';
/** TripleSeat trigger names look like `STATUS_CHANGE_EVENT`; anything else is folded into one. */
const TRIGGER_LABEL = /^[A-Z][A-Z0-9_]{0,49}$/;

/** What the scrape-time gauges read from the ledger; bound by LedgerMetricsBinding. */
export interface LedgerMetricsSource {
  countByState(): Promise<Record<string, number>>;
  /** Epoch ms when the last successful reconciliation (scheduled or manual) finished. */
  lastReconciliationSuccessAt(): Promise<number | undefined>;
  /** Epoch ms, by the application's Clock. */
  now(): number;
  /** Epoch ms the process started: the reference before any reconciliation ever succeeded. */
  startedAt: number;
}

/**
 * Every Prometheus metric of the service, on a registry of its own (never prom-client's global
 * default), so several apps in one process (tests) do not clash. Scraped by MetricsController.
 */
@Injectable()
export class MetricsService implements HttpMetrics, OnModuleDestroy {
  private readonly logger = new Logger(MetricsService.name);
  private readonly lastAnswers = new Map<
    UpstreamName,
    { status: string; route: string; at: number }
  >();
  readonly registry = new Registry();
  private source?: LedgerMetricsSource;

  private readonly webhookDeliveries = new Counter({
    name: 'tripleseat_webhook_deliveries_total',
    help: 'TripleSeat webhook deliveries received, by trigger and outcome.',
    labelNames: ['trigger', 'outcome'] as const,
    registers: [this.registry],
  });

  /**
   * TripleSeat does not document the exact `X-Signature` form (upstream-facts §1.7), so the form
   * that matched is counted: the first real delivery tells operators which one TripleSeat sends.
   * `key` says whether the current or the previous signing key matched (a rotation is over when
   * `previous` stops growing).
   */
  private readonly webhookSignatureForms = new Counter({
    name: 'tripleseat_webhook_signature_form_total',
    help: 'TripleSeat webhook deliveries with a valid signature, by the X-Signature form that matched (t_v1, hex, base64, sha256_hex, sha256_base64) and the key (current, previous).',
    labelNames: ['form', 'key'] as const,
    registers: [this.registry],
  });

  private readonly eventsSettled = new Counter({
    name: 'sync_events_settled_total',
    help: 'Events that left processing with a final or waiting state, by state and reason.',
    labelNames: ['state', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly ordersCreated = new Counter({
    name: 'revel_orders_created_total',
    help: 'Revel orders created by this service (a POST that succeeded, or one adopted after an unknown outcome).',
    registers: [this.registry],
  });

  private readonly revelRepairs = new Counter({
    name: 'revel_repairs_total',
    help: 'Repairs by reading a written Revel order back, by resource: a duplicate deleted or left for an operator (unrepairable), a missing record of ours posted again (reposted), totals PATCHed again (patched), a difference left for an operator (mismatch).',
    labelNames: ['resource', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly upstreamRequests = new Counter({
    name: 'upstream_requests_total',
    help: 'HTTP attempts to TripleSeat and Revel (retries included), by API, route and status or error code.',
    labelNames: ['api', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly upstreamDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Duration of one HTTP attempt to TripleSeat or Revel, by API and route.',
    labelNames: ['api', 'route'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly upstreamRetries = new Counter({
    name: 'upstream_retries_total',
    help: 'Retries of HTTP requests to TripleSeat and Revel, by API.',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });

  private readonly reconciliationRuns = new Counter({
    name: 'reconciliation_runs_total',
    help: 'Reconciliation runs (scheduled and manual bulk syncs) that finished, by status.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const backlog: Gauge<'state'> = new Gauge({
      name: 'sync_ledger_backlog',
      help: 'Ledger rows by state, read at scrape time.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect: async () => {
        const counts = await this.read((s) => s.countByState());
        if (!counts) return;
        backlog.reset();
        const states = new Set<string>([...LEDGER_STATES, ...Object.keys(counts)]);
        for (const state of states) backlog.set({ state }, counts[state] ?? 0);
      },
    });
    const lastSuccess: Gauge = new Gauge({
      name: 'reconciliation_last_success_timestamp_seconds',
      help: 'Unix time the last successful reconciliation finished; 0 before the first one.',
      registers: [this.registry],
      collect: async () => {
        const at = await this.read((s) => s.lastReconciliationSuccessAt());
        if (at !== null) lastSuccess.set(at === undefined ? 0 : at / 1000);
      },
    });
    const sinceSuccess: Gauge = new Gauge({
      name: 'reconciliation_seconds_since_last_success',
      help: 'Seconds since the last successful reconciliation finished (since process start before the first one).',
      registers: [this.registry],
      collect: async () => {
        const source = this.source;
        if (!source) return;
        const at = await this.read((s) => s.lastReconciliationSuccessAt());
        if (at === null) return;
        const reference = Math.max(at ?? 0, source.startedAt);
        sinceSuccess.set(Math.max(0, (source.now() - reference) / 1000));
      },
    });
  }

  /** Gives the scrape-time gauges their data source (the ledger and the clock). */
  bindLedger(source: LedgerMetricsSource): void {
    this.source = source;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  webhookDelivery(trigger: string | undefined, outcome: WebhookOutcome): void {
    const label =
      trigger && TRIGGER_LABEL.test(trigger) ? trigger : trigger ? 'OTHER' : UNKNOWN_TRIGGER;
    this.webhookDeliveries.inc({ trigger: label, outcome });
  }

  /** One delivery whose signature verified, and the form it came in. */
  webhookSignatureForm(form: SignatureForm, key: WebhookSigningKeyLabel): void {
    this.webhookSignatureForms.inc({ form, key });
  }

  eventSettled(state: string, reason: string | null | undefined): void {
    this.eventsSettled.inc({ state, reason: reason ?? '' });
  }

  revelOrderCreated(): void {
    this.ordersCreated.inc();
  }

  revelRepair(
    resource: string,
    outcome: 'deleted' | 'unrepairable' | 'reposted' | 'patched' | 'mismatch',
  ): void {
    this.revelRepairs.inc({ resource, outcome });
  }

  reconciliationRunFinished(status: string): void {
    this.reconciliationRuns.inc({ status });
  }

  observeUpstreamRequest(api: UpstreamName, route: string, status: string, seconds: number): void {
    this.upstreamRequests.inc({ api, route, status });
    this.upstreamDuration.observe({ api, route }, seconds);
    this.lastAnswers.set(api, { status, route, at: Date.now() });
  }

  /**
   * The answer to the latest request this process sent to `api` (an HTTP status or an error code
   * such as TIMEOUT), for the monitoring health check: it looks at traffic, never sends any.
   */
  lastUpstreamAnswer(api: UpstreamName): { status: string; route: string; at: number } | undefined {
    return this.lastAnswers.get(api);
  }

  countUpstreamRetry(api: UpstreamName): void {
    this.upstreamRetries.inc({ api });
  }

  onModuleDestroy(): void {
    this.source = undefined;
    this.registry.clear();
  }

  /**
   * Reads from the bound source; undefined when unbound, null when the read failed (a scrape must
   * still answer when the database is down: the gauge keeps its last value).
   */
  private async read<T>(
    read: (source: LedgerMetricsSource) => Promise<T>,
  ): Promise<T | undefined | null> {
    if (!this.source) return undefined;
    try {
      return await read(this.source);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'metrics: ledger read failed');
      return null;
    }
  }
}

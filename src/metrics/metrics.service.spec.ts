import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CredentialFailures } from '../common/credential-failures.service';
import { appConfig, consoleConfig } from '../config/configuration';
import { MetricsTokenGuard } from './metrics-token.guard';
import { LedgerMetricsSource, MetricsService } from './metrics.service';

/** The value of one sample line, e.g. `name{a="b"} 3`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe(MetricsService.name, () => {
  let metrics: MetricsService;

  beforeEach(() => {
    metrics = new MetricsService();
  });

  afterEach(() => {
    metrics.onModuleDestroy();
  });

  it('should count webhook deliveries by trigger and outcome, folding unreadable triggers', async () => {
    metrics.webhookDelivery('STATUS_CHANGE_EVENT', 'QUEUED');
    metrics.webhookDelivery('STATUS_CHANGE_EVENT', 'QUEUED');
    metrics.webhookDelivery(undefined, 'REJECTED_SIGNATURE');
    metrics.webhookDelivery('drop table; --', 'TRIGGER_NOT_ACTIONABLE');
    const text = await metrics.render();
    expect(
      sample(
        text,
        'tripleseat_webhook_deliveries_total{trigger="STATUS_CHANGE_EVENT",outcome="QUEUED"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'tripleseat_webhook_deliveries_total{trigger="unknown",outcome="REJECTED_SIGNATURE"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'tripleseat_webhook_deliveries_total{trigger="OTHER",outcome="TRIGGER_NOT_ACTIONABLE"}',
      ),
    ).toBe(1);
  });

  it('should count verified webhook signatures by form and key', async () => {
    metrics.webhookSignatureForm('t_v1', 'current');
    metrics.webhookSignatureForm('t_v1', 'current');
    metrics.webhookSignatureForm('sha256_base64', 'previous');
    const text = await metrics.render();
    expect(sample(text, 'tripleseat_webhook_signature_form_total{form="t_v1",key="current"}')).toBe(
      2,
    );
    expect(
      sample(text, 'tripleseat_webhook_signature_form_total{form="sha256_base64",key="previous"}'),
    ).toBe(1);
    expect(text).toContain('# TYPE tripleseat_webhook_signature_form_total counter');
  });

  it('should count settled events, orders, reconciliation runs, upstream requests and retries', async () => {
    metrics.eventSettled('INJECTED', 'INJECTED');
    metrics.eventSettled('FAILED', 'RETRIES_EXHAUSTED');
    metrics.revelOrderCreated();
    metrics.reconciliationRunFinished('succeeded');
    metrics.observeUpstreamRequest('revel', 'POST /resources/Order/', '201', 0.03);
    metrics.observeUpstreamRequest('revel', 'POST /resources/Order/', '201', 0.2);
    metrics.countUpstreamRetry('tripleseat');
    const text = await metrics.render();
    expect(sample(text, 'sync_events_settled_total{state="INJECTED",reason="INJECTED"}')).toBe(1);
    expect(
      sample(text, 'sync_events_settled_total{state="FAILED",reason="RETRIES_EXHAUSTED"}'),
    ).toBe(1);
    expect(sample(text, 'revel_orders_created_total')).toBe(1);
    expect(sample(text, 'reconciliation_runs_total{status="succeeded"}')).toBe(1);
    expect(
      sample(
        text,
        'upstream_requests_total{api="revel",route="POST /resources/Order/",status="201"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'upstream_request_duration_seconds_bucket{le="0.05",api="revel",route="POST /resources/Order/"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'upstream_request_duration_seconds_count{api="revel",route="POST /resources/Order/"}',
      ),
    ).toBe(2);
    expect(sample(text, 'upstream_retries_total{api="tripleseat"}')).toBe(1);
  });

  it('should read the backlog and reconciliation freshness from the ledger at scrape time', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    const source: LedgerMetricsSource = {
      countByState: () => Promise.resolve({ PENDING: 3, FAILED: 1 }),
      lastReconciliationSuccessAt: () => Promise.resolve(Date.parse('2026-03-01T11:30:00Z')),
      now: () => now,
      startedAt: Date.parse('2026-03-01T08:00:00Z'),
    };
    metrics.bindLedger(source);
    let text = await metrics.render();
    expect(sample(text, 'sync_ledger_backlog{state="PENDING"}')).toBe(3);
    expect(sample(text, 'sync_ledger_backlog{state="FAILED"}')).toBe(1);
    // Every state is present, so a rule on a state that has no rows still sees 0.
    expect(sample(text, 'sync_ledger_backlog{state="IN_PROGRESS"}')).toBe(0);
    expect(sample(text, 'reconciliation_last_success_timestamp_seconds')).toBe(
      Date.parse('2026-03-01T11:30:00Z') / 1000,
    );
    expect(sample(text, 'reconciliation_seconds_since_last_success')).toBe(1800);
    now += 60_000;
    text = await metrics.render();
    expect(sample(text, 'reconciliation_seconds_since_last_success')).toBe(1860);
  });

  it('should measure from process start before the first success, and survive a ledger failure', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    let fail = false;
    metrics.bindLedger({
      countByState: () => (fail ? Promise.reject(new Error('db down')) : Promise.resolve({})),
      lastReconciliationSuccessAt: () => Promise.resolve(undefined),
      now: () => now,
      startedAt: now - 90_000,
    });
    let text = await metrics.render();
    expect(sample(text, 'reconciliation_last_success_timestamp_seconds')).toBe(0);
    expect(sample(text, 'reconciliation_seconds_since_last_success')).toBe(90);
    expect(sample(text, 'sync_ledger_backlog{state="PENDING"}')).toBe(0);
    fail = true;
    text = await metrics.render();
    expect(text).toContain('revel_orders_created_total');
  });

  it('should keep its own registry with the default process metrics, so two instances do not clash', async () => {
    const other = new MetricsService();
    try {
      metrics.revelOrderCreated();
      expect(sample(await other.render(), 'revel_orders_created_total')).toBe(0);
      expect(await metrics.render()).toMatch(/^process_cpu_user_seconds_total /m);
      expect(metrics.contentType).toMatch(/^text\/plain/);
    } finally {
      other.onModuleDestroy();
    }
  });
});

describe(MetricsTokenGuard.name, () => {
  const context = (authorization?: string) =>
    ({
      switchToHttp: () => ({
        getRequest: () => ({ headers: { authorization }, ip: '10.0.0.1' }),
        getResponse: () => ({ setHeader: () => undefined }),
      }),
    }) as unknown as ExecutionContext;
  const guard = (metricsToken?: string) =>
    new MetricsTokenGuard(
      { metricsToken } as ConfigType<typeof appConfig>,
      new CredentialFailures({ signInFailuresPer15Minutes: 10 } as ConfigType<
        typeof consoleConfig
      >),
    );

  it('should let every scrape through when METRICS_TOKEN is not set', async () => {
    await expect(guard().canActivate(context())).resolves.toBe(true);
  });

  it('should require the bearer token when METRICS_TOKEN is set', async () => {
    const g = guard('metrics-token-0123456789abcdef0123');
    await expect(g.canActivate(context('Bearer metrics-token-0123456789abcdef0123'))).resolves.toBe(
      true,
    );
    await expect(g.canActivate(context())).rejects.toThrow(UnauthorizedException);
    await expect(g.canActivate(context('Bearer wrong'))).rejects.toThrow(UnauthorizedException);
  });
});

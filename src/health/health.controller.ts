import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
} from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';
import { DrainingHealthIndicator } from './draining.health';
import { ReconciliationHealthIndicator } from './reconciliation.health';
import { UpstreamHealthIndicator } from './upstream.health';
import { WorkerHealthIndicator } from './worker.health';

/**
 * Three probes, one purpose each (docs/deployment.md says which goes where):
 *
 * - `/health/live`: the process serves HTTP. For a restart policy.
 * - `/health/ready`: this replica can take traffic: its ledger is writable and it is not shutting
 *   down. For the load balancer. Nothing outside this replica (an upstream outage, a late
 *   reconciliation) can make it unready: webhooks must keep being recorded then.
 * - `/health`: everything an operator is paged for: the ledger, reconciliation succeeded within
 *   2 × the interval, the worker loop turning, both upstreams answering. For monitoring only.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly draining: DrainingHealthIndicator,
    private readonly reconciliation: ReconciliationHealthIndicator,
    private readonly worker: WorkerHealthIndicator,
    private readonly upstream: UpstreamHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP (no dependencies)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness (load balancer): ledger writable, not shutting down',
    description:
      '503 when this replica cannot take traffic; `error` and `details` say why (database: the ' +
      'ledger cannot be written — unreachable, read-only, disk full — checked by a small write ' +
      'cached for 5 s; draining: shutting down). Upstream outages and reconciliation age never ' +
      'make it 503: see `GET /health`.',
  })
  @ApiResponse({ status: 503, description: 'not ready: `error` names the failing check' })
  ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<HealthCheckResult | Record<string, unknown>> {
    return this.answer(res, [() => this.database.isHealthy(), () => this.draining.isHealthy()]);
  }

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'Monitoring: ledger, reconciliation, worker, upstreams',
    description:
      '503 when any is down, `error` naming it: database (ledger not writable), reconciliation ' +
      '(no success within 2 × RECONCILE_INTERVAL_MINUTES), worker (loop stalled or shutting ' +
      'down), tripleseat / revel (the latest request got a 5xx or no answer). For alerting, ' +
      'never for routing traffic.',
  })
  @ApiResponse({ status: 503, description: 'something is down: `error` names it' })
  monitoring(
    @Res({ passthrough: true }) res: Response,
  ): Promise<HealthCheckResult | Record<string, unknown>> {
    return this.answer(res, [
      () => this.database.isHealthy(),
      () => this.reconciliation.isHealthy(),
      () => this.worker.isHealthy(),
      () => this.upstream.isHealthy('tripleseat'),
      () => this.upstream.isHealthy('revel'),
    ]);
  }

  private async answer(
    res: Response,
    checks: HealthIndicatorFunction[],
  ): Promise<HealthCheckResult | Record<string, unknown>> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // "Down" is an answer, not a failure of this request: the same body the exception filter
      // would give, without an error line (and a stack) for every probe of an outage.
      res.status(503);
      const body = error.getResponse();
      return {
        statusCode: 503,
        ...(typeof body === 'object' ? body : { message: body }),
        correlationId: currentCorrelationId(),
      };
    }
  }
}

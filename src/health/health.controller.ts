import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database.health';
import { ReconciliationHealthIndicator } from './reconciliation.health';
import { WorkerHealthIndicator } from './worker.health';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly reconciliation: ReconciliationHealthIndicator,
    private readonly worker: WorkerHealthIndicator,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP (no dependencies)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Ready for traffic: the ledger can be written, reconciliation fresh, worker turning. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: ledger writable, reconciliation fresh, worker turning',
    description:
      '503 when a check is down; `error` and `details` say which (database: the ledger cannot ' +
      'be written — unreachable, read-only, disk full — checked by a small write cached for 5 s; ' +
      'reconciliation older than 2 × RECONCILE_INTERVAL_MINUTES; worker loop stalled or shutting ' +
      'down).',
  })
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<HealthCheckResult | Record<string, unknown>> {
    try {
      return await this.health.check([
        () => this.database.isHealthy(),
        () => this.reconciliation.isHealthy(),
        () => this.worker.isHealthy(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // "Not ready" is an answer, not a failure of this request: the same body the exception
      // filter would give, without an error line (and a stack) for every probe of an outage.
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

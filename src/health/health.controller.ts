import { Controller, Get } from '@nestjs/common';
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

  /** Ready for traffic: database reachable, reconciliation fresh, worker turning. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: database reachable, reconciliation fresh, worker turning',
    description:
      '503 when a check is down; `error` and `details` say which (database, reconciliation ' +
      'older than 2 × RECONCILE_INTERVAL_MINUTES, worker loop stalled or shutting down).',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.isHealthy(),
      () => this.reconciliation.isHealthy(),
      () => this.worker.isHealthy(),
    ]);
  }
}

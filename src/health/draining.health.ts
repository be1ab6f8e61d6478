import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { SyncWorker } from '../sync/sync.worker';

/**
 * Down from the moment shutdown begins (before the HTTP server closes), so a load balancer stops
 * sending this replica traffic while its in-flight work finishes.
 */
@Injectable()
export class DrainingHealthIndicator implements BeforeApplicationShutdown {
  private draining = false;

  constructor(
    private readonly worker: SyncWorker,
    private readonly health: HealthIndicatorService,
  ) {}

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  isHealthy(key = 'draining'): HealthIndicatorResult {
    const indicator = this.health.check(key);
    return this.draining || this.worker.isStopping
      ? indicator.down({ message: 'shutting down: finishing the work in flight' })
      : indicator.up();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { syncConfig } from '../config/configuration';
import { SyncWorker } from '../sync/sync.worker';

/** Down when the worker loop has not turned for a while (a wedged event loop or a dead timer). */
@Injectable()
export class WorkerHealthIndicator {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly worker: SyncWorker,
    private readonly health: HealthIndicatorService,
  ) {}

  isHealthy(key = 'worker'): HealthIndicatorResult {
    const indicator = this.health.check(key);
    // Wall-clock time on purpose: this is about the process, not business time.
    const sinceMs = Date.now() - this.worker.lastTickAt;
    const limitMs = Math.max(30_000, 5 * this.config.workerPollMs);
    const data = { lastTickSecondsAgo: Math.round(sinceMs / 1000), inFlight: this.worker.busy };
    if (this.worker.isStopping) return indicator.down({ ...data, message: 'shutting down' });
    return sinceMs <= limitMs ? indicator.up(data) : indicator.down(data);
  }
}

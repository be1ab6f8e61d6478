import { HealthIndicatorService } from '@nestjs/terminus';
import type { SyncWorker } from '../sync/sync.worker';
import { DrainingHealthIndicator } from './draining.health';

describe(DrainingHealthIndicator.name, () => {
  const worker = { isStopping: false };
  const indicator = new DrainingHealthIndicator(
    worker as unknown as SyncWorker,
    new HealthIndicatorService(),
  );

  it('should be up until shutdown begins, and down from then on', () => {
    expect(indicator.isHealthy()).toEqual({ draining: { status: 'up' } });
    indicator.beforeApplicationShutdown();
    expect(indicator.isHealthy()).toEqual({
      draining: { status: 'down', message: 'shutting down: finishing the work in flight' },
    });
  });

  it('should be down while the worker is stopping', () => {
    const fresh = new DrainingHealthIndicator(
      { isStopping: true } as unknown as SyncWorker,
      new HealthIndicatorService(),
    );
    expect(fresh.isHealthy().draining.status).toBe('down');
  });
});

import { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { httpConfig } from '../config/configuration';

/**
 * Two named limits per client address: `webhook` (generous: TripleSeat bursts, and a dropped
 * delivery costs a re-send) and `api` (operators and monitors). Each controller skips the other's.
 * Counters live in memory per replica, which bounds abuse without shared state.
 */
export const THROTTLE_WEBHOOK = 'webhook';
export const THROTTLE_API = 'api';

export const throttlerModule = ThrottlerModule.forRootAsync({
  inject: [httpConfig.KEY],
  useFactory: (config: ConfigType<typeof httpConfig>) => ({
    setHeaders: true,
    errorMessage: 'Too many requests; slow down',
    throttlers: [
      { name: THROTTLE_WEBHOOK, ttl: 60_000, limit: config.webhookPerMinute },
      { name: THROTTLE_API, ttl: 60_000, limit: config.apiPerMinute },
    ],
  }),
});

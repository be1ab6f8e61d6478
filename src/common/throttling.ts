import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerModule,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { httpConfig } from '../config/configuration';
import { clientOf, CredentialFailures } from './credential-failures.service';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

/**
 * Named limits per client address: `webhook` (generous: TripleSeat bursts, and a dropped delivery
 * costs a re-send) and `api` (operators, monitors and the console's pages), each one budget per
 * address across all its routes. Each controller skips the other's.
 * Counters live in memory per replica, which bounds abuse without shared state: fixed windows of a
 * minute (FixedWindowThrottlerStorage), O(1) per request.
 *
 * The webhook's budgets are spent after the signature check (RequestBudgets, below): a signed
 * delivery spends `webhook`, anything else `webhook-unsigned`, so junk from an address (or from
 * behind the same proxy) can never use up what TripleSeat's deliveries need.
 */
export const THROTTLE_WEBHOOK = 'webhook';
export const THROTTLE_API = 'api';
export const THROTTLE_WEBHOOK_UNSIGNED = 'webhook-unsigned';

const WINDOW_MS = 60_000;

export const throttlerModule = ThrottlerModule.forRootAsync({
  inject: [httpConfig.KEY],
  useFactory: (config: ConfigType<typeof httpConfig>) => ({
    setHeaders: true,
    errorMessage: 'Too many requests; slow down',
    storage: new FixedWindowThrottlerStorage(),
    // Per client address across every route (the throttler's default key is per route as well).
    generateKey: (_context: unknown, tracker: string, name: string) => `${name}:${tracker}`,
    throttlers: [
      { name: THROTTLE_WEBHOOK, ttl: WINDOW_MS, limit: config.webhookPerMinute },
      { name: THROTTLE_API, ttl: WINDOW_MS, limit: config.apiPerMinute },
    ],
  }),
});

export type WebhookBudget = typeof THROTTLE_WEBHOOK | typeof THROTTLE_WEBHOOK_UNSIGNED;

/**
 * Per-address budgets spent by hand, at the point where the request is known to be signed or
 * not. Shares the throttler's storage (and so its expiry) with the named limits above.
 */
@Injectable()
export class RequestBudgets {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(httpConfig.KEY) private readonly config: ConfigType<typeof httpConfig>,
  ) {}

  /** Spends one request of `budget` for the client; throws 429 (with Retry-After) when it is spent. */
  async spend(budget: WebhookBudget, req: Request, res: Response): Promise<void> {
    const record = await this.storage.increment(
      `${budget}:${clientOf(req)}`,
      WINDOW_MS,
      this.limitOf(budget),
      0,
      budget,
    );
    if (!record.isBlocked) return;
    const retryAfter = Math.max(1, Math.ceil(record.timeToBlockExpire || record.timeToExpire));
    res.setHeader('Retry-After', String(retryAfter));
    throw new ThrottlerException('Too many requests; slow down');
  }

  /**
   * Seconds until the client's unsigned budget has room again, when it is spent now, else
   * undefined; spends nothing. Asked before a webhook body is read: an address that has sent its
   * minute's worth of junk is answered 429 without its body being read or an HMAC computed, which
   * also holds back a signed delivery from that address until the minute ends (TripleSeat re-sends
   * after a 429).
   */
  async unsignedSpentFor(req: Request): Promise<number | undefined> {
    if (!(this.storage instanceof FixedWindowThrottlerStorage)) return undefined;
    return this.storage.spentFor(
      `${THROTTLE_WEBHOOK_UNSIGNED}:${clientOf(req)}`,
      WINDOW_MS,
      this.limitOf(THROTTLE_WEBHOOK_UNSIGNED),
      0,
      THROTTLE_WEBHOOK_UNSIGNED,
    );
  }

  private limitOf(budget: WebhookBudget): number {
    return budget === THROTTLE_WEBHOOK
      ? this.config.webhookPerMinute
      : this.config.webhookUnsignedPerMinute;
  }
}

@Global()
@Module({
  providers: [RequestBudgets, CredentialFailures],
  exports: [RequestBudgets, CredentialFailures],
})
export class ThrottlingModule {}

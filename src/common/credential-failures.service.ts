import { HttpException, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
// The one limiter used, by its own path: the package's index loads every store it supports
// (Redis, Mongo, SQL, …), about 9 MB of RSS.
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory';
import { consoleConfig } from '../config/configuration';

const FAILURE_WINDOW_SECONDS = 15 * 60;

/** The address a request is counted under: req.ip honours TRUST_PROXY, else the peer address. */
export function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * Wrong tokens per client address, one budget for every door: the console's sign-in, the `/api/*`
 * bearer token and the metrics token. CONSOLE_SIGNIN_FAILURES_PER_15_MINUTES wrong tokens from an
 * address (whichever doors they went to) lock it for the rest of the 15-minute window; while
 * locked, every attempt is refused, the right token included, so the answer never tells a
 * guesser anything. Counters live in memory per replica, like the rate limits.
 */
@Injectable()
export class CredentialFailures {
  private readonly failures: RateLimiterMemory;
  private readonly limit: number;

  constructor(@Inject(consoleConfig.KEY) config: ConfigType<typeof consoleConfig>) {
    this.limit = config.signInFailuresPer15Minutes;
    this.failures = new RateLimiterMemory({
      keyPrefix: 'credential-failures',
      points: this.limit,
      duration: FAILURE_WINDOW_SECONDS,
    });
  }

  /** Seconds until the address may try again, or undefined when it is not locked. */
  async lockedFor(client: string): Promise<number | undefined> {
    const spent = await this.failures.get(client);
    if (spent === null || spent.consumedPoints < this.limit) return undefined;
    return Math.max(1, Math.ceil(spent.msBeforeNext / 1000));
  }

  /** Counts one wrong token from the address. */
  async failed(client: string): Promise<void> {
    await this.failures.penalty(client, 1);
  }

  /** A console sign-in with the right token clears the address's count. */
  async cleared(client: string): Promise<void> {
    await this.failures.delete(client);
  }

  /**
   * For a bearer guard: refuses a locked address (429 with Retry-After) before its token is even
   * compared; otherwise says whether the token matched, counting a wrong one that was presented.
   */
  async check(req: Request, res: Response, matches: boolean): Promise<boolean> {
    const client = clientOf(req);
    const wait = await this.lockedFor(client);
    if (wait !== undefined) {
      res.setHeader('Retry-After', String(wait));
      throw new HttpException(
        {
          error: 'Too Many Requests',
          message: `too many wrong tokens from this address; try again in ${wait} s`,
        },
        429,
      );
    }
    if (!matches && req.headers.authorization !== undefined) await this.failed(client);
    return matches;
  }
}

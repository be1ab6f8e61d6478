import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { bearerMatches, tokenDigest } from '../common/bearer-token';
import { appConfig } from '../config/configuration';

/**
 * `/metrics` is open, like most scrape targets, unless METRICS_TOKEN is set: then it takes
 * `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.expected = config.metricsToken ? tokenDigest(config.metricsToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (!bearerMatches(header, this.expected)) {
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'A valid metrics bearer token is required',
      });
    }
    return true;
  }
}

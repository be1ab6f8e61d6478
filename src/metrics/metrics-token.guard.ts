import { createHash, timingSafeEqual } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { appConfig } from '../config/configuration';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * `/metrics` is open, like most scrape targets, unless METRICS_TOKEN is set: then it takes
 * `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(appConfig.KEY) config: ConfigType<typeof appConfig>) {
    this.expected = config.metricsToken ? digest(config.metricsToken) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1].trim()), this.expected)) {
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'A valid metrics bearer token is required',
      });
    }
    return true;
  }
}

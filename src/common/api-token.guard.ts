import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { syncConfig } from '../config/configuration';
import { bearerMatches, tokenDigest } from './bearer-token';

/** `Authorization: Bearer <SYNC_API_TOKEN>` on /api/*, compared in constant time. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(syncConfig.KEY) config: ConfigType<typeof syncConfig>) {
    this.expected = tokenDigest(config.apiToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (!bearerMatches(header, this.expected)) {
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'A valid bearer token is required',
      });
    }
    return true;
  }
}

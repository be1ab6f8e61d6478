import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { syncConfig } from '../config/configuration';
import { bearerMatches, tokenDigest } from './bearer-token';
import { CredentialFailures } from './credential-failures.service';

/**
 * `Authorization: Bearer <SYNC_API_TOKEN>` on /api/*, compared in constant time. A wrong token
 * counts against the address's one budget of wrong tokens (CredentialFailures), shared with the
 * console's sign-in and the metrics token; a locked address is refused (429) whatever it sends.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    @Inject(syncConfig.KEY) config: ConfigType<typeof syncConfig>,
    private readonly failures: CredentialFailures,
  ) {
    this.expected = tokenDigest(config.apiToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const matches = bearerMatches(req.headers.authorization, this.expected);
    if (!(await this.failures.check(req, http.getResponse<Response>(), matches))) {
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'A valid bearer token is required',
      });
    }
    return true;
  }
}

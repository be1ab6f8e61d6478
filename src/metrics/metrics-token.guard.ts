import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { bearerMatches, tokenDigest } from '../common/bearer-token';
import { CredentialFailures } from '../common/credential-failures.service';
import { appConfig } from '../config/configuration';

/**
 * `/metrics` is open, like most scrape targets, unless METRICS_TOKEN is set: then it takes
 * `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time; a wrong one counts against
 * the address's one budget of wrong tokens (CredentialFailures).
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(
    @Inject(appConfig.KEY) config: ConfigType<typeof appConfig>,
    private readonly failures: CredentialFailures,
  ) {
    this.expected = config.metricsToken ? tokenDigest(config.metricsToken) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.expected) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const matches = bearerMatches(req.headers.authorization, this.expected);
    if (!(await this.failures.check(req, http.getResponse<Response>(), matches))) {
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'A valid metrics bearer token is required',
      });
    }
    return true;
  }
}

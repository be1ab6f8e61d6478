import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { tripleseatConfig } from '../config/configuration';
import { verifyTripleSeatSignature } from '../tripleseat/webhook-signature';

/** Verifies `X-Signature` over the raw body bytes before anything parses them. */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger(WebhookSignatureGuard.name);

  constructor(
    @Inject(tripleseatConfig.KEY) private readonly config: ConfigType<typeof tripleseatConfig>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const header = req.headers['x-signature'];
    const result = verifyTripleSeatSignature(
      raw,
      Array.isArray(header) ? header[0] : header,
      this.config.webhookSigningKey,
      // Wall-clock on purpose: the replay window is about the sender's clock, not business time.
      Math.floor(Date.now() / 1000),
      this.config.webhookToleranceSeconds,
    );
    if (!result.ok) {
      this.logger.warn({ reason: result.reason }, 'webhook rejected: bad signature');
      throw new UnauthorizedException({ error: 'Unauthorized', reason: result.reason });
    }
    return true;
  }
}

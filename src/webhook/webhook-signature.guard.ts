import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { tripleseatConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import { verifyTripleSeatSignature } from '../tripleseat/webhook-signature';

/** Verifies `X-Signature` over the raw body bytes before anything parses them. */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger(WebhookSignatureGuard.name);

  constructor(
    @Inject(tripleseatConfig.KEY) private readonly config: ConfigType<typeof tripleseatConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const header = req.headers['x-signature'];
    // Node joins repeated headers into one value; two signature headers are ambiguous, so refuse.
    const copies = req.rawHeaders.filter(
      (h, i) => i % 2 === 0 && h.toLowerCase() === 'x-signature',
    );
    if (copies.length > 1) {
      this.logger.warn({ copies: copies.length }, 'webhook rejected: repeated X-Signature header');
      this.metrics?.webhookDelivery(undefined, 'REJECTED_SIGNATURE');
      throw new UnauthorizedException({ error: 'Unauthorized', reason: 'MALFORMED_SIGNATURE' });
    }
    const verify = (key: string) =>
      verifyTripleSeatSignature(
        raw,
        Array.isArray(header) ? header[0] : header,
        key,
        // Wall-clock on purpose: the replay window is about the sender's clock, not business time.
        Math.floor(Date.now() / 1000),
        this.config.webhookToleranceSeconds,
      );
    let result = verify(this.config.webhookSigningKey);
    // During a key rotation TripleSeat may still sign with the old key for a while.
    const previous = this.config.webhookPreviousSigningKey;
    if (!result.ok && result.reason === 'SIGNATURE_MISMATCH' && previous) {
      const retried = verify(previous);
      if (retried.ok) result = retried;
    }
    if (!result.ok) {
      this.logger.warn({ reason: result.reason }, 'webhook rejected: bad signature');
      // The payload of an unsigned delivery is not read, so its trigger stays unknown.
      this.metrics?.webhookDelivery(undefined, 'REJECTED_SIGNATURE');
      throw new UnauthorizedException({ error: 'Unauthorized', reason: result.reason });
    }
    return true;
  }
}

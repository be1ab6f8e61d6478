import { createHash } from 'node:crypto';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Request } from 'express';
import { tripleseatConfig } from '../config/configuration';
import { LedgerRepository } from '../database/ledger.repository';
import { MetricsService, type WebhookSigningKeyLabel } from '../metrics/metrics.service';
import {
  type SignatureFailure,
  type SignatureForm,
  verifyTripleSeatSignature,
} from '../tripleseat/webhook-signature';

/** What the guard learnt about a delivery it let through; read by the controller. */
export interface VerifiedWebhook {
  /** The `X-Signature` form that matched (logged and counted). */
  form: SignatureForm;
  key: WebhookSigningKeyLabel;
  /** `t` of a `t_v1` signature. */
  timestamp?: number;
  /**
   * An authentic delivery whose `t` has aged past the window and whose exact bytes were recorded
   * before: TripleSeat re-sending it. It is answered DUPLICATE_DELIVERY and nothing is recorded.
   */
  agedDuplicate: boolean;
}

/** The `message` of a 401, by why the signature was refused (the `reason` of the body). */
const REFUSALS: Record<SignatureFailure, string> = {
  MISSING_SIGNATURE: 'the X-Signature header is missing',
  MALFORMED_SIGNATURE:
    'the X-Signature header is not in a form TripleSeat signs with (or was sent twice)',
  STALE_TIMESTAMP:
    'the X-Signature timestamp is outside WEBHOOK_TOLERANCE_SECONDS and the delivery was never recorded',
  SIGNATURE_MISMATCH: 'the X-Signature does not match the body for the configured signing key',
};

function refused(reason: SignatureFailure): UnauthorizedException {
  return new UnauthorizedException({ error: 'Unauthorized', message: REFUSALS[reason], reason });
}

const VERIFIED = Symbol('verifiedWebhook');
type VerifiedRequest = Request & { [VERIFIED]?: VerifiedWebhook };

/** The verification result the guard attached to this request, if it let it through. */
export function verifiedWebhook(req: Request): VerifiedWebhook | undefined {
  return (req as VerifiedRequest)[VERIFIED];
}

/** The dedup key of a delivery: sha256 of its exact raw bytes (TripleSeat re-sends the same). */
export function deliveryKeyOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * Verifies `X-Signature` over the raw body bytes before anything parses them, in every form the
 * service accepts (docs/http-api.md, 'Endpoints'; upstream-facts §1.7), with the current signing
 * key and, during a rotation, the previous one.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger(WebhookSignatureGuard.name);

  constructor(
    @Inject(tripleseatConfig.KEY) private readonly config: ConfigType<typeof tripleseatConfig>,
    private readonly ledger: LedgerRepository,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<VerifiedRequest>();
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const header = req.headers['x-signature'];
    // Node joins repeated headers into one value; two signature headers are ambiguous, so refuse.
    const copies = req.rawHeaders.filter(
      (h, i) => i % 2 === 0 && h.toLowerCase() === 'x-signature',
    );
    if (copies.length > 1) {
      this.logger.warn({ copies: copies.length }, 'webhook rejected: repeated X-Signature header');
      this.metrics?.webhookDelivery(undefined, 'REJECTED_SIGNATURE');
      throw refused('MALFORMED_SIGNATURE');
    }
    // During a key rotation TripleSeat may still sign with the old key for a while.
    const keys = [this.config.webhookSigningKey];
    if (this.config.webhookPreviousSigningKey) keys.push(this.config.webhookPreviousSigningKey);
    const result = verifyTripleSeatSignature(
      raw,
      Array.isArray(header) ? header[0] : header,
      keys,
      // Wall-clock on purpose: the replay window is about the sender's clock, not business time.
      Math.floor(Date.now() / 1000),
      this.config.webhookToleranceSeconds,
    );

    if (result.ok) {
      req[VERIFIED] = this.accepted(result, false);
      return true;
    }
    // An authentic delivery outside the window: TripleSeat re-sends the same bytes after a
    // failure, and a 401 would count as one more. Recorded bytes are a duplicate; anything else
    // is a replay of something we never accepted, and stays refused.
    if (result.reason === 'STALE_TIMESTAMP' && (await this.recorded(raw, result.timestamp))) {
      req[VERIFIED] = this.accepted(result, true);
      return true;
    }
    this.logger.warn({ reason: result.reason }, 'webhook rejected: bad signature');
    // The payload of an unsigned delivery is not read, so its trigger stays unknown.
    this.metrics?.webhookDelivery(undefined, 'REJECTED_SIGNATURE');
    throw refused(result.reason);
  }

  private accepted(
    result: { form: SignatureForm; keyIndex: number; timestamp?: number },
    agedDuplicate: boolean,
  ): VerifiedWebhook {
    const key: WebhookSigningKeyLabel = result.keyIndex === 0 ? 'current' : 'previous';
    this.metrics?.webhookSignatureForm(result.form, key);
    return { form: result.form, key, timestamp: result.timestamp, agedDuplicate };
  }

  /** Whether these exact bytes were recorded; a database failure is a 503 (TripleSeat re-sends). */
  private async recorded(raw: Buffer, timestamp: number): Promise<boolean> {
    try {
      return await this.ledger.hasDelivery(deliveryKeyOf(raw));
    } catch (error) {
      this.logger.error(
        { err: (error as Error).message, timestamp },
        'webhook with an aged timestamp: the ledger could not be read',
      );
      this.metrics?.webhookDelivery(undefined, 'UNAVAILABLE');
      throw new ServiceUnavailableException({
        error: 'Service Unavailable',
        message: 'the delivery could not be checked; please retry',
      });
    }
  }
}

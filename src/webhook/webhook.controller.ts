import {
  BadRequestException,
  Controller,
  HttpCode,
  Logger,
  Optional,
  Post,
  Req,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorResponse } from '../common/error.response';
import { THROTTLE_API } from '../common/throttling';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { LedgerRepository } from '../database/ledger.repository';
import { MetricsService, type WebhookOutcome } from '../metrics/metrics.service';
import { WEBHOOK_SIGNATURE_SECURITY } from '../openapi.constants';
import { SyncWorker } from '../sync/sync.worker';
import { ACTIONABLE_TRIGGERS, parseDelivery } from './webhook-payload';
import { deliveryKeyOf, verifiedWebhook, WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookAnswerResponse, WebhookDeliveryBody } from './webhook.dto';

export interface WebhookAnswer {
  ok: true;
  processed: false;
  reason: 'QUEUED' | 'TRIGGER_NOT_ACTIONABLE' | 'DUPLICATE_DELIVERY';
  trigger: string;
  eventId?: string;
  eventIds?: string[];
}

/**
 * TripleSeat's push. It answers as soon as the delivery is durable and never waits for
 * TripleSeat or Revel: the worker does the rest. A 503 makes TripleSeat re-send.
 */
@ApiTags('webhook')
@Controller('webhooks')
@SkipThrottle({ [THROTTLE_API]: true })
export class WebhookController {
  private readonly logger = new Logger(WebhookController.name);

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly worker: SyncWorker,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  @Post('tripleseat')
  @HttpCode(200)
  @UseGuards(ThrottlerGuard, WebhookSignatureGuard)
  @ApiOperation({
    summary: 'Receive a TripleSeat webhook delivery',
    description:
      'Verifies `X-Signature` over the raw body, records the delivery and its events durably and ' +
      'answers at once; a worker fetches each event from TripleSeat and writes its Revel order. ' +
      'The payload is only a hint: nothing in it is trusted. A re-sent delivery (same bytes) is ' +
      'answered DUPLICATE_DELIVERY, also when its `t` has aged past the window. X-Signature ' +
      'forms: `t=<unix>,v1=<hex>` over "<t>.<raw body>", or a hex or base64 HMAC-SHA256 of the ' +
      'raw body, bare or prefixed `sha256=`.',
  })
  @ApiSecurity(WEBHOOK_SIGNATURE_SECURITY)
  @ApiBody({ type: WebhookDeliveryBody })
  @ApiOkResponse({
    description: 'Queued, a duplicate, or a trigger that needs no order.',
    type: WebhookAnswerResponse,
  })
  @ApiBadRequestResponse({
    description: 'Not JSON, not an object, no trigger, or no event id for an actionable trigger.',
    type: ErrorResponse,
  })
  @ApiUnauthorizedResponse({
    description:
      'X-Signature missing, malformed, wrong, or outside the replay window (unless the same ' +
      'bytes were recorded before: then DUPLICATE_DELIVERY).',
    type: ErrorResponse,
  })
  @ApiPayloadTooLargeResponse({ description: 'Body larger than 1 MB.', type: ErrorResponse })
  @ApiTooManyRequestsResponse({
    description: 'More than WEBHOOK_RATE_LIMIT_PER_MINUTE deliveries from one address.',
    type: ErrorResponse,
  })
  @ApiServiceUnavailableResponse({
    description: 'The delivery could not be recorded (database down); TripleSeat re-sends it.',
    type: ErrorResponse,
  })
  async receive(@Req() req: Request): Promise<WebhookAnswer> {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verified = verifiedWebhook(req);
    // Which X-Signature form matched, on every line: the first real delivery tells the format.
    const signature = verified
      ? { signatureForm: verified.form, signingKey: verified.key }
      : { signatureForm: undefined };
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      this.count(undefined, 'BAD_REQUEST');
      throw new BadRequestException({
        error: 'Bad Request',
        field: 'body',
        message: 'body is not valid JSON',
      });
    }
    const parsed = parseDelivery(body);
    if (!parsed.ok) {
      this.count(undefined, 'BAD_REQUEST');
      throw new BadRequestException({
        error: 'Bad Request',
        field: parsed.field,
        message: `${parsed.field} ${parsed.message}`,
      });
    }
    const { trigger, eventIds } = parsed;
    if (verified?.agedDuplicate) {
      // Its bytes were recorded before (the guard checked): nothing to record or queue again.
      this.logger.log(
        { trigger, eventIds, ...signature, signedAt: verified.timestamp },
        'webhook duplicate delivery (re-sent after the signature window)',
      );
      this.count(trigger, 'DUPLICATE_DELIVERY');
      return {
        ok: true,
        processed: false,
        reason: 'DUPLICATE_DELIVERY',
        trigger,
        ...ids(eventIds),
      };
    }
    if (!ACTIONABLE_TRIGGERS.has(trigger)) {
      this.logger.log({ trigger, ...signature }, 'webhook ignored: trigger not actionable');
      this.count(trigger, 'TRIGGER_NOT_ACTIONABLE');
      return {
        ok: true,
        processed: false,
        reason: 'TRIGGER_NOT_ACTIONABLE',
        trigger,
        ...ids(eventIds),
      };
    }
    if (eventIds.length === 0) {
      this.count(trigger, 'BAD_REQUEST');
      throw new BadRequestException({
        error: 'Bad Request',
        field: 'event.id',
        message: 'event.id (or booking.event_id / booking.event_ids) is required',
      });
    }
    const deliveryKey = deliveryKeyOf(raw);
    let fresh: boolean;
    try {
      fresh = await this.ledger.recordDelivery(
        deliveryKey,
        trigger,
        eventIds,
        currentCorrelationId(),
      );
    } catch (error) {
      this.logger.error(
        { err: (error as Error).message, trigger, eventIds },
        'webhook not recorded',
      );
      this.count(trigger, 'UNAVAILABLE');
      throw new ServiceUnavailableException({
        error: 'Service Unavailable',
        message: 'the delivery could not be recorded; please retry',
      });
    }
    if (!fresh) {
      this.logger.log({ trigger, eventIds, ...signature }, 'webhook duplicate delivery');
      this.count(trigger, 'DUPLICATE_DELIVERY');
      return {
        ok: true,
        processed: false,
        reason: 'DUPLICATE_DELIVERY',
        trigger,
        ...ids(eventIds),
      };
    }
    this.logger.log({ trigger, eventIds, ...signature }, 'webhook queued');
    this.worker.wake();
    this.count(trigger, 'QUEUED');
    return { ok: true, processed: false, reason: 'QUEUED', trigger, ...ids(eventIds) };
  }

  private count(trigger: string | undefined, outcome: WebhookOutcome): void {
    this.metrics?.webhookDelivery(trigger, outcome);
  }
}

function ids(eventIds: string[]): { eventId?: string; eventIds?: string[] } {
  if (eventIds.length === 0) return {};
  return eventIds.length === 1 ? { eventId: eventIds[0] } : { eventId: eventIds[0], eventIds };
}

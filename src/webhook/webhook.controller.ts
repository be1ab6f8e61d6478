import {
  BadRequestException,
  CanActivate,
  Controller,
  ExecutionContext,
  HttpCode,
  Inject,
  Injectable,
  Logger,
  Optional,
  Post,
  Req,
  ServiceUnavailableException,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
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
import { ConfigType } from '@nestjs/config';
import type { Request, Response } from 'express';
import { ErrorResponse } from '../common/error.response';
import {
  RequestBudgets,
  THROTTLE_API,
  THROTTLE_WEBHOOK,
  THROTTLE_WEBHOOK_UNSIGNED,
} from '../common/throttling';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { httpConfig } from '../config/configuration';
import { DatabaseUnavailableError } from '../database/database-errors';
import { LedgerRepository } from '../database/ledger.repository';
import { MetricsService, type WebhookOutcome } from '../metrics/metrics.service';
import { WEBHOOK_SIGNATURE_SECURITY } from '../openapi.constants';
import { SyncWorker } from '../sync/sync.worker';
import { ACTIONABLE_TRIGGERS, parseDelivery } from './webhook-payload';
import { deliveryKeyOf, verifiedWebhook, WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookAnswerResponse, WebhookDeliveryBody } from './webhook.dto';

/**
 * How long intake waits for the delivery to become durable before answering 503 (TripleSeat
 * re-sends). Whatever the database does (a lock, a stalled failover), the answer comes well within
 * 10 s; a commit that lands after the 503 only makes the re-send a DUPLICATE_DELIVERY.
 */
export const INTAKE_DEADLINE_MS = 5_000;

/**
 * The signature check, then the budget the request is known to belong to: a signed delivery
 * spends `webhook`, an unsigned or forged one `webhook-unsigned`. Junk therefore never spends what
 * TripleSeat's deliveries need, even when it comes from the same address (a shared proxy).
 */
@Injectable()
export class WebhookIntakeGuard implements CanActivate {
  constructor(
    private readonly signature: WebhookSignatureGuard,
    private readonly budgets: RequestBudgets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    let signed: boolean;
    try {
      signed = await this.signature.canActivate(context);
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        await this.budgets.spend(THROTTLE_WEBHOOK_UNSIGNED, req, res);
      }
      throw error;
    }
    await this.budgets.spend(THROTTLE_WEBHOOK, req, res);
    return signed;
  }
}

export interface WebhookAnswer {
  ok: true;
  processed: false;
  reason: 'QUEUED' | 'TRIGGER_NOT_ACTIONABLE' | 'DUPLICATE_DELIVERY';
  trigger: string;
  eventId?: string;
  eventIds?: string[];
  /** Event ids named past WEBHOOK_MAX_EVENT_IDS: not queued, left to reconciliation. */
  deferredEventIds?: number;
  message?: string;
}

/**
 * TripleSeat's push. It answers as soon as the delivery is durable and never waits for
 * TripleSeat or Revel: the worker does the rest. A 503 makes TripleSeat re-send.
 */
@ApiTags('webhook')
@Controller('webhooks')
// The intake guard spends the webhook's budgets itself, after the signature check.
@SkipThrottle({ [THROTTLE_API]: true, [THROTTLE_WEBHOOK]: true })
export class WebhookController {
  private readonly logger = new Logger(WebhookController.name);

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly worker: SyncWorker,
    @Inject(httpConfig.KEY) private readonly config: ConfigType<typeof httpConfig>,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  @Post('tripleseat')
  @HttpCode(200)
  @UseGuards(WebhookIntakeGuard)
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
    description:
      'More than WEBHOOK_RATE_LIMIT_PER_MINUTE signed deliveries, or more than ' +
      'WEBHOOK_UNSIGNED_RATE_LIMIT_PER_MINUTE unsigned ones, from one address.',
    type: ErrorResponse,
  })
  @ApiServiceUnavailableResponse({
    description:
      'The delivery could not be recorded within 5 s (database unreachable, restarting, ' +
      'read-only, locked); TripleSeat re-sends it.',
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
    const { trigger } = parsed;
    // One delivery queues at most WEBHOOK_MAX_EVENT_IDS events (its ids are de-duplicated): a
    // booking naming thousands must not queue thousands of fetches. Reconciliation finds the rest.
    const eventIds = parsed.eventIds.slice(0, this.config.webhookMaxEventIds);
    const deferred = parsed.eventIds.length - eventIds.length;
    if (deferred > 0) {
      this.logger.warn(
        { trigger, named: parsed.eventIds.length, queued: eventIds.length, deferred },
        `webhook named ${parsed.eventIds.length} events; ${eventIds.length} queued (WEBHOOK_MAX_EVENT_IDS), ${deferred} left to reconciliation`,
      );
    }
    if (verified?.agedDuplicate) {
      // Its bytes were recorded before (the guard checked): nothing to record or queue again.
      this.logger.log(
        { trigger, eventIds, ...signature, signedAt: verified.timestamp },
        'webhook duplicate delivery (re-sent after the signature window)',
      );
      return this.answer(trigger, eventIds, 'DUPLICATE_DELIVERY');
    }
    if (!ACTIONABLE_TRIGGERS.has(trigger)) {
      this.logger.log({ trigger, ...signature }, 'webhook ignored: trigger not actionable');
      return this.answer(trigger, eventIds, 'TRIGGER_NOT_ACTIONABLE');
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
      fresh = await withDeadline(
        this.ledger.recordDelivery(deliveryKey, trigger, eventIds, currentCorrelationId()),
        INTAKE_DEADLINE_MS,
      );
    } catch (error) {
      const err =
        error instanceof DatabaseUnavailableError ? error.detail : (error as Error).message;
      this.logger.error({ err, trigger, eventIds }, 'webhook not recorded; answered 503');
      this.count(trigger, 'UNAVAILABLE');
      throw new ServiceUnavailableException({
        error: 'Service Unavailable',
        reason: 'DATABASE_UNAVAILABLE',
        message: 'the delivery could not be recorded; please retry',
      });
    }
    if (!fresh) {
      this.logger.log({ trigger, eventIds, ...signature }, 'webhook duplicate delivery');
      return this.answer(trigger, eventIds, 'DUPLICATE_DELIVERY');
    }
    this.logger.log({ trigger, eventIds, ...signature }, 'webhook queued');
    this.worker.wake();
    const answer = this.answer(trigger, eventIds, 'QUEUED');
    if (deferred === 0) return answer;
    return {
      ...answer,
      deferredEventIds: deferred,
      message:
        `${eventIds.length} events queued; ${deferred} more named past the limit of ` +
        `${this.config.webhookMaxEventIds} per delivery are left to reconciliation`,
    };
  }

  /** Counts the delivery by what happened to it, and answers 200 saying so. */
  private answer(
    trigger: string,
    eventIds: string[],
    reason: WebhookAnswer['reason'] & WebhookOutcome,
  ): WebhookAnswer {
    this.count(trigger, reason);
    return { ok: true, processed: false, reason, trigger, ...ids(eventIds) };
  }

  private count(trigger: string | undefined, outcome: WebhookOutcome): void {
    this.metrics?.webhookDelivery(trigger, outcome);
  }
}

/** `promise`, or a rejection once `ms` have passed (the promise itself runs on, unobserved). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the delivery was not durable within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function ids(eventIds: string[]): { eventId?: string; eventIds?: string[] } {
  if (eventIds.length === 0) return {};
  return eventIds.length === 1 ? { eventId: eventIds[0] } : { eventId: eventIds[0], eventIds };
}

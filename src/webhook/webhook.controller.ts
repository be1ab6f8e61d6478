import { createHash } from 'node:crypto';
import {
  BadRequestException,
  Controller,
  HttpCode,
  Logger,
  Post,
  Req,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import { THROTTLE_API } from '../common/throttling';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { LedgerRepository } from '../database/ledger.repository';
import { SyncWorker } from '../sync/sync.worker';
import { ACTIONABLE_TRIGGERS, parseDelivery } from './webhook-payload';
import { WebhookSignatureGuard } from './webhook-signature.guard';

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
@Controller('webhooks')
@SkipThrottle({ [THROTTLE_API]: true })
export class WebhookController {
  private readonly logger = new Logger(WebhookController.name);

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly worker: SyncWorker,
  ) {}

  @Post('tripleseat')
  @HttpCode(200)
  @UseGuards(ThrottlerGuard, WebhookSignatureGuard)
  async receive(@Req() req: Request): Promise<WebhookAnswer> {
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new BadRequestException({
        error: 'Bad Request',
        field: 'body',
        message: 'body is not valid JSON',
      });
    }
    const parsed = parseDelivery(body);
    if (!parsed.ok) {
      throw new BadRequestException({
        error: 'Bad Request',
        field: parsed.field,
        message: `${parsed.field} ${parsed.message}`,
      });
    }
    const { trigger, eventIds } = parsed;
    if (!ACTIONABLE_TRIGGERS.has(trigger)) {
      this.logger.log({ trigger }, 'webhook ignored: trigger not actionable');
      return {
        ok: true,
        processed: false,
        reason: 'TRIGGER_NOT_ACTIONABLE',
        trigger,
        ...ids(eventIds),
      };
    }
    if (eventIds.length === 0) {
      throw new BadRequestException({
        error: 'Bad Request',
        field: 'event.id',
        message: 'event.id (or booking.event_id / booking.event_ids) is required',
      });
    }
    const deliveryKey = createHash('sha256').update(raw).digest('hex');
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
      throw new ServiceUnavailableException({
        error: 'Service Unavailable',
        message: 'the delivery could not be recorded; please retry',
      });
    }
    if (!fresh) {
      this.logger.log({ trigger, eventIds }, 'webhook duplicate delivery');
      return {
        ok: true,
        processed: false,
        reason: 'DUPLICATE_DELIVERY',
        trigger,
        ...ids(eventIds),
      };
    }
    this.logger.log({ trigger, eventIds }, 'webhook queued');
    this.worker.wake();
    return { ok: true, processed: false, reason: 'QUEUED', trigger, ...ids(eventIds) };
  }
}

function ids(eventIds: string[]): { eventId?: string; eventIds?: string[] } {
  if (eventIds.length === 0) return {};
  return eventIds.length === 1 ? { eventId: eventIds[0] } : { eventId: eventIds[0], eventIds };
}

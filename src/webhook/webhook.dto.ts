import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { WebhookAnswer } from './webhook.controller';

/**
 * OpenAPI shapes of the webhook. The body is read raw (the signature is over the exact bytes) and
 * validated by `parseDelivery`; these classes only document it.
 */
export class WebhookObjectBody {
  @ApiPropertyOptional({
    description: 'TripleSeat event id (number or digit string).',
    oneOf: [{ type: 'integer' }, { type: 'string', pattern: '^[1-9]\\d{0,18}$' }],
    example: 61000001,
  })
  id?: number | string;

  @ApiPropertyOptional({
    description: 'Booking deliveries: the event of the booking.',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  })
  event_id?: number | string;

  @ApiPropertyOptional({
    description: 'Booking deliveries: the events of the booking.',
    type: 'array',
    items: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
  })
  event_ids?: (number | string)[];

  @ApiPropertyOptional({ example: '12/28/2025 12:56 PM' })
  updated_at?: string;

  @ApiPropertyOptional({ example: 'CLOSED' })
  status?: string;
}

export class WebhookDeliveryBody {
  @ApiPropertyOptional({
    description:
      'The trigger, e.g. STATUS_CHANGE_EVENT, UPDATE_EVENT, CREATE_BOOKING. Required (or `type`).',
    maxLength: 100,
    example: 'STATUS_CHANGE_EVENT',
  })
  webhook_trigger_type?: string;

  @ApiPropertyOptional({ description: 'Alternative name of the trigger.', maxLength: 100 })
  type?: string;

  @ApiPropertyOptional({ type: WebhookObjectBody, description: 'Event deliveries.' })
  event?: WebhookObjectBody;

  @ApiPropertyOptional({ type: WebhookObjectBody, description: 'Booking deliveries.' })
  booking?: WebhookObjectBody;

  @ApiPropertyOptional({
    type: WebhookObjectBody,
    description: 'The alternative envelope `{ webhook_trigger_type, message, object }`.',
  })
  object?: WebhookObjectBody;
}

export class WebhookAnswerResponse implements WebhookAnswer {
  @ApiProperty({ enum: [true] })
  ok!: true;

  @ApiProperty({
    enum: [false],
    description: 'Always false: the worker processes the event after the answer.',
  })
  processed!: false;

  @ApiProperty({ enum: ['QUEUED', 'TRIGGER_NOT_ACTIONABLE', 'DUPLICATE_DELIVERY'] })
  reason!: 'QUEUED' | 'TRIGGER_NOT_ACTIONABLE' | 'DUPLICATE_DELIVERY';

  @ApiProperty({ example: 'STATUS_CHANGE_EVENT' })
  trigger!: string;

  @ApiPropertyOptional({ description: 'The (first) event named.', example: '61000001' })
  eventId?: string;

  @ApiPropertyOptional({
    description: 'Every event queued, when there are several.',
    type: [String],
  })
  eventIds?: string[];

  @ApiPropertyOptional({
    description:
      'How many more event ids the delivery named past WEBHOOK_MAX_EVENT_IDS: not queued, left ' +
      'to reconciliation.',
    example: 950,
  })
  deferredEventIds?: number;

  @ApiPropertyOptional({
    description: 'Says what was left to reconciliation, when something was.',
  })
  message?: string;
}

import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
  validateSync,
} from 'class-validator';
import { depthExceeds, JSON_MAX_DEPTH } from '../common/json-depth';

/** Triggers after which an event may need an order (or a changed one); the rest are ignored. */
export const ACTIONABLE_TRIGGERS = new Set([
  'CREATE_EVENT',
  'UPDATE_EVENT',
  'STATUS_CHANGE_EVENT',
  // Moving a CLOSED event to today must inject it (the old connector ignored this one).
  'CHANGE_EVENT_DATETIME',
  'REASSIGN_EVENT_LOCATION',
  'CHANGE_EVENT_GUEST_COUNTS',
  'CREATE_BOOKING',
  'UPDATE_BOOKING',
  'STATUS_CHANGE_BOOKING',
  // Deleting an event whose order we wrote must be reported (drift); an unknown one ends
  // SKIPPED EVENT_NOT_FOUND. Nothing is ever written to Revel for it.
  'DELETE_EVENT',
]);

class WebhookObjectDto {
  @IsOptional()
  id?: unknown;

  @IsOptional()
  event_id?: unknown;

  @IsOptional()
  @IsArray()
  event_ids?: unknown[];

  @IsOptional()
  @IsString()
  updated_at?: string;

  @IsOptional()
  @IsString()
  status?: string;
}

export class WebhookPayloadDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  webhook_trigger_type?: string;

  /** Some senders name the trigger `type`. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookObjectDto)
  event?: WebhookObjectDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookObjectDto)
  booking?: WebhookObjectDto;

  /** The alternative envelope: `{ webhook_trigger_type, message, object: {...} }`. */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookObjectDto)
  object?: WebhookObjectDto;
}

export type ParsedDelivery =
  { ok: true; trigger: string; eventIds: string[] } | { ok: false; field: string; message: string };

const ID = /^[1-9]\d{0,18}$/;
function idOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && ID.test(value.trim())) return value.trim();
  return undefined;
}

/**
 * Reads the trigger and the TripleSeat event ids out of a delivery. The payload is only a hint:
 * the worker re-fetches every event before anything is written.
 */
export function parseDelivery(body: unknown): ParsedDelivery {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, field: 'body', message: 'must be a JSON object' };
  }
  // Transformation and validation recurse; a hostile depth must not reach them.
  if (depthExceeds(body, JSON_MAX_DEPTH)) {
    return { ok: false, field: 'body', message: `is nested deeper than ${JSON_MAX_DEPTH} levels` };
  }
  const dto = plainToInstance(WebhookPayloadDto, body);
  const errors = validateSync(dto);
  if (errors.length > 0) {
    const first = errors[0];
    const nested = first.children?.[0];
    const field = nested ? `${first.property}.${nested.property}` : first.property;
    const constraints = Object.values((nested ?? first).constraints ?? {}).join('; ');
    return { ok: false, field, message: constraints || 'is invalid' };
  }
  const trigger = (dto.webhook_trigger_type ?? dto.type ?? '').trim().toUpperCase();
  if (!trigger) return { ok: false, field: 'webhook_trigger_type', message: 'is required' };

  const isBookingTrigger = trigger.endsWith('_BOOKING');
  const event = dto.event ?? (isBookingTrigger ? undefined : dto.object);
  const booking = dto.booking ?? (isBookingTrigger ? dto.object : undefined);
  const ids = new Set<string>();
  const eventId = idOf(event?.id);
  if (eventId) ids.add(eventId);
  const fromBooking = [booking?.event_id, ...(booking?.event_ids ?? [])];
  for (const candidate of fromBooking) {
    const id = idOf(candidate);
    if (id) ids.add(id);
  }
  return { ok: true, trigger, eventIds: [...ids] };
}

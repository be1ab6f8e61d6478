import { BadRequestException, NotFoundException } from '@nestjs/common';

/** How a console request's text is read: every form field and query value is checked here. */

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_QUERY = 100;

/** What a successful action says on the page it returns to (Post/Redirect/Get). */
export const NOTICES: Record<string, string> = {
  synced: 'Synced: the event was processed now.',
  retried: 'Retried: the event was processed again.',
  resynced: 'The Revel order was rewritten to match the event.',
  mapped: 'Mapping saved. It applies from the next attempt on; press Retry to use it now.',
  removed: 'Mapping removed.',
  flipped: 'Switch changed. Every replica uses the new value within a few seconds.',
  checked: 'The go-live checks ran just now.',
  'checked-recently':
    'The go-live checks ran less than a minute ago, so they were not run again: this is that run.',
};

/** A required form field: 400 naming it when it is missing, empty or too long. */
export function requiredText(value: unknown, field: string, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new BadRequestException({
      error: 'Bad Request',
      message: `${field}: is required (at most ${max} characters)`,
    });
  }
  return value.trim();
}

/** An optional query value, trimmed and cut to a sane length ('' when absent). */
export function optionalText(value: unknown, max = MAX_QUERY): string {
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
}

export function noticeOf(value: unknown): string {
  return NOTICES[optionalText(value)] ?? '';
}

/** A TripleSeat event id as the ledger keys it; anything else is no event (404). */
export function eventIdOf(value: string): string {
  if (!EVENT_ID.test(value))
    throw new NotFoundException({ error: 'Not Found', message: `no event ${value}` });
  return value;
}

/** A path inside the console to go back to; anything else goes to the board. */
export function consolePath(value: unknown): string {
  return typeof value === 'string' &&
    /^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(value) &&
    !value.startsWith('//')
    ? value
    : '/console';
}

export function withNotice(path: string, notice: keyof typeof NOTICES): string {
  const [base, hash] = path.split('#');
  return `${base}${base.includes('?') ? '&' : '?'}notice=${notice}${hash ? `#${hash}` : ''}`;
}

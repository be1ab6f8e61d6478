import { BadRequestException, NotFoundException } from '@nestjs/common';

/** How a console request's text is read: every form field and query value is checked here. */

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_QUERY = 100;

/** What a successful action says on the page it returns to (Post/Redirect/Get). */
export const NOTICES = {
  synced: 'Synced: the event was processed now.',
  retried: 'Retried: the event was processed again.',
  resynced: 'The Revel order was rewritten to match the event.',
  mapped:
    'Mapping saved. An event held for this line is written within seconds; others use it from their next attempt (press Retry for a skipped one).',
  written: 'Written without the unmatched lines: the kitchen must add them by hand.',
  removed: 'Mapping removed.',
  flipped: 'Switch changed. Every replica uses the new value within a few seconds.',
  checked: 'The go-live checks ran just now.',
  'checked-recently':
    'The go-live checks ran less than a minute ago, so they were not run again: this is that run.',
} as const satisfies Record<string, string>;

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

/** The words of a known notice key (an own property of NOTICES), else ''. */
export function noticeOf(value: unknown): string {
  const key = optionalText(value);
  return Object.hasOwn(NOTICES, key) ? NOTICES[key as keyof typeof NOTICES] : '';
}

/** A TripleSeat event id as the ledger keys it; anything else is no event (404). */
export function eventIdOf(value: string): string {
  if (!EVENT_ID.test(value))
    throw new NotFoundException({ error: 'Not Found', message: `no event ${value}` });
  return value;
}

const BASE = 'http://console.invalid';

/**
 * A path inside the console to go back to; anything else goes to the board. The path must be
 * `/console` or under `/console/` as a browser resolves it: `//host/x`, `/consolex`,
 * `/console/../api` and their percent-encoded forms all go to the board.
 */
export function consolePath(value: unknown): string {
  if (typeof value !== 'string' || !/^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(value)) {
    return '/console';
  }
  let resolved: URL;
  try {
    resolved = new URL(value, BASE);
  } catch {
    return '/console';
  }
  const inside =
    resolved.origin === BASE &&
    (resolved.pathname === '/console' || resolved.pathname.startsWith('/console/')) &&
    !/%2e|%2f|%5c/i.test(resolved.pathname);
  return inside ? `${resolved.pathname}${resolved.search}${resolved.hash}` : '/console';
}

export function withNotice(path: string, notice: keyof typeof NOTICES): string {
  const [base, hash] = path.split('#');
  return `${base}${base.includes('?') ? '&' : '?'}notice=${notice}${hash ? `#${hash}` : ''}`;
}

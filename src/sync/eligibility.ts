import { DateTime, IANAZone } from 'luxon';
import type { Location, LocationMap } from '../config/locations';
import type { Numeric, TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { ReasonCode } from './reason-codes';

export type EligibilitySkipReason =
  | typeof ReasonCode.INVALID_EVENT
  | typeof ReasonCode.STATUS_NOT_ELIGIBLE
  | typeof ReasonCode.LOCATION_NOT_MAPPED
  | typeof ReasonCode.LOCATION_NOT_ALLOWED
  | typeof ReasonCode.INVALID_DATE
  | typeof ReasonCode.EVENT_DAY_PASSED;

export type EligibilityResult =
  /** Today is the event's day at the site: build and write the order. */
  | { outcome: 'proceed'; location: Location; eventDate: string }
  /** The event's day has not started at the site: come back at `dueAt`. */
  | {
      outcome: 'hold';
      reason: typeof ReasonCode.TOO_EARLY;
      location: Location;
      eventDate: string;
      /** 00:00 of the event's day in the site's zone (the first instant of that day on DST days). */
      dueAt: Date;
    }
  | { outcome: 'skip'; reason: EligibilitySkipReason; detail: string };

export interface EligibilityContext {
  locations: LocationMap;
  /** Statuses that make an event final, any case (default CLOSED, from ELIGIBLE_STATUSES). */
  eligibleStatuses: readonly string[];
  /** ALLOWED_LOCATIONS: location keys or site ids. Unset or empty means no restriction. */
  allowedLocations?: readonly string[];
  now: Date;
  /**
   * Skip the time gate (a valid date still required): a drift check compares an order already
   * written, whose day may be over by now.
   */
  ignoreTimeGate?: boolean;
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE_PREFIX = /^\d{4}-\d{2}-\d{2}(?:$|[T\s])/;

/**
 * A TripleSeat date as a calendar date `YYYY-MM-DD`, or undefined when it is not one.
 * Accepts `MM/DD/YYYY` (and `M/D/YYYY`), and ISO-8601 dates or date-times; a date-time keeps the
 * calendar date as written (`2025-12-28T18:00:00-08:00` → `2025-12-28`), because TripleSeat writes
 * the site's local date and converting it to another zone could move it by a day. Impossible
 * dates (`02/30/2025`) are rejected, not rolled over.
 */
export function parseEventDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const us = US_DATE.exec(text);
  if (us) {
    const date = DateTime.fromObject(
      { year: Number(us[3]), month: Number(us[1]), day: Number(us[2]) },
      { zone: 'UTC' },
    );
    return date.isValid ? (date.toISODate() ?? undefined) : undefined;
  }
  if (!ISO_DATE_PREFIX.test(text)) return undefined;
  // setZone keeps the written offset, so the date fields are the ones in the text; a space
  // between date and time is common enough in feeds to accept.
  const date = DateTime.fromISO(text.replace(/^(\S+)\s+(?=\d)/, '$1T'), { setZone: true });
  return date.isValid ? (date.toISODate() ?? undefined) : undefined;
}

/** The calendar date (`YYYY-MM-DD`) that `now` falls on in `zone`. Throws on an unknown zone. */
export function todayInZone(now: Date, zone: string): string {
  const today = DateTime.fromJSDate(now, { zone }).toISODate();
  if (today === null) throw new RangeError(`unknown time zone ${JSON.stringify(zone)}`);
  return today;
}

/** 00:00 of `date` in `zone`; luxon moves a non-existent midnight (DST at 00:00) forward. */
function startOfDayInZone(date: string, zone: string): Date {
  return DateTime.fromISO(date, { zone }).startOf('day').toJSDate();
}

function idText(value: Numeric | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/**
 * Decides whether an event gets an order now, later, or never, in this order: status, location
 * mapping, ALLOWED_LOCATIONS, then the time gate in the site's own zone (never the server's).
 * The location is looked up by location_id first and then by site_id, so a map keyed the old
 * connector's way (by site id) keeps working.
 */
export function evaluateEligibility(
  event: TripleSeatEvent,
  ctx: EligibilityContext,
): EligibilityResult {
  const eventId = idText(event.id);
  if (eventId === undefined) {
    return { outcome: 'skip', reason: ReasonCode.INVALID_EVENT, detail: 'event has no id' };
  }

  const status = (event.status ?? '').trim().toUpperCase();
  const eligible = ctx.eligibleStatuses.map((s) => s.trim().toUpperCase());
  if (!status || !eligible.includes(status)) {
    return {
      outcome: 'skip',
      reason: ReasonCode.STATUS_NOT_ELIGIBLE,
      detail: `status ${status ? JSON.stringify(status) : '(none)'} is not one of ${eligible.join(', ')}`,
    };
  }

  const siteId = idText(event.site_id);
  const candidates = [...new Set([idText(event.location_id), siteId])].filter(
    (key): key is string => key !== undefined,
  );
  const key = candidates.find((k) => ctx.locations.has(k));
  const location = key === undefined ? undefined : ctx.locations.get(key);
  if (!location) {
    return {
      outcome: 'skip',
      reason: ReasonCode.LOCATION_NOT_MAPPED,
      detail:
        candidates.length === 0
          ? 'event has neither location_id nor site_id'
          : `no location map entry for ${candidates.map((k) => JSON.stringify(k)).join(' or ')}`,
    };
  }
  if (!IANAZone.isValidZone(location.timezone)) {
    // The location loader rejects these at start-up; kept so that a hand-built map cannot
    // silently fall back to the server's zone.
    return {
      outcome: 'skip',
      reason: ReasonCode.LOCATION_NOT_MAPPED,
      detail: `location ${location.key} has an unknown time zone ${JSON.stringify(location.timezone)}`,
    };
  }

  const allowed = (ctx.allowedLocations ?? []).map((a) => a.trim()).filter((a) => a !== '');
  if (
    allowed.length > 0 &&
    !allowed.includes(location.key) &&
    !(siteId && allowed.includes(siteId))
  ) {
    return {
      outcome: 'skip',
      reason: ReasonCode.LOCATION_NOT_ALLOWED,
      detail: `location ${location.key}${siteId ? ` (site ${siteId})` : ''} is not in ALLOWED_LOCATIONS`,
    };
  }

  const eventDate = parseEventDate(event.event_date) ?? parseEventDate(event.event_date_iso8601);
  if (eventDate === undefined) {
    return {
      outcome: 'skip',
      reason: ReasonCode.INVALID_DATE,
      detail: `event_date ${JSON.stringify(event.event_date ?? null)} / event_date_iso8601 ${JSON.stringify(
        event.event_date_iso8601 ?? null,
      )} is not a valid date`,
    };
  }

  if (ctx.ignoreTimeGate) return { outcome: 'proceed', location, eventDate };
  const today = todayInZone(ctx.now, location.timezone);
  if (eventDate === today) return { outcome: 'proceed', location, eventDate };
  if (eventDate > today) {
    return {
      outcome: 'hold',
      reason: ReasonCode.TOO_EARLY,
      location,
      eventDate,
      dueAt: startOfDayInZone(eventDate, location.timezone),
    };
  }
  return {
    outcome: 'skip',
    reason: ReasonCode.EVENT_DAY_PASSED,
    detail: `event day ${eventDate} is over at ${location.name} (today there is ${today}, ${location.timezone})`,
  };
}

const US_DATE_TIME = /^\d{1,2}\/\d{1,2}\/\d{4}\s+(\d{1,2}):(\d{2})\s*([AaPp])[Mm]$/;
const TIME_12H = /^(\d{1,2}):(\d{2})\s*([AaPp])[Mm]$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T\s](\d{2}):(\d{2})/;

function twelveHour(
  hour: string,
  minute: string,
  half: string,
): { hour: number; minute: number } | undefined {
  const h = Number(hour);
  const m = Number(minute);
  if (h < 1 || h > 12 || m > 59) return undefined;
  return { hour: (h % 12) + (half.toUpperCase() === 'P' ? 12 : 0), minute: m };
}

/**
 * The event's start as a wall-clock time of day at the site, or undefined when TripleSeat gives
 * none: `event_start_iso8601` first (its time as written), then `event_start`
 * (`MM/DD/YYYY hh:mm AM/PM`), then `event_start_time` (`hh:mm AM/PM`).
 */
export function eventStartTime(
  event: TripleSeatEvent,
): { hour: number; minute: number } | undefined {
  const iso =
    typeof event.event_start_iso8601 === 'string'
      ? ISO_TIME.exec(event.event_start_iso8601.trim())
      : null;
  if (iso) {
    const hour = Number(iso[1]);
    const minute = Number(iso[2]);
    if (hour < 24 && minute < 60) return { hour, minute };
  }
  const us =
    typeof event.event_start === 'string' ? US_DATE_TIME.exec(event.event_start.trim()) : null;
  if (us) return twelveHour(us[1], us[2], us[3]);
  const time =
    typeof event.event_start_time === 'string'
      ? TIME_12H.exec(event.event_start_time.trim())
      : null;
  if (time) return twelveHour(time[1], time[2], time[3]);
  return undefined;
}

/**
 * When an event held for unmatched lines is written with what matches: `leadMinutes` before its
 * start on `eventDate` in `zone`, or 12:00 there when TripleSeat gives no start time. A start
 * that does not exist on a DST day (02:30 when clocks jump) is moved forward, as Luxon does.
 */
export function unmatchedDeadline(
  event: TripleSeatEvent,
  eventDate: string,
  zone: string,
  leadMinutes: number,
): Date {
  const day = DateTime.fromISO(eventDate, { zone });
  const start = eventStartTime(event);
  if (start === undefined) return day.set({ hour: 12, minute: 0 }).toJSDate();
  return day.set(start).minus({ minutes: leadMinutes }).toJSDate();
}

/** "Fri 4 Dec 2026, 15:00 PST": an instant as the site reads it. */
export function siteDateTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');
}

import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { eventStartTime, unmatchedDeadline } from './eligibility';

const event = (overrides: Partial<TripleSeatEvent> = {}): TripleSeatEvent => ({
  id: 55521609,
  status: 'CLOSED',
  event_date: '12/28/2025',
  ...overrides,
});

const at = (e: TripleSeatEvent, date: string, zone: string, lead = 180) =>
  unmatchedDeadline(e, date, zone, lead).toISOString();

describe('eventStartTime', () => {
  it('should read the start from event_start_iso8601 as written, then event_start, then event_start_time', () => {
    expect(eventStartTime(event({ event_start_iso8601: '2025-12-28T18:00:00-08:00' }))).toEqual({
      hour: 18,
      minute: 0,
    });
    expect(eventStartTime(event({ event_start: '12/28/2025 6:30 PM' }))).toEqual({
      hour: 18,
      minute: 30,
    });
    expect(eventStartTime(event({ event_start: '12/28/2025 12:15 AM' }))).toEqual({
      hour: 0,
      minute: 15,
    });
    expect(eventStartTime(event({ event_start: '12/28/2025 12:00 PM' }))).toEqual({
      hour: 12,
      minute: 0,
    });
    expect(eventStartTime(event({ event_start_time: '07:45 am' }))).toEqual({
      hour: 7,
      minute: 45,
    });
  });

  it('should have no start for missing or unreadable times', () => {
    expect(eventStartTime(event())).toBeUndefined();
    expect(
      eventStartTime(event({ event_start: '12/28/2025', event_start_time: '' })),
    ).toBeUndefined();
    expect(eventStartTime(event({ event_start: '12/28/2025 13:00 PM' }))).toBeUndefined();
    expect(eventStartTime(event({ event_start_iso8601: 'soon' }))).toBeUndefined();
  });
});

describe('unmatchedDeadline', () => {
  it('should fall UNMATCHED_WRITE_LEAD_MINUTES before the start in the site’s zone, never the server’s', () => {
    const e = event({ event_start: '12/28/2025 6:00 PM' });
    // 15:00 in Los Angeles (PST, UTC−8) and in Denver (MST, UTC−7).
    expect(at(e, '2025-12-28', 'America/Los_Angeles')).toBe('2025-12-28T23:00:00.000Z');
    expect(at(e, '2025-12-28', 'America/Denver')).toBe('2025-12-28T22:00:00.000Z');
    expect(at(e, '2025-12-28', 'America/Los_Angeles', 0)).toBe('2025-12-29T02:00:00.000Z');
    expect(at(e, '2025-12-28', 'America/Los_Angeles', 45)).toBe('2025-12-29T01:15:00.000Z');
  });

  it('should be 12:00 at the site when TripleSeat gives no start time', () => {
    expect(at(event(), '2025-12-28', 'America/Los_Angeles')).toBe('2025-12-28T20:00:00.000Z');
    expect(at(event(), '2026-07-04', 'America/Los_Angeles')).toBe('2026-07-04T19:00:00.000Z');
    expect(at(event(), '2025-12-28', 'Asia/Tokyo')).toBe('2025-12-28T03:00:00.000Z');
  });

  it('should count the lead in real minutes across a DST change, and move a start that does not exist forward', () => {
    // 2026-03-08: Los Angeles jumps from 02:00 PST to 03:00 PDT. A 04:00 PDT start (11:00Z) less
    // 180 minutes is 08:00Z, which is 00:00 PST on the clock.
    expect(
      at(event({ event_start: '03/08/2026 4:00 AM' }), '2026-03-08', 'America/Los_Angeles'),
    ).toBe('2026-03-08T08:00:00.000Z');
    // 02:30 does not exist that day: Luxon reads it as 03:30 PDT (10:30Z).
    expect(
      at(event({ event_start: '03/08/2026 2:30 AM' }), '2026-03-08', 'America/Los_Angeles', 0),
    ).toBe('2026-03-08T10:30:00.000Z');
    // 2026-11-01: clocks fall back at 02:00 PDT; 18:00 PST is 02:00Z the next day.
    expect(
      at(event({ event_start: '11/01/2026 6:00 PM' }), '2026-11-01', 'America/Los_Angeles'),
    ).toBe('2026-11-01T23:00:00.000Z');
    // A summer day: 18:00 PDT (UTC−7) less three hours is 22:00Z.
    expect(
      at(event({ event_start: '07/04/2026 6:00 PM' }), '2026-07-04', 'America/Los_Angeles'),
    ).toBe('2026-07-04T22:00:00.000Z');
  });

  it('should use the event day for the date and the start only for the time of day', () => {
    // A start written with another date (a copy of an older booking) still counts on the event day.
    expect(
      at(event({ event_start: '01/02/2020 6:00 PM' }), '2025-12-28', 'America/Los_Angeles'),
    ).toBe('2025-12-28T23:00:00.000Z');
  });
});

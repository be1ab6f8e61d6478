import type { Location, LocationMap } from '../config/locations';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { evaluateEligibility, parseEventDate, todayInZone } from './eligibility';
import { ReasonCode } from './reason-codes';

const losAngeles: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: {},
  menuItems: {},
};
const denver: Location = {
  key: '44100',
  name: 'Pinkbox Denver',
  revelEstablishmentId: 8,
  timezone: 'America/Denver',
  products: {},
  menuItems: {},
};
const bySite: Location = {
  key: '15691',
  name: 'Pinkbox by site id',
  revelEstablishmentId: 9,
  timezone: 'America/Los_Angeles',
  products: {},
  menuItems: {},
};
const locations: LocationMap = new Map([
  [losAngeles.key, losAngeles],
  [denver.key, denver],
  [bySite.key, bySite],
]);

/** 2025-12-29T07:30Z: 12/28 23:30 in Los Angeles, already 12/29 00:30 in Denver. */
const lateInLosAngeles = new Date('2025-12-29T07:30:00Z');

const event = (overrides: Partial<TripleSeatEvent> = {}): TripleSeatEvent => ({
  id: 55521609,
  status: 'CLOSED',
  event_date: '12/28/2025',
  event_date_iso8601: '2025-12-28',
  location_id: 31883,
  site_id: 15691,
  ...overrides,
});

const evaluate = (e: TripleSeatEvent, now = lateInLosAngeles, allowedLocations?: string[]) =>
  evaluateEligibility(e, { locations, eligibleStatuses: ['CLOSED'], allowedLocations, now });

describe(evaluateEligibility.name, () => {
  describe('status', () => {
    it('should proceed for an eligible status in any case and with padding', () => {
      expect(evaluate(event({ status: ' closed ' }))).toMatchObject({ outcome: 'proceed' });
    });

    it('should compare against configured statuses in any case', () => {
      const result = evaluateEligibility(event({ status: 'Definite' }), {
        locations,
        eligibleStatuses: ['closed', ' definite'],
        now: lateInLosAngeles,
      });
      expect(result).toMatchObject({ outcome: 'proceed' });
    });

    it.each([['DEFINITE'], ['tentative'], [''], [null], [undefined]])(
      'should skip status %p with STATUS_NOT_ELIGIBLE',
      (status) => {
        expect(evaluate(event({ status }))).toMatchObject({
          outcome: 'skip',
          reason: ReasonCode.STATUS_NOT_ELIGIBLE,
        });
      },
    );

    it('should check the status before the location and the date', () => {
      expect(
        evaluate(event({ status: 'LOST', location_id: 99999, site_id: 99999, event_date: 'x' })),
      ).toMatchObject({ reason: ReasonCode.STATUS_NOT_ELIGIBLE });
    });
  });

  describe('location', () => {
    it('should use location_id given as a number or a numeric string', () => {
      expect(evaluate(event({ location_id: 31883 }))).toMatchObject({ location: losAngeles });
      expect(evaluate(event({ location_id: ' 31883 ' }))).toMatchObject({ location: losAngeles });
    });

    it('should fall back to site_id when there is no location_id', () => {
      expect(evaluate(event({ location_id: null, site_id: 15691 }))).toMatchObject({
        location: bySite,
      });
      expect(evaluate(event({ location_id: undefined, site_id: '15691' }))).toMatchObject({
        location: bySite,
      });
    });

    it('should fall back to site_id when the location_id is not mapped', () => {
      expect(evaluate(event({ location_id: 77777, site_id: 15691 }))).toMatchObject({
        location: bySite,
      });
    });

    it('should skip an unmapped site with LOCATION_NOT_MAPPED, naming the keys tried', () => {
      const result = evaluate(event({ location_id: 99999, site_id: '99998' }));
      expect(result).toMatchObject({ outcome: 'skip', reason: ReasonCode.LOCATION_NOT_MAPPED });
      expect(result.outcome === 'skip' && result.detail).toContain('99999');
    });

    it('should skip an event with neither location_id nor site_id with LOCATION_NOT_MAPPED', () => {
      expect(evaluate(event({ location_id: null, site_id: null }))).toMatchObject({
        reason: ReasonCode.LOCATION_NOT_MAPPED,
      });
    });

    it('should skip a location whose time zone is unknown rather than use the server zone', () => {
      const broken: LocationMap = new Map([['31883', { ...losAngeles, timezone: 'Mars/Olympus' }]]);
      const result = evaluateEligibility(event(), {
        locations: broken,
        eligibleStatuses: ['CLOSED'],
        now: lateInLosAngeles,
      });
      expect(result).toMatchObject({ reason: ReasonCode.LOCATION_NOT_MAPPED });
    });
  });

  describe('allowed locations', () => {
    it('should allow a listed location key', () => {
      expect(evaluate(event(), lateInLosAngeles, ['44100', '31883'])).toMatchObject({
        outcome: 'proceed',
      });
    });

    it("should allow a listed site id (the old connector's ALLOWED_LOCATIONS)", () => {
      expect(evaluate(event(), lateInLosAngeles, [' 15691 '])).toMatchObject({
        outcome: 'proceed',
      });
    });

    it('should skip a mapped location that is not listed with LOCATION_NOT_ALLOWED', () => {
      expect(evaluate(event({ event_date: 'garbage' }), lateInLosAngeles, ['44100'])).toMatchObject(
        {
          outcome: 'skip',
          reason: ReasonCode.LOCATION_NOT_ALLOWED,
        },
      );
    });

    it('should not restrict when the list is empty', () => {
      expect(evaluate(event(), lateInLosAngeles, [])).toMatchObject({ outcome: 'proceed' });
    });
  });

  describe('time gate around midnight', () => {
    it('should proceed in Los Angeles at 23:30 on the event day (07:30Z the next UTC day)', () => {
      expect(evaluate(event({ event_date: '12/28/2025' }))).toEqual({
        outcome: 'proceed',
        location: losAngeles,
        eventDate: '2025-12-28',
      });
    });

    it('should skip the same event in Denver, where it is already 00:30 the next day', () => {
      const result = evaluate(event({ event_date: '12/28/2025', location_id: 44100 }));
      expect(result).toMatchObject({ outcome: 'skip', reason: ReasonCode.EVENT_DAY_PASSED });
    });

    it('should hold the next-day event in Los Angeles but proceed with it in Denver', () => {
      expect(evaluate(event({ event_date: '12/29/2025' }))).toEqual({
        outcome: 'hold',
        reason: ReasonCode.TOO_EARLY,
        location: losAngeles,
        eventDate: '2025-12-29',
        dueAt: new Date('2025-12-29T08:00:00Z'),
      });
      expect(evaluate(event({ event_date: '12/29/2025', location_id: 44100 }))).toMatchObject({
        outcome: 'proceed',
        eventDate: '2025-12-29',
      });
    });

    it('should switch days at exactly local midnight in Los Angeles', () => {
      const e = event({ event_date: '12/29/2025' });
      expect(evaluate(e, new Date('2025-12-29T07:59:59.999Z'))).toMatchObject({ outcome: 'hold' });
      expect(evaluate(e, new Date('2025-12-29T08:00:00.000Z'))).toMatchObject({
        outcome: 'proceed',
      });
    });

    it('should skip an event well in the past with EVENT_DAY_PASSED', () => {
      expect(evaluate(event({ event_date: '1/5/2024', event_date_iso8601: null }))).toMatchObject({
        reason: ReasonCode.EVENT_DAY_PASSED,
      });
    });
  });

  describe('due time across daylight saving changes', () => {
    const before = new Date('2026-03-01T20:00:00Z');

    it('should hold until 00:00 PST (08:00Z) on the spring-forward day itself', () => {
      expect(evaluate(event({ event_date: '03/08/2026' }), before)).toMatchObject({
        outcome: 'hold',
        dueAt: new Date('2026-03-08T08:00:00Z'),
      });
    });

    it('should hold until 00:00 PDT (07:00Z) on the day after spring-forward', () => {
      expect(evaluate(event({ event_date: '03/09/2026' }), before)).toMatchObject({
        outcome: 'hold',
        dueAt: new Date('2026-03-09T07:00:00Z'),
      });
    });

    it('should use the site zone for the due time, not the server zone', () => {
      expect(
        evaluate(event({ event_date: '03/09/2026', location_id: 44100 }), before),
      ).toMatchObject({
        dueAt: new Date('2026-03-09T06:00:00Z'),
      });
    });
  });

  describe('dates', () => {
    it('should accept an ISO event_date and use its calendar date as written', () => {
      expect(evaluate(event({ event_date: '2025-12-28T18:00:00-08:00' }))).toMatchObject({
        outcome: 'proceed',
        eventDate: '2025-12-28',
      });
    });

    it('should fall back to event_date_iso8601 when event_date is missing or unparseable', () => {
      expect(evaluate(event({ event_date: null }))).toMatchObject({ eventDate: '2025-12-28' });
      expect(evaluate(event({ event_date: 'next Tuesday' }))).toMatchObject({
        eventDate: '2025-12-28',
      });
    });

    it.each([
      [null, null],
      ['', ''],
      ['02/30/2025', null],
      ['13/01/2025', undefined],
      ['tomorrow', '2025-02-30'],
    ])('should skip event_date %p / iso %p with INVALID_DATE', (date, iso) => {
      expect(evaluate(event({ event_date: date, event_date_iso8601: iso }))).toMatchObject({
        outcome: 'skip',
        reason: ReasonCode.INVALID_DATE,
      });
    });
  });

  it('should skip an event without an id with INVALID_EVENT', () => {
    expect(evaluate(event({ id: ' ' }))).toMatchObject({ reason: ReasonCode.INVALID_EVENT });
  });
});

describe(parseEventDate.name, () => {
  it.each([
    ['12/28/2025', '2025-12-28'],
    ['1/5/2026', '2026-01-05'],
    [' 02/29/2024 ', '2024-02-29'],
    ['2025-12-28', '2025-12-28'],
    ['2025-12-28T18:00:00-08:00', '2025-12-28'],
    ['2025-12-28T23:30:00+14:00', '2025-12-28'],
    ['2025-12-29T02:00:00Z', '2025-12-29'],
    ['2025-12-28 18:00', '2025-12-28'],
  ])('should read %p as %p', (value, expected) => {
    expect(parseEventDate(value)).toBe(expected);
  });

  it.each([
    ['02/30/2025'],
    ['02/29/2025'],
    ['00/10/2025'],
    ['12/28/25'],
    ['2025-13-01'],
    ['2025-02-30'],
    ['2025'],
    ['2025-12'],
    ['12-28-2025'],
    ['12/28/2025 6:00 PM'],
    [''],
    [null],
    [undefined],
    [20251228],
  ])('should reject %p', (value) => {
    expect(parseEventDate(value)).toBeUndefined();
  });
});

describe(todayInZone.name, () => {
  it('should give the calendar date in the zone, not in UTC', () => {
    expect(todayInZone(lateInLosAngeles, 'America/Los_Angeles')).toBe('2025-12-28');
    expect(todayInZone(lateInLosAngeles, 'America/Denver')).toBe('2025-12-29');
    expect(todayInZone(lateInLosAngeles, 'UTC')).toBe('2025-12-29');
  });

  it('should throw on an unknown zone', () => {
    expect(() => todayInZone(lateInLosAngeles, 'Mars/Olympus')).toThrow(RangeError);
  });
});

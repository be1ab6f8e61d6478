import { ageText, consoleZone, percentText, priceText, siteTime } from './console.views';

describe('console time formatting', () => {
  it('should pick the zone most locations use, the first on a tie, UTC without locations', () => {
    const la = { timezone: 'America/Los_Angeles' };
    const denver = { timezone: 'America/Denver' };
    expect(consoleZone([la, denver, denver])).toBe('America/Denver');
    expect(consoleZone([la, denver])).toBe('America/Los_Angeles');
    expect(consoleZone([])).toBe('UTC');
  });

  it('should show a time in the given zone with the zone named', () => {
    const at = Date.parse('2026-11-26T22:05:00Z');
    expect(siteTime(at, 'America/Los_Angeles')).toBe('Thu 26 Nov 2026, 14:05 PST');
    expect(siteTime(at)).toBe('Thu 26 Nov 2026, 22:05 UTC');
    expect(siteTime(null)).toBe('');
  });

  it('should say how long ago in whole units, singular for one', () => {
    const now = Date.parse('2026-11-26T22:05:00Z');
    expect(ageText(now, now)).toBe('0 seconds ago');
    expect(ageText(now - 1_000, now)).toBe('1 second ago');
    expect(ageText(now - 59_000, now)).toBe('59 seconds ago');
    expect(ageText(now - 60_000, now)).toBe('1 minute ago');
    expect(ageText(now - 5 * 60_000 - 30_000, now)).toBe('5 minutes ago');
    expect(ageText(now - 3 * 3_600_000, now)).toBe('3 hours ago');
    expect(ageText(now - 3 * 86_400_000, now)).toBe('3 days ago');
  });
});

describe('console number formatting', () => {
  it('should write prices with two decimals', () => {
    expect([12, 2.5, 2.25, '3.6', 0].map(priceText)).toEqual([
      '12.00',
      '2.50',
      '2.25',
      '3.60',
      '0.00',
    ]);
    expect(priceText(null)).toBe('');
  });

  it('should show a similarity as a whole percentage', () => {
    expect(percentText(0.43478260869565216)).toBe('43%');
    expect(percentText(1)).toBe('100%');
  });
});

import { GO_LIVE_CHECKS_MIN_INTERVAL_MS } from '../src/console/console-board.controller';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * The console's Health page shows the latest go-live run with its age and never calls an upstream
 * on a plain view; "Run checks now" runs them, at most once a minute per replica.
 */
describe('Console health page and its go-live checks (e2e against the sandboxes)', () => {
  let h: Harness;
  let cookie: string;

  beforeAll(async () => {
    h = await startHarness();
    const res = await fetch(`${h.url}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: SECRETS.apiToken, next: '/console' }).toString(),
    });
    expect(res.status).toBe(303);
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Every request either sandbox has received so far. */
  const upstreamCalls = () => h.tripleseat.requests().length + h.revel.requests().length;

  const view = async (path = '/console/health'): Promise<string> => {
    const res = await fetch(`${h.url}${path}`, { headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(200);
    return res.text();
  };

  const runChecks = async (html: string): Promise<string> => {
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const res = await fetch(`${h.url}/console/health/checks`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(res.status).toBe(303);
    return res.headers.get('location') ?? '';
  };

  const ranLine = (html: string) => /data-doctor-ran>([^<]*)</.exec(html)?.[1] ?? '';

  it('should call no upstream on page views, before a run and after it', async () => {
    const before = upstreamCalls();
    const first = await view();
    await view();
    await view();
    expect(upstreamCalls()).toBe(before);
    expect(ranLine(first)).toBe('Not run on this replica since it started.');
    expect(first).toContain('Run checks now');

    const location = await runChecks(first);
    expect(location).toBe('/console/health?notice=checked#h-doctor');
    const afterRun = upstreamCalls();
    expect(afterRun).toBeGreaterThan(before);

    h.clock.advance(5 * 60_000);
    const page = await view(location);
    await view();
    expect(upstreamCalls()).toBe(afterRun);
    expect(page).toContain('The go-live checks ran just now.');
    expect(ranLine(page)).toMatch(/^Last run 5 minutes ago \(.+\) on this replica\.$/);
    expect(page).toContain('TripleSeat token');
  });

  it('should run the checks again only once a minute has passed since the last run', async () => {
    h.clock.advance(GO_LIVE_CHECKS_MIN_INTERVAL_MS);
    const html = await view();
    const before = upstreamCalls();
    expect(await runChecks(html)).toBe('/console/health?notice=checked#h-doctor');
    const afterRun = upstreamCalls();
    expect(afterRun).toBeGreaterThan(before);

    // Pressed again within the minute, in a loop: the latest run is shown, nothing is called.
    for (let i = 0; i < 5; i += 1) {
      expect(await runChecks(html)).toBe('/console/health?notice=checked-recently#h-doctor');
    }
    h.clock.advance(GO_LIVE_CHECKS_MIN_INTERVAL_MS - 1_000);
    expect(await runChecks(html)).toBe('/console/health?notice=checked-recently#h-doctor');
    expect(upstreamCalls()).toBe(afterRun);
    const page = await view('/console/health?notice=checked-recently');
    expect(page).toContain('ran less than a minute ago, so they were not run again');
    expect(ranLine(page)).toMatch(/^Last run 59 seconds ago/);

    h.clock.advance(1_000);
    expect(await runChecks(html)).toBe('/console/health?notice=checked#h-doctor');
    expect(upstreamCalls()).toBeGreaterThan(afterRun);
  });
});

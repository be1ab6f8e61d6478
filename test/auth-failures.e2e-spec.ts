import { Harness, startHarness } from './support/harness';

/**
 * The go-live auth failures of upstream-facts §1.1 against the real app and the real TripleSeat
 * sandbox: each ends in the ledger as an auth failure whose detail says what is wrong, never as
 * EVENT_NOT_FOUND and never as a bad response.
 */
describe('TripleSeat auth failures (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterEach(() => {
    h.tripleseat.setHtmlLogin(false);
    h.tripleseat.setAccountLinked(true);
  });

  afterAll(async () => {
    await h.close();
  });

  async function deliver(id: number): Promise<Record<string, unknown>> {
    const res = await h.webhook({ webhook_trigger_type: 'STATUS_CHANGE_EVENT', event: { id } });
    expect(res.body).toMatchObject({ reason: 'QUEUED' });
    return h.waitForState(String(id), ['FAILED', 'SKIPPED', 'INJECTED']);
  }

  it('should record an HTML login page (200) as an auth failure, not EVENT_NOT_FOUND', async () => {
    h.seedEvent({ id: 65_000_001 });
    h.tripleseat.setHtmlLogin(true);

    const row = await deliver(65_000_001);

    expect(row).toMatchObject({ state: 'FAILED', reason: 'UPSTREAM_AUTH_FAILED' });
    expect(row.reason).not.toBe('EVENT_NOT_FOUND');
    expect(String(row.detail)).toMatch(
      /answered an HTML page \(a login page\?\) instead of JSON.*: the (credentials|token URL)/,
    );
    expect(h.revel.orders()).toHaveLength(0);
  });

  it('should record an HTML page answered 404 as an auth failure, not EVENT_NOT_FOUND', async () => {
    h.seedEvent({ id: 65_000_002 });
    h.tripleseat.queueRawResponse({
      path: '/v1/events/65000002',
      status: 404,
      contentType: 'text/html',
      body: '<!DOCTYPE html><html><body>Sign in to Tripleseat</body></html>',
    });

    const row = await deliver(65_000_002);

    expect(row).toMatchObject({ state: 'FAILED', reason: 'UPSTREAM_AUTH_FAILED' });
    expect(String(row.detail)).toContain(
      'tripleseat GET /v1/events/65000002.json answered an HTML page (a login page?) instead of JSON (status 404): the credentials or the account link are wrong',
    );
  });

  it('should say the account is not linked when every call answers "Token resource owner not found"', async () => {
    h.seedEvent({ id: 65_000_003 });
    h.tripleseat.setAccountLinked(false);
    const tokensBefore = h.tripleseat.tokensIssued;

    const row = await deliver(65_000_003);

    expect(row).toMatchObject({ state: 'FAILED', reason: 'UPSTREAM_AUTH_FAILED' });
    expect(String(row.detail)).toContain('Token resource owner not found');
    expect(String(row.detail)).toMatch(/not linked/);
    // One refresh, and no more: a new token cannot link the account.
    expect(h.tripleseat.tokensIssued).toBe(tokensBefore + 1);
  });

  it('should work again once the account is linked and JSON comes back', async () => {
    h.seedEvent({ id: 65_000_004 });

    const row = await deliver(65_000_004);

    expect(row).toMatchObject({ state: 'INJECTED' });
  });
});

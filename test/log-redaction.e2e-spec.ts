import request from 'supertest';
import { Harness, SECRETS, startHarness } from './support/harness';

/**
 * A token in the query string (a monitor configured with `?access_token=`, a pasted link) must
 * never reach the logs: request lines keep their path and lose the secret's value, and so does any
 * other line that repeats the URL (refusals, errors).
 */
describe('Secrets in query strings (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('should leave no trace of ?access_token=<SYNC_API_TOKEN> in the logs, on any route or outcome', async () => {
    const token = SECRETS.apiToken;
    const calls = [
      // Refused for want of a bearer token (the query is not a way to authenticate).
      request(h.url).get(`/api/sync/runs?access_token=${token}`),
      // Authenticated, the token repeated in the query (an unknown parameter there: 400).
      h.api().get(`/api/sync/runs?access_token=${token}&limit=2`),
      h.api().get(`/api/sync/events/424242?token=${token}`),
      // Not found, and a forged webhook, each with secrets of several names.
      request(h.url).get(`/no/such/page?api_key=${token}&password=${token}`),
      request(h.url)
        .post(`/webhooks/tripleseat?signature=${token}&secret=${token}`)
        .set('Content-Type', 'application/json')
        .send('{"webhook_trigger_type":"UPDATE_EVENT","event":{"id":1}}'),
      // Over the limit: refused before Nest sees it.
      request(h.url)
        .post(`/api/sync/tripleseat?access_token=${token}`)
        .set('Content-Type', 'application/json')
        .set('Content-Length', String(2 * 1024 * 1024))
        .send('{}')
        .catch((error: unknown) => error),
    ];
    const answers = await Promise.all(calls);
    expect(answers.slice(0, 5).map((r) => (r as request.Response).status)).toEqual([
      401, 400, 404, 404, 401,
    ]);
    // Every request's line has reached the capture before the capture is searched for the token.
    const lines = [
      '/api/sync/runs?access_token=[redacted]"',
      '/api/sync/runs?access_token=[redacted]&limit=2',
      '/api/sync/events/424242?token=[redacted]',
      '/no/such/page?api_key=[redacted]&password=[redacted]',
      '/webhooks/tripleseat?signature=[redacted]&secret=[redacted]',
    ];
    const deadline = Date.now() + 10_000;
    while (lines.some((l) => !h.logs.join('').includes(l)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const logs = h.logs.join('');
    expect(lines.filter((l) => !logs.includes(l))).toEqual([]);
    expect(logs).not.toContain(token);
    // The path and the harmless parameters are still there for the operator.
    expect(logs).toContain('/api/sync/runs?access_token=[redacted]');
    expect(logs).toContain('/api/sync/runs?access_token=[redacted]&limit=2');
    expect(logs).toContain('/no/such/page?api_key=[redacted]&password=[redacted]');
  });
});

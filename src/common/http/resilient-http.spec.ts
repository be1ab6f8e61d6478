import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import axios, { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import { isAuthFailure, UpstreamError } from '../upstream.error';
import type { HttpMetrics } from './http-metrics';
import {
  classifyHttpFailure,
  describeRequest,
  isHtmlAnswer,
  ResilientHttp,
} from './resilient-http';

const LOGIN_PAGE = '<!DOCTYPE html><html><body><form action="/login">Sign in</form></body></html>';

/** An AxiosError as axios makes it for an HTTP answer outside 2xx. */
function httpError(
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
  url = 'https://api.tripleseat.com/v1/events/1.json?show_financial=true',
): AxiosError {
  const config = { method: 'get', url, headers: new AxiosHeaders() };
  const response = {
    status,
    statusText: '',
    data,
    headers: new AxiosHeaders(headers),
    config,
  } as AxiosResponse;
  return new AxiosError(
    `Request failed with status code ${status}`,
    'ERR_BAD_RESPONSE',
    config,
    {},
    response,
  );
}

interface Canned {
  status: number;
  type: string;
  body: string;
}

describe('ResilientHttp and classifyHttpFailure', () => {
  describe(isHtmlAnswer.name, () => {
    it.each([
      [{ 'content-type': 'text/html; charset=utf-8' }, '', true],
      [{ 'content-type': 'application/xhtml+xml' }, 'x', true],
      [{ 'content-type': 'application/json' }, '  \n<html>', true],
      [{}, Buffer.from('<!DOCTYPE html>'), true],
      [{ 'content-type': 'application/json' }, { error: 'x' }, false],
      [{ 'content-type': 'application/json' }, '{"error":"<b>"}', false],
      [{}, '', false],
      [undefined, undefined, false],
    ])('headers %j, body %j → %s', (headers, body, expected) => {
      expect(isHtmlAnswer(headers ? new AxiosHeaders(headers) : undefined, body)).toBe(expected);
    });
  });

  it('should describe a request by method and path only', () => {
    expect(describeRequest('get', 'https://h/v1/events/1.json?show_financial=true')).toBe(
      'GET /v1/events/1.json',
    );
    expect(describeRequest('post', '/resources/Order/?format=json')).toBe('POST /resources/Order/');
  });

  describe(classifyHttpFailure.name, () => {
    it('should make an HTML 404 an auth failure, never "not found"', () => {
      const failure = classifyHttpFailure(
        'tripleseat',
        httpError(404, LOGIN_PAGE, { 'content-type': 'text/html' }),
      );

      expect(failure).toMatchObject({
        code: 'AUTH_HTML',
        status: 401,
        answeredStatus: 404,
        retryable: false,
      });
      expect(failure.message).toBe(
        'tripleseat GET /v1/events/1.json answered an HTML page (a login page?) instead of JSON ' +
          '(status 404): the credentials or the account link are wrong',
      );
      expect(isAuthFailure(failure)).toBe(true);
    });

    it.each([401, 403, 302, 400])('should make an HTML %i from Revel an auth failure', (status) => {
      const failure = classifyHttpFailure(
        'revel',
        httpError(status, LOGIN_PAGE, {}, '/resources/Order/'),
      );
      expect(failure).toMatchObject({ upstream: 'revel', code: 'AUTH_HTML', retryable: false });
      expect(failure.message).toContain('revel GET /resources/Order/ answered an HTML page');
    });

    it.each([500, 502, 503, 504, 408, 429])(
      'should keep an HTML %i (a gateway error page) retryable, not an auth failure',
      (status) => {
        const failure = classifyHttpFailure(
          'revel',
          httpError(status, '<html><body>502 Bad Gateway</body></html>', {
            'content-type': 'text/html',
          }),
        );
        expect(failure).toMatchObject({ status, code: `HTTP_${status}`, retryable: true });
        expect(isAuthFailure(failure)).toBe(false);
      },
    );

    it('should recognise 401 "Token resource owner not found" as an account that is not linked', () => {
      const failure = classifyHttpFailure(
        'tripleseat',
        httpError(401, { error: 'Token resource owner not found' }),
      );

      expect(failure).toMatchObject({
        code: 'AUTH_ACCOUNT_NOT_LINKED',
        status: 401,
        retryable: false,
      });
      expect(failure.message).toContain('Token resource owner not found');
      expect(failure.message).toContain('not linked');
      expect(isAuthFailure(failure)).toBe(true);
    });

    it('should leave a plain JSON 401 and 404 as they are', () => {
      expect(
        classifyHttpFailure('tripleseat', httpError(401, { error: 'invalid_token' })),
      ).toMatchObject({ code: 'HTTP_401', status: 401, retryable: false });
      expect(
        classifyHttpFailure('tripleseat', httpError(404, { error: 'not found' })),
      ).toMatchObject({ code: 'HTTP_404', status: 404, answeredStatus: 404 });
    });
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    let next: Canned[] = [];
    const observed: [string, string][] = [];
    const arrivals: number[] = [];
    const metrics: HttpMetrics = {
      observeUpstreamRequest: (_api, route, status) => observed.push([route, status]),
      countUpstreamRetry: () => undefined,
    };

    beforeAll(async () => {
      // Retries log a warning by design; not test output.
      Logger.overrideLogger(false);
      server = createServer((_req, res) => {
        arrivals.push(Date.now());
        const canned = next.shift() ?? { status: 200, type: 'application/json', body: '{"ok":1}' };
        res.writeHead(canned.status, { 'content-type': canned.type });
        res.end(canned.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    beforeEach(() => {
      next = [];
      observed.length = 0;
      arrivals.length = 0;
    });

    const client = () =>
      new ResilientHttp(axios.create({ baseURL: base }), {
        upstream: 'revel',
        timeoutMs: 2000,
        maxAttempts: 3,
        baseDelayMs: 1,
        maxDelayMs: 5,
        ratePerSecond: 1000,
        maxConcurrent: 4,
        metrics,
      });

    async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
      try {
        await promise;
      } catch (error) {
        if (error instanceof UpstreamError) return error;
        throw error;
      }
      throw new Error('expected a failure');
    }

    it('should refuse an HTML page answered 200 as AUTH_HTML, once, and count it as a 200', async () => {
      next = [{ status: 200, type: 'text/html', body: LOGIN_PAGE }];

      const error = await failureOf(
        client().request({ method: 'GET', url: '/resources/Order/1/' }, { idempotent: true }),
      );

      expect(error).toMatchObject({
        upstream: 'revel',
        code: 'AUTH_HTML',
        status: 401,
        answeredStatus: 200,
        retryable: false,
      });
      expect(error.message).toContain('revel GET /resources/Order/1/ answered an HTML page');
      expect(observed).toEqual([['GET /resources/Order/:id/', '200']]);
    });

    it('should refuse an HTML 404 as AUTH_HTML with the answered status in the metric', async () => {
      next = [{ status: 404, type: 'text/html', body: LOGIN_PAGE }];

      const error = await failureOf(
        client().request({ method: 'GET', url: '/resources/Order/2/' }, { idempotent: true }),
      );

      expect(error).toMatchObject({ code: 'AUTH_HTML', answeredStatus: 404 });
      expect(error.status).not.toBe(404);
      expect(observed).toEqual([['GET /resources/Order/:id/', '404']]);
    });

    it('should still retry an HTML 502 from a gateway and then succeed', async () => {
      next = [{ status: 502, type: 'text/html', body: '<html>Bad Gateway</html>' }];

      const response = await client().request<unknown>(
        { method: 'GET', url: '/resources/Order/3/' },
        { idempotent: true },
      );

      expect(response.data).toEqual({ ok: 1 });
      expect(observed.map(([, status]) => status)).toEqual(['502', '200']);
    });

    it('should pass JSON through untouched', async () => {
      next = [{ status: 200, type: 'application/json', body: '{"id":5}' }];

      const response = await client().request<unknown>(
        { method: 'GET', url: '/resources/Order/5/' },
        { idempotent: true },
      );

      expect(response.data).toEqual({ id: 5 });
    });

    it('should never send more than the rate within one second, even after a stalled event loop', async () => {
      const paced = new ResilientHttp(axios.create({ baseURL: base }), {
        upstream: 'revel',
        timeoutMs: 2000,
        maxAttempts: 1,
        baseDelayMs: 1,
        maxDelayMs: 5,
        ratePerSecond: 5,
        maxConcurrent: 8,
      });
      // Slots every 200 ms; a stall over the 1000 ms slot makes it fire late, next to the 1200 ms one.
      setTimeout(() => {
        const until = Date.now() + 300;
        while (Date.now() < until) {
          // a busy event loop, as under load
        }
      }, 850);

      await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          paced.request({ method: 'GET', url: `/resources/Order/${i}/` }, { idempotent: true }),
        ),
      );

      expect(arrivals).toHaveLength(9);
      const busiest = Math.max(
        ...arrivals.map((start) => arrivals.filter((t) => t >= start && t < start + 1000).length),
      );
      expect(busiest).toBeLessThanOrEqual(5);
    });
  });
});

import { AxiosError, AxiosHeaders, AxiosInstance, AxiosRequestConfig } from 'axios';
import { HttpMetrics, routeLabel } from './http-metrics';
import { ResilientHttp } from './resilient-http';

describe('routeLabel', () => {
  it.each([
    ['GET', 'http://127.0.0.1:4000/v1/events/61000001.json?x=1', 'GET /v1/events/:id.json'],
    ['get', '/resources/Order/120045/', 'GET /resources/Order/:id/'],
    ['POST', '/resources/OrderItem/', 'POST /resources/OrderItem/'],
    ['GET', '/resources/Order/?establishment=4&local_id=Triple%20Seat_1', 'GET /resources/Order/'],
    ['PATCH', '/x/2b1e8a0c-3f4d-5e6f-8a9b-0c1d2e3f4a5b/', 'PATCH /x/:uuid/'],
    [undefined, undefined, 'GET /'],
  ])('%s %s → %s', (method, url, expected) => {
    expect(routeLabel(method, url)).toBe(expected);
  });
});

describe(ResilientHttp.name, () => {
  const options = {
    upstream: 'revel' as const,
    timeoutMs: 1000,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 2,
    ratePerSecond: 1000,
    maxConcurrent: 2,
  };

  function fakeAxios(answers: (number | 'reset')[]): AxiosInstance {
    const queue = [...answers];
    const request = (config: AxiosRequestConfig) => {
      const next = queue.shift() ?? 200;
      if (next === 'reset') {
        return Promise.reject(new AxiosError('socket hang up', 'ECONNRESET', undefined, config));
      }
      const response = { status: next, data: {}, headers: {}, statusText: '', config };
      if (next >= 400) {
        return Promise.reject(
          new AxiosError('failed', 'ERR_BAD_RESPONSE', undefined, config, {
            ...response,
            config: { ...config, headers: new AxiosHeaders() },
          }),
        );
      }
      return Promise.resolve(response);
    };
    return { request } as unknown as AxiosInstance;
  }

  it('should report every attempt with its route and status, and every retry', async () => {
    const observed: [string, string, string][] = [];
    let retries = 0;
    const metrics: HttpMetrics = {
      observeUpstreamRequest: (api, route, status, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        observed.push([api, route, status]);
      },
      countUpstreamRetry: () => (retries += 1),
    };
    const http = new ResilientHttp(fakeAxios([503, 'reset', 200]), { ...options, metrics });
    await http.request({ method: 'GET', url: '/resources/Order/7/' }, { idempotent: true });
    expect(observed).toEqual([
      ['revel', 'GET /resources/Order/:id/', '503'],
      ['revel', 'GET /resources/Order/:id/', 'ECONNRESET'],
      ['revel', 'GET /resources/Order/:id/', '200'],
    ]);
    expect(retries).toBe(2);
  });

  it('should never let a failing metrics hook break a request', async () => {
    const metrics: HttpMetrics = {
      observeUpstreamRequest: () => {
        throw new Error('boom');
      },
      countUpstreamRetry: () => {
        throw new Error('boom');
      },
    };
    const http = new ResilientHttp(fakeAxios([500, 200]), { ...options, metrics });
    const res = await http.request({ method: 'GET', url: '/x/' }, { idempotent: true });
    expect(res.status).toBe(200);
  });
});

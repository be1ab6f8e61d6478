import type { UpstreamName } from '../upstream.error';

/**
 * What ResilientHttp reports about each attempt. Implemented by MetricsService; kept as an
 * interface here so the HTTP layer does not depend on prom-client (and unit tests can pass a fake).
 */
export interface HttpMetrics {
  /** One attempt (retries count separately) with its answer: an HTTP status or an error code. */
  observeUpstreamRequest(api: UpstreamName, route: string, status: string, seconds: number): void;
  /** One retry decided by the retry policy. */
  countUpstreamRetry(api: UpstreamName): void;
}

const UUID = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=[/.]|$)/gi;
const NUMERIC = /\/\d+(?=[/.]|$)/g;
const MAX_ROUTE_LENGTH = 120;

/**
 * A low-cardinality route label: `GET /resources/Order/:id/`. Origin, query string and fragment
 * are dropped, numeric path segments become `:id` and uuids `:uuid` (`/events/123.json` →
 * `/events/:id.json`).
 */
export function routeLabel(method: string | undefined, url: string | undefined): string {
  let path = url ?? '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      path = '/';
    }
  }
  path = path.split(/[?#]/, 1)[0] || '/';
  path = path.replace(UUID, '/:uuid').replace(NUMERIC, '/:id');
  if (path.length > MAX_ROUTE_LENGTH) path = `${path.slice(0, MAX_ROUTE_LENGTH)}…`;
  return `${(method ?? 'GET').toUpperCase()} ${path}`;
}

import { randomUUID } from 'node:crypto';
import { CLS_ID, ClsService, ClsServiceManager } from 'nestjs-cls';

export const CORRELATION_HEADER = 'x-correlation-id';

/** Where work comes from: an HTTP request, a manual sync, the clock, the worker. */
export type CorrelationPrefix = 'req' | 'sync' | 'scheduled' | 'worker';

const ACCEPTABLE_INCOMING = /^[A-Za-z0-9._:-]{1,100}$/;

export function newCorrelationId(prefix: CorrelationPrefix): string {
  return `${prefix}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/**
 * An id sent by the caller is kept when it is sane, so one trace spans systems; else a new one,
 * `sync-…` for a manual sync and `req-…` for any other request.
 */
export function correlationIdFor(header: string | string[] | undefined, path: string): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  if (candidate && ACCEPTABLE_INCOMING.test(candidate)) return candidate;
  return newCorrelationId(path.startsWith('/api/sync/tripleseat') ? 'sync' : 'req');
}

/** The id of the work in progress, or undefined outside any (start-up). */
export function currentCorrelationId(): string | undefined {
  const cls = ClsServiceManager.getClsService();
  return cls.isActive() ? cls.getId() : undefined;
}

/** Runs `fn` in its own context carrying a fresh id, for work no HTTP request started. */
export function runWithCorrelationId<T>(
  cls: ClsService,
  idOrPrefix: CorrelationPrefix | { id: string },
  fn: () => Promise<T>,
): Promise<T> {
  const id = typeof idOrPrefix === 'string' ? newCorrelationId(idOrPrefix) : idOrPrefix.id;
  return cls.run({ ifNested: 'override' }, () => {
    cls.set(CLS_ID, id);
    return fn();
  });
}

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { ConsoleRedirect, sessionOfRequest } from './console.guard';
import { ConsoleViews } from './console.views';

const HEADINGS: Record<number, string> = {
  400: 'That request was not valid',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That cannot be done now',
  429: 'Too many attempts',
  503: 'The service is unavailable',
};

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const EVENT_PATH = /^\/console\/events\/([^/?#]+)/;

/**
 * The event a failed request was about, so its error page links back to it: the event page or
 * action in the path, the `event` of a product search, or the event page a mapping form returns to.
 */
function eventOfRequest(req: Request): string | undefined {
  const body: unknown = req.body;
  const returnTo =
    typeof body === 'object' && body !== null
      ? (body as { returnTo?: unknown }).returnTo
      : undefined;
  const candidates = [
    EVENT_PATH.exec(req.path)?.[1],
    typeof req.query.event === 'string' ? req.query.event : undefined,
    typeof returnTo === 'string' ? EVENT_PATH.exec(returnTo)?.[1] : undefined,
  ];
  return candidates.find((c): c is string => c !== undefined && EVENT_ID.test(c));
}

/** Console errors as pages (or, for htmx, a fragment); a ConsoleRedirect as a 303. */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  constructor(private readonly views: ConsoleViews) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof ConsoleRedirect) {
      res.redirect(303, exception.location);
      return;
    }
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    const message =
      exception instanceof HttpException
        ? messageOf(exception)
        : `Something went wrong (correlation id ${currentCorrelationId() ?? 'none'}).`;
    if (status >= 500 && !(exception instanceof HttpException)) {
      this.logger.error({ err: exception, path: req.path }, 'console page failed');
    }
    res.status(status).type('html');
    if (req.headers['hx-request'] !== undefined) {
      res.send(this.views.partial('message', { message }));
      return;
    }
    const session = sessionOfRequest(req);
    const eventId = session ? eventOfRequest(req) : undefined;
    res.send(
      this.views.render(
        'error',
        { title: HEADINGS[status] ?? 'Error', session },
        {
          heading: HEADINGS[status] ?? 'Error',
          message,
          eventLink: eventId ? `/console/events/${encodeURIComponent(eventId)}` : '',
          eventId: eventId ?? '',
        },
      ),
    );
  }
}

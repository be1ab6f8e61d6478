import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { currentCorrelationId } from './correlation/correlation-id';

/** Errors thrown by body parsers carry their HTTP status (413, 400) and a type. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
}

/**
 * One error body for every failure, `{ statusCode, error, message, correlationId, …details }`,
 * echoing the correlation id, so an operator can find the log lines of any failed request. A thrown
 * exception that lacks `error` or `message` gets the status text for them. Unexpected errors answer
 * 500 without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const correlationId = currentCorrelationId();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: Record<string, unknown> = { message: 'Internal server error' };

    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      body = typeof response === 'string' ? { message: response } : { ...response };
    } else if (isHttpish(exception)) {
      status = exception.status ?? exception.statusCode ?? 500;
      body = {
        message:
          status === 413
            ? 'Request body is larger than the limit'
            : (exception.message ?? 'Bad request'),
      };
    }
    if (status === 503 && exception instanceof ServiceUnavailableException) {
      // The database or a dependency is away: expected during a failover, and it says so already.
      this.logger.warn({ err: { message: exception.message } }, 'request answered 503');
    } else if (status >= 500) {
      this.logger.error(
        {
          err:
            exception instanceof Error
              ? { message: exception.message, stack: exception.stack }
              : exception,
        },
        'request failed',
      );
    }
    if (res.headersSent) return;
    const statusText = STATUS_CODES[status] ?? 'Error';
    const { error, message, ...details } = body;
    delete details.statusCode;
    const header = res.getHeader('X-Correlation-Id');
    res.status(status).json({
      statusCode: status,
      // Terminus' 503 body carries the failed indicators under `error`: kept as they are.
      error: (typeof error === 'string' && error !== '') || isObject(error) ? error : statusText,
      message: hasMessage(message) ? message : statusText,
      ...details,
      correlationId: correlationId ?? (typeof header === 'string' ? header : null),
    });
  }
}

function isHttpish(e: unknown): e is HttpishError {
  if (typeof e !== 'object' || e === null) return false;
  const status = (e as HttpishError).status ?? (e as HttpishError).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasMessage(value: unknown): value is string | string[] {
  return (
    (typeof value === 'string' && value !== '') ||
    (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'))
  );
}

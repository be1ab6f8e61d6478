import {
  ArgumentsHost,
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { AllExceptionsFilter } from './all-exceptions.filter';

interface Sent {
  status?: number;
  body?: Record<string, unknown>;
}

function hostFor(sent: Sent): ArgumentsHost {
  const res = {
    headersSent: false,
    getHeader: (name: string) => (name === 'X-Correlation-Id' ? 'req-0123456789ab' : undefined),
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: Record<string, unknown>) {
      sent.body = body;
      return res;
    },
  };
  return { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
}

function answer(exception: unknown): Sent {
  const sent: Sent = {};
  new AllExceptionsFilter().catch(exception, hostFor(sent));
  return sent;
}

describe(AllExceptionsFilter.name, () => {
  beforeAll(() => {
    // 5xx answers are logged; the spec needs no log output.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterAll(() => jest.restoreAllMocks());

  it('should give every error body statusCode, error, message and correlationId', () => {
    const cases: unknown[] = [
      new UnauthorizedException({ error: 'Unauthorized', reason: 'MISSING_SIGNATURE' }),
      new NotFoundException(),
      new HttpException('Too many requests; slow down', 429),
      new Error('boom'),
      { status: 413, type: 'entity.too.large', message: 'request entity too large' },
    ];
    for (const exception of cases) {
      const { body } = answer(exception);
      expect(body).toEqual(
        expect.objectContaining({
          statusCode: expect.any(Number) as number,
          error: expect.any(String) as string,
          message: expect.any(String) as string,
          correlationId: 'req-0123456789ab',
        }),
      );
    }
  });

  it('should fill a missing message with the status text and keep the details', () => {
    const sent = answer(
      new UnauthorizedException({ error: 'Unauthorized', reason: 'MISSING_SIGNATURE' }),
    );
    expect(sent.status).toBe(401);
    expect(sent.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Unauthorized',
      reason: 'MISSING_SIGNATURE',
      correlationId: 'req-0123456789ab',
    });
  });

  it('should keep a validation message list and a string message as they are', () => {
    expect(answer(new BadRequestException(['hours_back must be between 1 and 720'])).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['hours_back must be between 1 and 720'],
      correlationId: 'req-0123456789ab',
    });
    expect(answer(new HttpException('Too many requests; slow down', 429)).body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests; slow down',
    });
  });

  it('should answer 500 without internals for an unexpected error', () => {
    const sent = answer(new Error('secret internals'));
    expect(sent.status).toBe(500);
    expect(sent.body).toMatchObject({
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
    expect(JSON.stringify(sent.body)).not.toContain('secret internals');
  });

  it("should keep Terminus' failed indicators under error", () => {
    const terminus = { status: 'error', info: {}, error: { database: { status: 'down' } } };
    const sent = answer(new ServiceUnavailableException(terminus));
    expect(sent.body).toMatchObject({
      statusCode: 503,
      status: 'error',
      error: { database: { status: 'down' } },
      message: 'Service Unavailable',
    });
  });
});

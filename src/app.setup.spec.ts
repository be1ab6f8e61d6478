import {
  Body,
  CanActivate,
  Controller,
  ExecutionContext,
  Injectable,
  INestApplication,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import request from 'supertest';
import { BodyParsingInterceptor } from './app.setup';
import { AllExceptionsFilter } from './common/all-exceptions.filter';

@Injectable()
class HeaderGuard implements CanActivate {
  /** Whether the body was already parsed when the guard ran (it must not be). */
  static sawBody: unknown[] = [];

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    HeaderGuard.sawBody.push(req.body);
    // A slow guard (a database round trip): the whole body arrives, unread, before it returns.
    if (req.headers['x-slow'] === 'yes') await new Promise((resolve) => setTimeout(resolve, 50));
    if (req.headers['x-let-in'] !== 'yes') throw new UnauthorizedException();
    return true;
  }
}

@Controller('things')
@UseGuards(HeaderGuard)
class ThingsController {
  @Post()
  create(@Body() body: unknown): { got: unknown } {
    return { got: body };
  }

  @Post('no-body')
  touch(): { ok: true } {
    return { ok: true };
  }
}

describe(BodyParsingInterceptor.name, () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [ThingsController],
      providers: [HeaderGuard],
    }).compile();
    app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.useGlobalFilters(new AllExceptionsFilter());
    app.useGlobalInterceptors(new BodyParsingInterceptor());
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    HeaderGuard.sawBody = [];
  });

  it('should parse JSON for a handler that takes a body, after its guard let the request in', async () => {
    const res = await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .send({ name: 'TRIPLE OG', quantity: 2 })
      .expect(201);
    expect(res.body).toEqual({ got: { name: 'TRIPLE OG', quantity: 2 } });
    expect(HeaderGuard.sawBody).toEqual([undefined]);
  });

  it('should still read a body that arrived in full while a slow guard ran', async () => {
    const res = await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .set('x-slow', 'yes')
      .type('form')
      .send('a=1&b=two')
      .expect(201);
    expect(res.body).toEqual({ got: { a: '1', b: 'two' } });
  });

  it('should answer the guard, not a JSON error, when the guard refuses a malformed body', async () => {
    await request(app.getHttpServer())
      .post('/things')
      .set('Content-Type', 'application/json')
      .send('{"broken": ')
      .expect(401);
  });

  it('should answer 400 for malformed JSON once the guard let it in, and 415 for another type', async () => {
    const bad = await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .set('Content-Type', 'application/json')
      .send('{"broken": ')
      .expect(400);
    expect(bad.body).toMatchObject({ message: 'body is not valid JSON' });
    await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
  });

  it('should parse a form, and answer 413 for a body over 1 MiB', async () => {
    const form = await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .type('form')
      .send('token=abc&name=x')
      .expect(201);
    expect(form.body).toEqual({ got: { token: 'abc', name: 'x' } });
    await request(app.getHttpServer())
      .post('/things')
      .set('x-let-in', 'yes')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }))
      .expect(413);
  });

  it('should not read the body of a handler that takes none', async () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      await request(app.getHttpServer())
        .post('/things/no-body')
        .set('x-let-in', 'yes')
        .set('Content-Type', 'application/json')
        .send('{"not": "parsed"')
        .expect(201);
      expect(parse.mock.calls.filter(([text]) => String(text).includes('"not"'))).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });
});

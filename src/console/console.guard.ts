import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { parse as parseCookies } from 'cookie';
import type { Request, Response } from 'express';
import { parseRequestBody } from '../app.setup';
import { consoleConfig } from '../config/configuration';
import {
  ConsoleAuthService,
  ConsoleSession,
  SESSION_COOKIE,
  sameSecret,
} from './console-auth.service';
import { CONSOLE_CSP } from './console.views';

const PUBLIC = 'console:public';
/** Pages anyone may load: sign-in and the static files. */
export const PublicPage = (): MethodDecorator => SetMetadata(PUBLIC, true);

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Sent by the filter as a 303 to `location`. */
export class ConsoleRedirect extends HttpException {
  constructor(readonly location: string) {
    super('See Other', HttpStatus.SEE_OTHER);
  }
}

type ConsoleRequest = Request & { consoleSession?: ConsoleSession };

/** The signed-in session the guard found (every non-public console handler has one). */
export const CurrentSession = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const session = ctx.switchToHttp().getRequest<ConsoleRequest>().consoleSession;
  if (!session) throw new UnauthorizedException('Sign in first');
  return session;
});

export function sessionOfRequest(req: Request): ConsoleSession | undefined {
  return (req as ConsoleRequest).consoleSession;
}

/**
 * Every console request: off when CONSOLE_ENABLED=false (404); the page policy (CSP, no caching);
 * then, except for sign-in and static files, an open session: a page without one is sent to
 * sign-in, anything else is refused (401). A state-changing request must also come from this
 * origin and carry the session's CSRF token (the `_csrf` field, or `X-CSRF-Token`), compared in
 * constant time; else 403 and nothing is done. The form body is read here, after the session check,
 * so an unauthenticated request never costs a parse.
 */
@Injectable()
export class ConsoleGuard implements CanActivate {
  constructor(
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    private readonly auth: ConsoleAuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!this.config.enabled) {
      throw new NotFoundException({
        error: 'Not Found',
        message: 'the console is turned off (CONSOLE_ENABLED=false)',
      });
    }
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'same-origin');
    if (this.reflector.get<boolean>(PUBLIC, context.getHandler())) {
      // Even signing in is refused from another site's page (no one signs in for someone else).
      if (!SAFE_METHODS.has(req.method) && !sameOrigin(req)) throw crossSite();
      return true;
    }

    const cookie = parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE];
    const session = await this.auth.sessionOf(cookie);
    if (!session) {
      if (SAFE_METHODS.has(req.method) && req.headers['hx-request'] === undefined) {
        throw new ConsoleRedirect(`/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      }
      if (req.headers['hx-request'] !== undefined) res.setHeader('HX-Redirect', '/console/sign-in');
      throw new UnauthorizedException({
        error: 'Unauthorized',
        message: 'Sign in first: this needs a console session.',
      });
    }
    if (!SAFE_METHODS.has(req.method)) {
      if (!sameOrigin(req)) throw crossSite();
      const body = await parseRequestBody(req, res);
      req.body = body;
      const field = isRecord(body) ? body._csrf : undefined;
      const header = req.headers['x-csrf-token'];
      const token = typeof field === 'string' ? field : typeof header === 'string' ? header : '';
      if (!sameSecret(token, session.csrfToken)) {
        throw new ForbiddenException({
          error: 'Forbidden',
          message:
            'The form had no valid security token (CSRF); nothing was changed. Reload the page and try again.',
        });
      }
    }
    req.consoleSession = session;
    return true;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function crossSite(): ForbiddenException {
  return new ForbiddenException({
    error: 'Forbidden',
    message: 'The request came from another site; nothing was changed.',
  });
}

/**
 * A browser's Origin (or, without one, Referer) must be this host when present. `req.host` is the
 * Host header, or X-Forwarded-Host behind a trusted proxy (TRUST_PROXY), so a proxy that rewrites
 * Host does not make every form look foreign.
 */
function sameOrigin(req: Request): boolean {
  const source = req.headers.origin ?? req.headers.referer;
  if (source === undefined || source === 'null') return source === undefined;
  try {
    return new URL(source).host === req.host;
  } catch {
    return false;
  }
}

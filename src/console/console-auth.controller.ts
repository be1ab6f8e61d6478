import { Body, Get, Header, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ConsoleAuthService, ConsoleSession, SESSION_COOKIE } from './console-auth.service';
import { CurrentSession, PublicPage } from './console.guard';
import { ConsolePages } from './console-pages.decorator';
import { consolePath } from './console.forms';
import { ConsoleViews } from './console.views';

/** Sign-in, sign-out and the pages' static files. */
@ConsolePages()
export class ConsoleAuthController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly auth: ConsoleAuthService,
  ) {}

  // --- sign-in -------------------------------------------------------------------------------

  @Get('sign-in')
  @PublicPage()
  @Header('Content-Type', 'text/html; charset=utf-8')
  signInPage(@Query('next') next: unknown): string {
    return this.views.render(
      'sign-in',
      { title: 'Sign in' },
      { next: consolePath(next), error: '' },
    );
  }

  @Post('sign-in')
  @PublicPage()
  async signIn(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const form = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const next = consolePath(form.next);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const result = await this.auth.signIn(token, client);
    if (result.kind !== 'signed-in') {
      const throttled = result.kind === 'throttled';
      if (throttled) res.setHeader('Retry-After', String(result.retryAfterSeconds));
      res
        .status(throttled ? 429 : 401)
        .type('html')
        .send(
          this.views.render(
            'sign-in',
            { title: 'Sign in' },
            {
              next,
              error: throttled
                ? `Too many wrong tokens from this address. Try again in ${Math.ceil(result.retryAfterSeconds / 60)} minutes.`
                : 'That token is not valid.',
            },
          ),
        );
      return;
    }
    res.cookie(SESSION_COOKIE, result.cookie, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/console',
      expires: result.session.expiresAt,
    });
    res.redirect(303, next);
  }

  @Post('sign-out')
  async signOut(
    @CurrentSession() session: ConsoleSession,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.auth.signOut(session);
    res.clearCookie(SESSION_COOKIE, {
      path: '/console',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
    });
    res.redirect(303, '/console/sign-in');
  }

  @Get('assets/:name')
  @PublicPage()
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.views.asset(name);
    if (!asset) throw new NotFoundException({ error: 'Not Found', message: `no asset ${name}` });
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(asset.type).send(asset.body);
  }
}

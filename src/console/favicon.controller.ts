import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { ConsoleViews } from './console.views';

/**
 * `/favicon.ico`, which browsers ask for on their own whatever a page links: the console's icon
 * (an SVG, as the pages link it), so that no page view logs a 404.
 */
@ApiExcludeController()
@Controller()
export class FaviconController {
  constructor(private readonly views: ConsoleViews) {}

  @Get('favicon.ico')
  favicon(@Res() res: Response): void {
    const icon = this.views.asset('favicon.svg');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(icon?.type ?? 'image/svg+xml').send(icon?.body ?? '');
  }
}

import { applyDecorators, Controller, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleGuard } from './console.guard';

/**
 * A controller of console pages under /console: left out of the API document (they are pages for
 * people), throttled on the `api` budget, behind the session guard, errors rendered as pages.
 */
export function ConsolePages(): ClassDecorator {
  return applyDecorators(
    ApiExcludeController(),
    Controller('console'),
    UseGuards(ThrottlerGuard, ConsoleGuard),
    SkipThrottle({ [THROTTLE_WEBHOOK]: true }),
    UseFilters(ConsoleExceptionFilter),
  );
}

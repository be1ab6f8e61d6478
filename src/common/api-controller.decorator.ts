import { applyDecorators, Controller, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { API_TOKEN_SECURITY } from '../openapi.constants';
import { ApiTokenGuard } from './api-token.guard';
import { ErrorResponse } from './error.response';
import { THROTTLE_WEBHOOK } from './throttling';

/** Bodies and queries are validated and whitelisted: an unknown field is a 400 that names it. */
const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});

/**
 * A token-protected `/api/…` controller that validates its input: the bearer guard and the `api`
 * rate limit, the validation pipe, and the answers every such route shares in the OpenAPI document
 * (400 with `badRequest` as its description, 401, 429).
 */
export function ApiController(path: string, tag: string, badRequest: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(API_TOKEN_SECURITY),
    ApiResponse({ status: 400, description: badRequest, type: ErrorResponse }),
    ApiResponse({
      status: 401,
      description: 'Missing or wrong bearer token.',
      type: ErrorResponse,
    }),
    ApiResponse({
      status: 429,
      description: 'More than API_RATE_LIMIT_PER_MINUTE requests from one address.',
      type: ErrorResponse,
    }),
    Controller(path),
    UseGuards(ThrottlerGuard, ApiTokenGuard),
    SkipThrottle({ [THROTTLE_WEBHOOK]: true }),
    UsePipes(validation),
  );
}

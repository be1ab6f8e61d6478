import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The one error body of every failure (AllExceptionsFilter), documented for OpenAPI: always
 * `statusCode`, `error`, `message` and `correlationId`; `field` and `reason` where they apply.
 */
export class ErrorResponse {
  @ApiProperty({ example: 400, description: 'The HTTP status, repeated.' })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP status text, or a short name.' })
  error!: string;

  @ApiProperty({
    description: 'What went wrong; a list when several query parameters are invalid.',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'hours_back must be between 1 and 720',
  })
  message!: string | string[];

  @ApiPropertyOptional({ description: 'The offending field (webhook).', example: 'event.id' })
  field?: string;

  @ApiPropertyOptional({
    description: 'Why a signature was refused (webhook 401).',
    example: 'SIGNATURE_MISMATCH',
  })
  reason?: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The request’s correlation id (also in the X-Correlation-Id header and the logs).',
    example: 'req-3f1c2a9e6d0b',
  })
  correlationId!: string | null;
}

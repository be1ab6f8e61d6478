import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class SyncQueryDto {
  @ApiPropertyOptional({
    description: 'Process this TripleSeat event only.',
    pattern: '^[1-9]\\d{0,18}$',
    example: '61000001',
  })
  @IsOptional()
  @Matches(/^[1-9]\d{0,18}$/, { message: 'event_id must be a TripleSeat event id (digits)' })
  event_id?: string;

  @ApiPropertyOptional({
    description: 'Look-back window of a bulk sync, in hours (default RECONCILE_LOOKBACK_HOURS).',
    type: 'integer',
    minimum: 1,
    maximum: 720,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'hours_back must be a whole number of hours' })
  @Min(1, { message: 'hours_back must be between 1 and 720' })
  @Max(720, { message: 'hours_back must be between 1 and 720' })
  hours_back?: number;

  @ApiPropertyOptional({
    description:
      'Bulk sync only: wait up to this many seconds for the run to finish; it then answers 200 ' +
      'with the finished run, else 202 as without it. At most 25, below the usual 30-second ' +
      'proxy timeouts. Ignored with event_id (a single-event sync always answers when done).',
    type: 'integer',
    minimum: 0,
    maximum: 25,
    example: 20,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'wait must be a whole number of seconds' })
  @Min(0, { message: 'wait must be between 0 and 25 seconds' })
  @Max(25, { message: 'wait must be between 0 and 25 seconds' })
  wait?: number;

  @ApiPropertyOptional({
    description:
      'With event_id: write the order now without the lines that match no Revel product ' +
      '(an event HELD for UNMATCHED_ITEMS); the notes, the ledger and the e-mail name them.',
    enum: ['true', 'false'],
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'allow_unmatched must be true or false' })
  allow_unmatched?: boolean;
}

export class EventIdParamDto {
  @ApiProperty({
    description: 'TripleSeat event id.',
    pattern: '^[1-9]\\d{0,18}$',
    example: '61000001',
  })
  @Matches(/^[1-9]\d{0,18}$/, { message: 'id must be a TripleSeat event id (digits)' })
  id!: string;
}

export class RunsQueryDto {
  @ApiPropertyOptional({
    description: 'How many runs (default 20).',
    type: 'integer',
    minimum: 1,
    maximum: 200,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be between 1 and 200' })
  @Max(200, { message: 'limit must be between 1 and 200' })
  limit?: number;
}

export class RunIdParamDto {
  @ApiProperty({ description: 'Run id (from the 202 answer or GET /api/sync/runs).', example: 12 })
  @Type(() => Number)
  @IsInt({ message: 'id must be a run id (a whole number)' })
  @Min(1, { message: 'id must be a run id (a whole number)' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'id must be a run id (a whole number)' })
  id!: number;
}

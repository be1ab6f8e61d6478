import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

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

import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import type { SwitchName } from '../database/database.types';
import { SWITCH_NAMES } from './switches.repository';

export class PutSwitchDto {
  @ApiProperty({ description: 'The switch’s new value.', example: true })
  @IsBoolean({ message: 'value must be true or false' })
  value!: boolean;
}

export class SwitchStateResponse {
  @ApiProperty({ enum: SWITCH_NAMES, example: 'dryRun' })
  name!: SwitchName;

  @ApiProperty({ example: false })
  value!: boolean;

  @ApiProperty({
    enum: ['database', 'environment'],
    description:
      '`environment`: never flipped, the start-up variable (ENABLE_CONNECTOR, DRY_RUN) applies; ' +
      '`database`: the stored value, shared by every replica.',
    example: 'database',
  })
  source!: 'database' | 'environment';

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-03-01T18:00:00.000Z',
  })
  updatedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Who flipped it last: a console session’s label, or `api`.',
    example: 'api',
  })
  updatedBy!: string | null;
}

export class SwitchFlipResponse {
  @ApiProperty({ type: 'integer', example: 7 })
  id!: number;

  @ApiProperty({ enum: SWITCH_NAMES, example: 'dryRun' })
  name!: SwitchName;

  @ApiProperty({ example: true })
  value!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T18:00:00.000Z' })
  at!: string;

  @ApiProperty({ description: 'A console session’s label, or `api`.', example: 'api' })
  actor!: string;

  @ApiProperty({ type: String, nullable: true, example: 'req-3f1c2a9e6d0b' })
  correlationId!: string | null;
}

export class SwitchesResponse {
  @ApiProperty({ type: [SwitchStateResponse] })
  switches!: SwitchStateResponse[];

  @ApiProperty({ type: [SwitchFlipResponse], description: 'The latest flips, newest first.' })
  flips!: SwitchFlipResponse[];
}

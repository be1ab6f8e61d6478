import { UnmatchedLineResponse } from './events.response';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { LEDGER_STATES, LedgerState } from '../database/database.types';

export class EventListQueryDto {
  @ApiProperty({ enum: LEDGER_STATES, description: 'Ledger state to list' })
  @IsIn(LEDGER_STATES, { message: `state must be one of ${LEDGER_STATES.join(', ')}` })
  state!: LedgerState;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be between 1 and 500' })
  @Max(500, { message: 'limit must be between 1 and 500' })
  limit?: number;
}

export class EventListItem {
  @ApiProperty() eventId!: string;
  @ApiProperty({ enum: LEDGER_STATES }) state!: LedgerState;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ type: String, nullable: true }) detail!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) revelOrderId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'YYYY-MM-DD' }) eventDate!:
    string | null;
  @ApiProperty({ description: 'ISO-8601' }) updatedAt!: string;
  @ApiProperty({
    type: [UnmatchedLineResponse],
    description: 'Food lines with no Revel product (empty when every line matches).',
  })
  unmatched!: UnmatchedLineResponse[];
}

export class EventListResponse {
  @ApiProperty({ type: [EventListItem] }) events!: EventListItem[];
}

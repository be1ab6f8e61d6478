import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

const MENU_ITEM_ID = /^[1-9]\d{0,18}$/;
const MENU_ITEM_MESSAGE = 'menuItemId must be a TripleSeat menu_item_id (digits)';
const LOCATION = /^\S{1,64}$/;
const LOCATION_MESSAGE = 'location must be a location key of the location map';
const NOT_BLANK = /\S/;
const DISPLAY_NAME_MESSAGE = 'displayName must be a non-empty line display name';

/** JSON numbers are accepted for ids, and kept as the text TripleSeat ids are compared in. */
const idAsText = ({ value }: { value: unknown }): unknown =>
  typeof value === 'number' ? String(value) : value;

export class PutMappingDto {
  @ApiProperty({
    description: 'The location key (TripleSeat location_id) of the location map.',
    example: '31883',
  })
  @Transform(idAsText)
  @IsString({ message: LOCATION_MESSAGE })
  @Matches(LOCATION, { message: LOCATION_MESSAGE })
  location!: string;

  @ApiPropertyOptional({
    description: 'The TripleSeat menu_item_id to map. Exactly one of menuItemId and displayName.',
    pattern: MENU_ITEM_ID.source,
    example: '5001',
  })
  @IsOptional()
  @Transform(idAsText)
  @IsString({ message: MENU_ITEM_MESSAGE })
  @Matches(MENU_ITEM_ID, { message: MENU_ITEM_MESSAGE })
  menuItemId?: string;

  @ApiPropertyOptional({
    description:
      'A line display name to map (matched as the file’s `products` map is: case, spacing, ' +
      'accents, punctuation, quotes and HTML entities do not matter). Exactly one of menuItemId and ' +
      'displayName.',
    maxLength: 200,
    example: 'TRIPLE OG',
  })
  @IsOptional()
  @IsString({ message: DISPLAY_NAME_MESSAGE })
  @Matches(NOT_BLANK, { message: DISPLAY_NAME_MESSAGE })
  @MaxLength(200, { message: 'displayName must be at most 200 characters' })
  displayName?: string;

  @ApiProperty({ description: 'The Revel product id.', type: 'integer', minimum: 1, example: 579 })
  @IsInt({ message: 'productId must be a positive integer (a Revel product id)' })
  @Min(1, { message: 'productId must be a positive integer (a Revel product id)' })
  @Max(Number.MAX_SAFE_INTEGER, {
    message: 'productId must be a positive integer (a Revel product id)',
  })
  productId!: number;

  @ApiPropertyOptional({
    description: 'Why the mapping exists, for the next operator.',
    maxLength: 500,
    example: 'renamed in TripleSeat in March',
  })
  @IsOptional()
  @IsString({ message: 'note must be text' })
  @MaxLength(500, { message: 'note must be at most 500 characters' })
  note?: string;
}

export class MappingsQueryDto {
  @ApiPropertyOptional({ description: 'Only this location’s mappings.', example: '31883' })
  @IsOptional()
  @Matches(LOCATION, { message: LOCATION_MESSAGE })
  location?: string;
}

export class DeleteMappingQueryDto {
  @ApiProperty({ description: 'The location key of the mapping.', example: '31883' })
  @Matches(LOCATION, { message: LOCATION_MESSAGE })
  location!: string;

  @ApiPropertyOptional({
    description: 'The mapped menu_item_id. Exactly one of menuItemId and displayName.',
    pattern: MENU_ITEM_ID.source,
    example: '5001',
  })
  @IsOptional()
  @Matches(MENU_ITEM_ID, { message: MENU_ITEM_MESSAGE })
  menuItemId?: string;

  @ApiPropertyOptional({
    description: 'The mapped display name. Exactly one of menuItemId and displayName.',
    example: 'TRIPLE OG',
  })
  @IsOptional()
  @Matches(NOT_BLANK, { message: DISPLAY_NAME_MESSAGE })
  @MaxLength(200, { message: 'displayName must be at most 200 characters' })
  displayName?: string;
}

export class MappingResponse {
  @ApiProperty({ example: '31883' })
  location!: string;

  @ApiProperty({ enum: ['menuItem', 'displayName'], example: 'menuItem' })
  kind!: 'menuItem' | 'displayName';

  @ApiPropertyOptional({ description: 'Kind menuItem.', example: '5001' })
  menuItemId?: string;

  @ApiPropertyOptional({ description: 'Kind displayName, as given.', example: 'TRIPLE OG' })
  displayName?: string;

  @ApiProperty({ type: 'integer', example: 579 })
  productId!: number;

  @ApiProperty({ type: String, nullable: true, example: null })
  note!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T18:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T18:00:00.000Z' })
  updatedAt!: string;
}

export class MappingsResponse {
  @ApiProperty({ type: [MappingResponse] })
  mappings!: MappingResponse[];
}

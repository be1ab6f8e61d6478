import {
  BadRequestException,
  Body,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Put,
  Query,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import { ApiController } from '../common/api-controller.decorator';
import { ErrorResponse } from '../common/error.response';
import { syncConfig } from '../config/configuration';
import { ProductMappingRow } from '../database/database.types';
import { RevelProductCatalog } from '../revel/product-catalog';
import {
  DeleteMappingQueryDto,
  MappingResponse,
  MappingsQueryDto,
  MappingsResponse,
  PutMappingDto,
} from './mappings.dto';
import { HeldEventRelease } from './held-release.service';
import { MappingSource, MappingsRepository } from './mappings.repository';

function toResponse(row: ProductMappingRow): MappingResponse {
  return {
    location: row.location_key,
    kind: row.kind,
    ...(row.kind === 'menuItem'
      ? { menuItemId: row.source_key }
      : { displayName: row.display_name ?? row.source_key }),
    productId: row.product_id,
    note: row.note,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/**
 * Product mappings stored in the database; they win over the locations file (docs/going-live.md,
 * 'Map the locations').
 */
@ApiController(
  'api/mappings',
  'mappings',
  'A parameter or the body is invalid (the message names the field), or the location is not ' +
    'in the location map.',
)
export class MappingsController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly mappings: MappingsRepository,
    private readonly catalog: RevelProductCatalog,
    private readonly release: HeldEventRelease,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List the product mappings stored in the database',
    description:
      'Every mapping, or one location’s. These win over the locations file’s `menuItems` and ' +
      '`products` maps, and apply to the next order built, without a restart.',
  })
  @ApiResponse({ status: 200, description: 'The mappings.', type: MappingsResponse })
  async list(@Query() query: MappingsQueryDto): Promise<MappingsResponse> {
    if (query.location !== undefined) this.knownLocation(query.location);
    const rows = await this.mappings.list(query.location);
    return { mappings: rows.map(toResponse) };
  }

  @Put()
  @ApiOperation({
    summary: 'Create or replace a product mapping',
    description:
      'Maps a TripleSeat menu_item_id (`menuItemId`) or a line display name (`displayName`; ' +
      'exactly one of them) at a location to a Revel product id. It wins over the locations ' +
      'file and applies to the next order built, on every replica, without a restart; the ' +
      'establishment’s Revel catalogue is read afresh, so a product just created is found. Events ' +
      'HELD for lines it resolves (UNMATCHED_ITEMS) are due at once and written within seconds. ' +
      'Orders already written are not changed (sync the event again for one that was skipped).',
  })
  @ApiResponse({ status: 200, description: 'The stored mapping.', type: MappingResponse })
  async put(@Body() body: PutMappingDto): Promise<MappingResponse> {
    const source = this.sourceOf(body);
    const row = await this.mappings.upsert({
      ...source,
      productId: body.productId,
      note: body.note ?? null,
    });
    // The product may have been created in Revel for this very line: the next order reads it.
    const location = this.config.locations.get(source.location);
    if (location) this.catalog.invalidate(location.revelEstablishmentId);
    await this.release.afterSave(source);
    return toResponse(row);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a product mapping',
    description:
      'Removes the mapping of a menu_item_id or display name at a location; the locations ' +
      'file’s map (if it has one for it) applies again.',
  })
  @ApiResponse({ status: 204, description: 'The mapping was removed.' })
  @ApiResponse({ status: 404, description: 'There is no such mapping.', type: ErrorResponse })
  async remove(@Query() query: DeleteMappingQueryDto): Promise<void> {
    const source = this.sourceOf(query);
    const removed = await this.mappings.remove(source);
    if (!removed) {
      throw new NotFoundException({
        error: 'Not Found',
        message: `no mapping of ${describe(source)} at location ${source.location}`,
      });
    }
  }

  private sourceOf(input: {
    location: string;
    menuItemId?: string;
    displayName?: string;
  }): MappingSource {
    this.knownLocation(input.location);
    const { location, menuItemId, displayName } = input;
    if ((menuItemId === undefined) === (displayName === undefined)) {
      throw new BadRequestException({
        error: 'Bad Request',
        field: menuItemId === undefined ? 'menuItemId' : 'displayName',
        message: 'exactly one of menuItemId and displayName is required',
      });
    }
    return menuItemId !== undefined
      ? { location, kind: 'menuItem', menuItemId }
      : { location, kind: 'displayName', displayName: displayName ?? '' };
  }

  private knownLocation(location: string): void {
    if (this.config.locations.has(location)) return;
    throw new BadRequestException({
      error: 'Bad Request',
      field: 'location',
      message: `location ${location} is not in the location map (LOCATIONS_FILE)`,
    });
  }
}

function describe(source: MappingSource): string {
  return source.kind === 'menuItem'
    ? `menuItemId ${source.menuItemId}`
    : `displayName ${JSON.stringify(source.displayName)}`;
}

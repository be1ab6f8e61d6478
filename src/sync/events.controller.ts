import {
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ApiTokenGuard } from '../common/api-token.guard';
import { ErrorResponse } from '../common/error.response';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { API_TOKEN_SECURITY } from '../openapi.constants';
import { PreviewResponse, ResyncResponse } from './events.response';
import { PreviewService } from './preview.service';
import { ResyncService } from './resync.service';
import { EventIdParamDto } from './sync.dto';

const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});

/** Operator tools on one event: a dry-run preview of its order, and a resync of a drifted one. */
@ApiTags('sync')
@ApiBearerAuth(API_TOKEN_SECURITY)
@ApiResponse({
  status: 400,
  description: 'The id is not a TripleSeat event id.',
  type: ErrorResponse,
})
@ApiResponse({ status: 401, description: 'Missing or wrong bearer token.', type: ErrorResponse })
@ApiResponse({
  status: 429,
  description: 'More than API_RATE_LIMIT_PER_MINUTE requests from one address.',
  type: ErrorResponse,
})
@ApiResponse({
  status: 502,
  description: 'TripleSeat or Revel could not be read or written; nothing was recorded.',
  type: ErrorResponse,
})
@Controller('api/sync/events')
@UseGuards(ThrottlerGuard, ApiTokenGuard)
@SkipThrottle({ [THROTTLE_WEBHOOK]: true })
@UsePipes(validation)
export class EventsController {
  constructor(
    private readonly previews: PreviewService,
    private readonly resyncs: ResyncService,
  ) {}

  @Get(':id/preview')
  @ApiOperation({
    summary: 'Dry-run preview of the Revel order for one event',
    description:
      'Fetches the event from TripleSeat and runs eligibility (time gate included) and the order ' +
      'mapping exactly as the pipeline does, and returns the order that would be written: items, ' +
      'prices, unmatched items, discount, surcharge and totals (decimal strings). Writes nothing: ' +
      'no ledger change, no Revel write (the product catalogue is read). A held event shows the ' +
      'order its day will bring. `wouldWrite` is false with `reasonIfNot` when the event is ' +
      'skipped or held, has no matching item, already has its order (INJECTED, DRIFTED, ' +
      'ALREADY_EXISTS), or the connector is off (CONNECTOR_DISABLED) or in DRY_RUN.',
  })
  @ApiResponse({
    status: 200,
    description: 'The order that would be written.',
    type: PreviewResponse,
  })
  @ApiResponse({ status: 404, description: 'TripleSeat has no such event.', type: ErrorResponse })
  async preview(@Param() params: EventIdParamDto): Promise<PreviewResponse> {
    return this.previews.preview(params.id);
  }

  @Post(':id/resync')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rewrite a drifted order so that it matches its event again',
    description:
      'Only for an order this service wrote (state DRIFTED or INJECTED) that is still open in ' +
      'Revel. Re-fetches the event, rebuilds the order and rewrites the Revel order in place: ' +
      'changed items are updated, removed ones deleted, new ones added, then the totals, ' +
      'discount and payment, so that the order equals the invoice to the cent. Never creates a ' +
      'second order. The ledger goes back to INJECTED ("resynced on request").',
  })
  @ApiResponse({ status: 200, description: 'The order was rewritten.', type: ResyncResponse })
  @ApiResponse({
    status: 404,
    description: 'The event is not in the ledger, or TripleSeat has no such event.',
    type: ErrorResponse,
  })
  @ApiResponse({
    status: 409,
    description:
      'Nothing was changed: the order is closed or deleted in Revel (adjust it at the POS), the ' +
      'event is not ours or no longer eligible, another resync is running, or the connector is ' +
      'off / in DRY_RUN.',
    type: ErrorResponse,
  })
  async resync(@Param() params: EventIdParamDto): Promise<ResyncResponse> {
    return this.resyncs.resync(params.id);
  }
}

import { Controller, Get, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ApiTokenGuard } from '../common/api-token.guard';
import { ErrorResponse } from '../common/error.response';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { API_TOKEN_SECURITY } from '../openapi.constants';
import { DoctorReportResponse } from './doctor.response';
import { DoctorService } from './doctor.service';
import type { DoctorReport } from './doctor.types';

@ApiTags('operations')
@ApiBearerAuth(API_TOKEN_SECURITY)
@ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token.', type: ErrorResponse })
@ApiTooManyRequestsResponse({
  description: 'More than API_RATE_LIMIT_PER_MINUTE requests from one address.',
  type: ErrorResponse,
})
@Controller('api/doctor')
@UseGuards(ThrottlerGuard, ApiTokenGuard)
@SkipThrottle({ [THROTTLE_WEBHOOK]: true })
export class DoctorController {
  constructor(private readonly doctor: DoctorService) {}

  @Get()
  @ApiOperation({
    summary: 'Go-live checks of the configured credentials and mappings',
    description:
      'Makes only read calls with the configured credentials, one row per check: the TripleSeat ' +
      'token; one events page (`GET /v1/events.json?page=1`, which catches "Token resource owner ' +
      'not found"); one recent event fetched with show_financial=true, with the document and ' +
      'lines the order would use; for each mapped location its Revel establishment, its number ' +
      'of active products and the recent line items that would not resolve; and the Revel ' +
      'local_id lookup that guards against duplicates. A check whose input failed is reported ' +
      'as `skipped: <check> failed`. Takes a few seconds (up to ~10 events are read per ' +
      'location).',
  })
  @ApiOkResponse({
    description:
      'The checks ran: always 200, also when some failed. The checks are the result: `ok` is ' +
      'false when any row failed, and each failed row says why (`detail`) and what to do ' +
      '(`fix`). A monitor should assert `ok: true` in the body, not the status; upstream ' +
      'failures are rows here, never a 5xx.',
    type: DoctorReportResponse,
  })
  run(): Promise<DoctorReport> {
    return this.doctor.run();
  }
}

import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorResponse } from '../common/error.response';
import { METRICS_SECURITY } from '../openapi.constants';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
@UseGuards(MetricsTokenGuard)
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Prometheus text exposition format. Open unless METRICS_TOKEN is set; then it requires ' +
      '`Authorization: Bearer <METRICS_TOKEN>`.',
  })
  // Either no credentials (METRICS_TOKEN unset) or the metrics bearer token.
  @ApiSecurity({})
  @ApiSecurity(METRICS_SECURITY)
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Every metric, in the Prometheus text format (version 0.0.4).',
    content: {
      'text/plain': {
        schema: {
          type: 'string',
          example:
            '# HELP revel_orders_created_total Revel orders created by this service\n' +
            '# TYPE revel_orders_created_total counter\nrevel_orders_created_total 3\n',
        },
      },
    },
  })
  @ApiUnauthorizedResponse({
    description: 'METRICS_TOKEN is set and the bearer token is missing or wrong.',
    type: ErrorResponse,
  })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', this.metrics.contentType);
    return this.metrics.render();
  }
}

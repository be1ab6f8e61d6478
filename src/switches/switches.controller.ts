import { Body, Get, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import { ApiController } from '../common/api-controller.decorator';
import { ErrorResponse } from '../common/error.response';
import { SwitchFlipRow } from '../database/database.types';
import { PutSwitchDto, SwitchesResponse, SwitchFlipResponse } from './switches.dto';
import { isSwitchName, SWITCH_NAMES } from './switches.repository';
import { SwitchesService, SwitchState } from './switches.service';

/** How many flips the API lists. */
const FLIPS_LISTED = 50;
/** Who flips through this API, in `switch_flips`. */
const API_ACTOR = 'api';

function flipView(row: SwitchFlipRow): SwitchFlipResponse {
  return {
    id: row.id,
    name: row.name,
    value: row.value !== 0,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    correlationId: row.correlation_id,
  };
}

/** The kill switch and dry run, shared by every replica (the operator console flips them too). */
@ApiController('api/switches', 'switches', 'The body is invalid (the message names the field).')
export class SwitchesController {
  constructor(private readonly switches: SwitchesService) {}

  @Get()
  @ApiOperation({
    summary: 'The kill switch and dry run, and their latest flips',
    description:
      'The values this replica applies now (another replica’s flip shows within about 2 s). ' +
      '`enableConnector` false: events are recorded, nothing is written to Revel. `dryRun` ' +
      'true: orders are computed and recorded as DRY_RUN, nothing is written.',
  })
  @ApiResponse({ status: 200, description: 'The switches and flips.', type: SwitchesResponse })
  async list(): Promise<SwitchesResponse> {
    return this.view(this.switches.states());
  }

  @Put(':name')
  @ApiOperation({
    summary: 'Flip the kill switch or dry run',
    description:
      'Stores the value for every replica (it applies here at once, elsewhere within about ' +
      '2 s, without a restart) and records the flip. The environment variable is only the ' +
      'value before the first flip. Turning the connector off stops new Revel writes; an order ' +
      'being written may finish.',
  })
  @ApiParam({ name: 'name', enum: SWITCH_NAMES })
  @ApiResponse({ status: 200, description: 'The switches and flips.', type: SwitchesResponse })
  @ApiResponse({ status: 404, description: 'There is no such switch.', type: ErrorResponse })
  async flip(@Param('name') name: string, @Body() body: PutSwitchDto): Promise<SwitchesResponse> {
    if (!isSwitchName(name)) {
      throw new NotFoundException({
        error: 'Not Found',
        message: `there is no switch ${JSON.stringify(name)}; the switches are ${SWITCH_NAMES.join(' and ')}`,
      });
    }
    return this.view(await this.switches.flip(name, body.value, API_ACTOR));
  }

  private async view(states: SwitchState[]): Promise<SwitchesResponse> {
    const flips = await this.switches.recentFlips(FLIPS_LISTED);
    return {
      switches: states.map((s) => ({
        ...s,
        updatedAt: s.updatedAt ? s.updatedAt.toISOString() : null,
      })),
      flips: flips.map(flipView),
    };
  }
}

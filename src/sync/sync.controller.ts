import {
  applyDecorators,
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import type { Response } from 'express';
import { ApiTokenGuard } from '../common/api-token.guard';
import { ErrorResponse } from '../common/error.response';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { syncConfig } from '../config/configuration';
import { LedgerRepository } from '../database/ledger.repository';
import { API_TOKEN_SECURITY } from '../openapi.constants';
import { EventListQueryDto, EventListResponse } from './event-list.dto';
import { EventIdParamDto, RunIdParamDto, RunsQueryDto, SyncQueryDto } from './sync.dto';
import { parseDriftRecord } from './drift';
import { SyncService } from './sync.service';
import { parseUnmatched } from './unmatched';
import {
  EventDetailResponse,
  RunsResponse,
  SyncReportResponse,
  SyncRunResponse,
} from './sync.response';
import { SyncReport, SyncRunView } from './sync.types';

const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});

const parseJson = (text: string | null): unknown => (text ? (JSON.parse(text) as unknown) : null);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const runPath = (id: number) => `/api/sync/runs/${id}`;

const SYNC_DESCRIPTION =
  'With `event_id`: fetches that event from TripleSeat and processes it now, and answers when it ' +
  'is done (`200`, `mode: single`). Without: starts a bulk run over every event of the last ' +
  '`hours_back` hours (default RECONCILE_LOOKBACK_HOURS) and answers `202` at once with the run ' +
  '(`runId`) and `Location: /api/sync/runs/<runId>`, where its progress and then its final ' +
  'summary appear. With `wait=<seconds>` (≤ 25) a bulk sync answers `200` with the finished run ' +
  'when it finishes within that time, else `202` as without it. The summary counts `created` ' +
  '(orders this run wrote) apart from `alreadySynced` (orders that existed before it). With ' +
  '`event_id` and `allow_unmatched=true`, an event held for lines with no Revel product ' +
  '(UNMATCHED_ITEMS) is written now with what matches; its notes name the lines left out.';

/** The documentation of the sync endpoint, shared by its POST and its GET. */
function SyncEndpointDocs(summary: string, extra = ''): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary, description: SYNC_DESCRIPTION + extra }),
    ApiExtraModels(SyncReportResponse, SyncRunResponse),
    ApiOkResponse({
      description:
        'With `event_id`: what happened to the event (`SyncReport`, `mode: single`). A bulk ' +
        'sync with `wait` that finished in time: the finished run (`SyncRun`, `mode: bulk`: its ' +
        '`summary` and `events` have the same shape).',
      schema: {
        oneOf: [
          { $ref: getSchemaPath(SyncReportResponse) },
          { $ref: getSchemaPath(SyncRunResponse) },
        ],
      },
    }),
    ApiAcceptedResponse({
      description:
        'Bulk sync started (or still running after `wait`): the run as it is now. Follow ' +
        '`Location` (`GET /api/sync/runs/<runId>`) until `status` is no longer `running`.',
      type: SyncRunResponse,
      headers: {
        Location: {
          description: 'Where the run can be watched: `/api/sync/runs/<runId>`.',
          schema: { type: 'string', example: '/api/sync/runs/12' },
        },
        'Retry-After': {
          description: 'Seconds before it is worth looking again.',
          schema: { type: 'integer', example: 1 },
        },
      },
    }),
    ApiInternalServerErrorResponse({
      description: 'The ledger could not be read or written.',
      type: ErrorResponse,
    }),
    ApiServiceUnavailableResponse({
      description: 'Bulk sync only: this replica is shutting down; ask another one.',
      type: ErrorResponse,
    }),
  );
}

@ApiTags('sync')
@ApiBearerAuth(API_TOKEN_SECURITY)
@ApiUnauthorizedResponse({ description: 'Missing or wrong bearer token.', type: ErrorResponse })
@ApiBadRequestResponse({ description: 'A parameter is invalid.', type: ErrorResponse })
@ApiTooManyRequestsResponse({
  description: 'More than API_RATE_LIMIT_PER_MINUTE requests from one address.',
  type: ErrorResponse,
})
@Controller('api/sync')
@UseGuards(ThrottlerGuard, ApiTokenGuard)
@SkipThrottle({ [THROTTLE_WEBHOOK]: true })
@UsePipes(validation)
export class SyncController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly sync: SyncService,
    private readonly ledger: LedgerRepository,
  ) {}

  @Post('tripleseat')
  @HttpCode(200)
  @SyncEndpointDocs('Sync one event now, or start a bulk sync of every recent event')
  async syncPost(
    @Query() query: SyncQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncReport | SyncRunView> {
    return this.run(query, res);
  }

  /** Kept for the old runbooks; does exactly what the POST does. */
  @Get('tripleseat')
  @SyncEndpointDocs(
    'Same as the POST (kept for old runbooks)',
    ' Kept for the old runbooks; prefer the POST.',
  )
  async syncGet(
    @Query() query: SyncQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SyncReport | SyncRunView> {
    return this.run(query, res);
  }

  private async run(query: SyncQueryDto, res: Response): Promise<SyncReport | SyncRunView> {
    if (query.event_id)
      return this.sync.syncOne(query.event_id, { allowUnmatched: query.allow_unmatched === true });
    if (query.allow_unmatched !== undefined) {
      throw new BadRequestException({
        error: 'Bad Request',
        field: 'allow_unmatched',
        message: 'allow_unmatched applies to one event: give event_id with it',
      });
    }
    const hoursBack = query.hours_back ?? this.config.reconcileLookbackHours;
    const { run, finished } = await this.sync.startBulk(hoursBack);
    res.setHeader('Location', runPath(Number(run.id)));
    if (query.wait && (await finishedWithin(finished, query.wait * 1000))) {
      const view = await this.sync.runView(Number(run.id));
      if (view) return view;
    }
    res.status(202);
    res.setHeader('Retry-After', '1');
    return this.sync.viewOf((await this.ledger.getRun(Number(run.id))) ?? run);
  }

  @Get('events')
  @ApiOperation({
    summary: 'List ledger events in one state',
    description:
      'Most recently changed first; e.g. `state=FAILED` for the events that need an operator.',
  })
  @ApiOkResponse({ description: 'The events.', type: EventListResponse })
  async list(@Query() query: EventListQueryDto): Promise<EventListResponse> {
    const rows = await this.ledger.listByState(query.state, query.limit ?? 50);
    return {
      events: rows.map((r) => ({
        eventId: r.event_id,
        state: r.state,
        reason: r.reason,
        detail: r.detail,
        attempts: r.attempts,
        revelOrderId: r.revel_order_id,
        eventDate: r.event_date,
        updatedAt: new Date(r.updated_at).toISOString(),
        unmatched: parseUnmatched(r.unmatched),
      })),
    };
  }

  @Get('events/:id')
  @ApiOperation({
    summary: 'One event in the ledger',
    description: 'State, reason, attempts, Revel order, write progress and history of one event.',
  })
  @ApiOkResponse({ type: EventDetailResponse })
  @ApiNotFoundResponse({ description: 'The event is not in the ledger.', type: ErrorResponse })
  async event(@Param() params: EventIdParamDto): Promise<EventDetailResponse> {
    const row = await this.ledger.get(params.id);
    if (!row)
      throw new NotFoundException({
        error: 'Not Found',
        message: `event ${params.id} is not in the ledger`,
      });
    const history = await this.ledger.history(params.id);
    return {
      eventId: row.event_id,
      state: row.state,
      reason: row.reason,
      detail: row.detail,
      attempts: row.attempts,
      // Only a waiting event has a next attempt; a settled row's timestamp would mislead.
      nextAttemptAt:
        row.state === 'PENDING' || row.state === 'HELD' ? iso(row.next_attempt_at) : null,
      revelOrderId: row.revel_order_id,
      establishmentId: row.establishment_id,
      locationKey: row.location_key,
      eventDate: row.event_date,
      progress: parseJson(row.progress),
      order: parseJson(row.order_summary),
      unmatched: parseUnmatched(row.unmatched),
      allowUnmatched: row.allow_unmatched === 1,
      drift: parseDriftRecord(row.drift),
      driftCheckAt: iso(row.drift_check_at),
      contentHash: row.content_hash,
      sourceUpdatedAt: row.source_updated_at,
      leaseOwner: row.lease_owner,
      leaseExpiresAt: iso(row.lease_expires_at),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      history: history.map((h) => ({
        at: iso(h.at),
        state: h.state,
        reason: h.reason,
        detail: h.detail,
        correlationId: h.correlation_id,
      })),
    };
  }

  @Get('runs')
  @ApiOperation({ summary: 'Recent reconciliation runs (scheduled and manual), newest first' })
  @ApiOkResponse({ type: RunsResponse })
  async runs(@Query() query: RunsQueryDto): Promise<RunsResponse> {
    const runs = await this.ledger.recentRuns(query.limit ?? 20);
    return {
      runs: runs.map((r) => {
        const view = this.sync.viewOf(r);
        return {
          id: Number(r.id),
          kind: r.kind,
          slot: r.slot,
          status: view.status,
          owner: r.owner,
          hoursBack: r.hours_back,
          startedAt: iso(r.started_at),
          finishedAt: iso(r.finished_at),
          summary: view.summary,
          progress: view.progress,
          error: view.error,
          correlationId: r.correlation_id,
        };
      }),
    };
  }

  @Get('runs/:id')
  @ApiOperation({
    summary: 'One run: its progress while it runs, then its final summary and events',
    description:
      'The `Location` of a bulk sync’s `202`. Poll it until `status` is no longer `running`. ' +
      'Any replica answers: the run lives in the database.',
  })
  @ApiOkResponse({ type: SyncRunResponse })
  @ApiNotFoundResponse({ description: 'No run has this id.', type: ErrorResponse })
  async runDetail(@Param() params: RunIdParamDto): Promise<SyncRunView> {
    const view = await this.sync.runView(params.id);
    if (!view)
      throw new NotFoundException({
        error: 'Not Found',
        message: `run ${params.id} does not exist`,
      });
    return view;
  }
}

/** Whether `finished` settles within `ms`. */
async function finishedWithin(finished: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([finished.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

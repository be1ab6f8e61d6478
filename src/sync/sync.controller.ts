import {
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
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
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { LedgerRepository } from '../database/ledger.repository';
import { API_TOKEN_SECURITY } from '../openapi.constants';
import { EventListQueryDto, EventListResponse } from './event-list.dto';
import { EventIdParamDto, RunsQueryDto, SyncQueryDto } from './sync.dto';
import { parseDriftRecord } from './drift';
import { SyncService } from './sync.service';
import { EventDetailResponse, RunsResponse, SyncReportResponse } from './sync.response';
import { RunProgress, SyncReport } from './sync.types';

const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});

const parseJson = (text: string | null): unknown => (text ? (JSON.parse(text) as unknown) : null);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

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
  @ApiOperation({
    summary: 'Sync one event, or every recent event, now',
    description:
      'With `event_id`: fetches that event from TripleSeat and processes it now (`mode: single`). ' +
      'Without: processes every event of the last `hours_back` hours (default ' +
      'RECONCILE_LOOKBACK_HOURS) and records a manual reconciliation run (`mode: bulk`).',
  })
  @ApiOkResponse({ description: 'What happened to each event.', type: SyncReportResponse })
  @ApiInternalServerErrorResponse({
    description: 'Bulk sync only: TripleSeat could not be listed (the run is recorded as failed).',
    type: ErrorResponse,
  })
  async syncPost(@Query() query: SyncQueryDto): Promise<SyncReport> {
    return this.run(query);
  }

  /** Kept for the old runbooks; does exactly what the POST does. */
  @Get('tripleseat')
  @ApiOperation({
    summary: 'Same as the POST (kept for old runbooks)',
    description:
      'With `event_id`: fetches that event from TripleSeat and processes it now (`mode: single`). ' +
      'Without: processes every event of the last `hours_back` hours (default ' +
      'RECONCILE_LOOKBACK_HOURS) and records a manual reconciliation run (`mode: bulk`). ' +
      'Kept for the old runbooks; prefer the POST.',
  })
  @ApiOkResponse({ description: 'What happened to each event.', type: SyncReportResponse })
  @ApiInternalServerErrorResponse({
    description: 'Bulk sync only: TripleSeat could not be listed (the run is recorded as failed).',
    type: ErrorResponse,
  })
  async syncGet(@Query() query: SyncQueryDto): Promise<SyncReport> {
    return this.run(query);
  }

  private async run(query: SyncQueryDto): Promise<SyncReport> {
    if (query.event_id) return this.sync.syncOne(query.event_id);
    const hoursBack = query.hours_back ?? this.config.reconcileLookbackHours;
    const runId = await this.ledger.startManualRun(
      'api',
      hoursBack,
      currentCorrelationId() ?? 'sync',
    );
    try {
      const report = await this.sync.syncRecent(hoursBack, this.progressWriter(runId));
      await this.ledger.finishRun(runId, 'succeeded', report.summary);
      return report;
    } catch (error) {
      await this.ledger.finishRun(runId, 'failed', null, (error as Error).message);
      throw error;
    }
  }

  /** Writes a run's progress at most twice a second, so watching it costs the database little. */
  private progressWriter(runId: number): (progress: RunProgress) => void {
    let last = 0;
    return (progress) => {
      const now = Date.now();
      if (now - last < 500 && progress.done < progress.total) return;
      last = now;
      void this.ledger.updateRunProgress(runId, progress).catch(() => undefined);
    };
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
      nextAttemptAt: iso(row.next_attempt_at),
      revelOrderId: row.revel_order_id,
      establishmentId: row.establishment_id,
      locationKey: row.location_key,
      eventDate: row.event_date,
      progress: parseJson(row.progress),
      order: parseJson(row.order_summary),
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
      runs: runs.map((r) => ({
        id: r.id,
        kind: r.kind,
        slot: r.slot,
        status: r.status,
        owner: r.owner,
        hoursBack: r.hours_back,
        startedAt: iso(r.started_at),
        finishedAt: iso(r.finished_at),
        summary: parseJson(r.summary),
        error: r.error,
        correlationId: r.correlation_id,
      })),
    };
  }
}

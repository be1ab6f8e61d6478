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
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ApiTokenGuard } from '../common/api-token.guard';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { currentCorrelationId } from '../common/correlation/correlation-id';
import { syncConfig } from '../config/configuration';
import { LedgerRepository } from '../database/ledger.repository';
import { EventIdParamDto, RunsQueryDto, SyncQueryDto } from './sync.dto';
import { SyncService } from './sync.service';
import { SyncReport } from './sync.types';

const validation = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
});

const parseJson = (text: string | null): unknown => (text ? (JSON.parse(text) as unknown) : null);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

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
  async syncPost(@Query() query: SyncQueryDto): Promise<SyncReport> {
    return this.run(query);
  }

  /** Kept for the old runbooks; does exactly what the POST does. */
  @Get('tripleseat')
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
      const report = await this.sync.syncRecent(hoursBack);
      await this.ledger.finishRun(runId, 'succeeded', report.summary);
      return report;
    } catch (error) {
      await this.ledger.finishRun(runId, 'failed', null, (error as Error).message);
      throw error;
    }
  }

  @Get('events/:id')
  async event(@Param() params: EventIdParamDto) {
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
  async runs(@Query() query: RunsQueryDto) {
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

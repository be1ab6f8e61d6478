import { Get, Header, Inject, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { syncConfig } from '../config/configuration';
import { LEDGER_STATES, LedgerState } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { DoctorService } from '../doctor/doctor.service';
import { parseOrderSummary } from '../sync/drift';
import { ReconciliationScheduler } from '../sync/reconciliation.scheduler';
import { ConsoleSession } from './console-auth.service';
import { BoardRow, ConsoleBoardRepository } from './console-board.repository';
import { CurrentSession } from './console.guard';
import { ConsolePages } from './console-pages.decorator';
import { noticeOf, optionalText, withNotice } from './console.forms';
import { ageText, ConsoleViews, dayLabel } from './console.views';
import { reasonInWords } from './reason-words';

const PAGE_SIZE = 50;
/**
 * "Run checks now" runs the go-live checks at most this often per replica; a press sooner shows
 * the latest run instead, so the button cannot spend the upstreams' rate limits.
 */
export const GO_LIVE_CHECKS_MIN_INTERVAL_MS = 60_000;

/** The today board and health at a glance. */
@ConsolePages()
export class ConsoleBoardController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly views: ConsoleViews,
    private readonly board: ConsoleBoardRepository,
    private readonly ledger: LedgerRepository,
    private readonly scheduler: ReconciliationScheduler,
    private readonly doctor: DoctorService,
    private readonly clock: Clock,
  ) {}

  // --- the board -----------------------------------------------------------------------------

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async boardPage(
    @CurrentSession() session: ConsoleSession,
    @Query() query: Record<string, unknown>,
  ): Promise<string> {
    const stateText = optionalText(query.state).toUpperCase();
    const state = (LEDGER_STATES as readonly string[]).includes(stateText)
      ? (stateText as LedgerState)
      : undefined;
    const locationKey = optionalText(query.location);
    const location = this.config.locations.has(locationKey) ? locationKey : undefined;
    const range = query.range === 'all' ? 'all' : 'week';
    const q = optionalText(query.q);
    const onlyAttention = query.attention === '1';
    const page = Math.max(1, Math.min(10_000, Number.parseInt(optionalText(query.page), 10) || 1));
    const now = this.clock.now().getTime();
    const windows =
      range === 'week'
        ? [...this.config.locations.values()].map((l) => {
            const today = siteDate(now, l.timezone);
            return {
              locationKey: l.key,
              from: today,
              to: siteDate(now + 7 * 86_400_000, l.timezone),
            };
          })
        : undefined;
    // Unmatched lines need someone from today on, at the site whose day began first.
    const since = [...this.config.locations.values()]
      .map((l) => siteDate(now, l.timezone))
      .sort()[0];
    const [result, attention] = await Promise.all([
      this.board.page({
        windows,
        state,
        location,
        search: q,
        attention: onlyAttention,
        attentionSince: since,
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      }),
      this.board.needingAttention(since),
    ]);
    const groups: {
      id: string;
      name: string;
      timezone?: string;
      rows: ReturnType<ConsoleBoardController['rowView']>[];
    }[] = [];
    for (const row of result.rows) {
      const key = row.location_key ?? '';
      let group = groups.find((g) => g.id === (key || 'none'));
      if (!group) {
        const loc = this.config.locations.get(key);
        group = {
          id: key || 'none',
          name: loc?.name ?? (key ? `Location ${key}` : 'No location yet'),
          timezone: loc?.timezone,
          rows: [],
        };
        groups.push(group);
      }
      group.rows.push(this.rowView(row));
    }
    const count = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
    const link = (p: number) => {
      const params = new URLSearchParams({
        range,
        ...(state ? { state } : {}),
        ...(location ? { location } : {}),
        ...(q ? { q } : {}),
        ...(onlyAttention ? { attention: '1' } : {}),
        page: String(p),
      });
      return `/console?${params.toString()}`;
    };
    return this.views.render(
      'board',
      { title: 'Board', session, nav: 'board' },
      {
        filters: { state, location, range, q, attention: onlyAttention },
        states: LEDGER_STATES.filter((s) => (result.byState[s] ?? 0) > 0 || s === state).map(
          (s) => ({
            state: s,
            count: result.byState[s] ?? 0,
          }),
        ),
        total: Object.values(result.byState).reduce((a, b) => a + (b ?? 0), 0),
        locations: [...this.config.locations.values()].map((l) => ({ key: l.key, name: l.name })),
        groups,
        attention,
        notice: noticeOf(query.notice),
        problem: '',
        pages: {
          page,
          count,
          total: result.total,
          prev: page > 1 ? link(page - 1) : '',
          next: page < count ? link(page + 1) : '',
        },
      },
    );
  }

  private rowView(row: BoardRow) {
    const summary = parseOrderSummary(row.order_summary);
    return {
      eventId: row.event_id,
      name: row.event_name ?? '',
      date: dayLabel(row.event_date),
      state: row.state,
      reason: row.reason ?? '',
      why: reasonInWords(row.reason),
      heldUntil: row.state === 'HELD' ? this.views.time(row.next_attempt_at) : '',
      revelOrderId: row.revel_order_id,
      total: summary?.finalTotal ?? '',
      unmatched: (summary?.unmatched ?? []).map((u) => `${u.name} × ${u.quantity}`),
    };
  }

  // --- health --------------------------------------------------------------------------------

  @Get('health')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async healthPage(
    @CurrentSession() session: ConsoleSession,
    @Query('notice') notice: unknown,
  ): Promise<string> {
    const now = this.clock.now().getTime();
    // A page view never calls an upstream: it shows the latest go-live run, with its age.
    const latest = this.doctor.latest();
    const [last, lastSuccess, backlog, failures] = await Promise.all([
      this.ledger.lastRun(),
      this.ledger.lastRun('succeeded'),
      this.board.backlog(now),
      this.board.failedSince(now - 86_400_000, 20),
    ]);
    const runText = (run: typeof last) =>
      run
        ? `${run.kind} run #${run.id}, ${run.status}, started ${this.views.time(Number(run.started_at))}${run.finished_at ? `, finished ${this.views.time(Number(run.finished_at))}` : ''}${summaryText(run.summary)}${run.error ? ` — ${run.error}` : ''}`
        : 'none yet';
    const interval = this.scheduler.intervalMs;
    return this.views.render(
      'health',
      { title: 'Health', session, nav: 'health' },
      {
        reconciliation: {
          enabled: this.config.reconcileEnabled,
          intervalMinutes: this.config.reconcileIntervalMinutes,
          last: runText(last),
          lastSuccess: runText(lastSuccess),
          next: this.config.reconcileEnabled
            ? this.views.time((this.scheduler.slotAt(new Date(now)) + 1) * interval)
            : 'none (off)',
        },
        backlog,
        failures: {
          total: failures.total,
          rows: failures.rows.map((r) => ({
            eventId: r.event_id,
            name: r.event_name ?? '',
            why: reasonInWords(r.reason),
            reason: r.reason ?? '',
          })),
        },
        doctor: latest
          ? {
              checks: latest.report.checks,
              ranAt: this.views.time(latest.at.getTime()),
              age: ageText(latest.at.getTime(), now),
            }
          : undefined,
        notice: noticeOf(notice),
      },
    );
  }

  /** "Run checks now": runs the go-live checks unless they ran within the last minute. */
  @Post('health/checks')
  async runChecks(@Res() res: Response): Promise<void> {
    const { ran } = await this.doctor.runUnlessRecent(GO_LIVE_CHECKS_MIN_INTERVAL_MS);
    res.redirect(303, withNotice('/console/health#h-doctor', ran ? 'checked' : 'checked-recently'));
  }
}

/** Today's date (YYYY-MM-DD) at a site. */
function siteDate(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

function summaryText(summary: string | null): string {
  if (!summary) return '';
  try {
    const s = JSON.parse(summary) as { summary?: Record<string, number> } & Record<string, unknown>;
    const counts = (s.summary ?? s) as Record<string, unknown>;
    const parts = ['queried', 'created', 'alreadySynced', 'skipped', 'failed']
      .filter((k) => typeof counts[k] === 'number')
      .map((k) => `${k} ${String(counts[k])}`);
    return parts.length > 0 ? ` (${parts.join(', ')})` : '';
  } catch {
    return '';
  }
}

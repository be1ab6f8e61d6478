import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Clock } from '../common/clock';
import { THROTTLE_WEBHOOK } from '../common/throttling';
import { syncConfig } from '../config/configuration';
import type { Location } from '../config/locations';
import {
  LEDGER_STATES,
  LedgerState,
  OUR_ORDER_STATES,
  SwitchName,
} from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { DoctorService } from '../doctor/doctor.service';
import { MappingSource, MappingsRepository } from '../mappings/mappings.repository';
import { normalizeName } from '../orders/product-matcher';
import { RevelProductCatalog } from '../revel/product-catalog';
import type { RevelProduct } from '../revel/revel.types';
import { parseDriftRecord, parseOrderSummary } from '../sync/drift';
import { PreviewService } from '../sync/preview.service';
import { ReconciliationScheduler } from '../sync/reconciliation.scheduler';
import { ResyncService } from '../sync/resync.service';
import { SyncService } from '../sync/sync.service';
import { SwitchesService } from '../switches/switches.service';
import { ConsoleAuthService, ConsoleSession, SESSION_COOKIE } from './console-auth.service';
import { BoardRow, ConsoleBoardRepository } from './console-board.repository';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleGuard, CurrentSession, PublicPage } from './console.guard';
import { ConsoleViews, PageFrame, dayLabel, siteTime } from './console.views';
import { reasonInWords } from './reason-words';

const PAGE_SIZE = 50;
const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_SEARCH = 100;
const MAX_RESULTS = 25;

/** What a successful action says on the page it returns to (Post/Redirect/Get). */
const NOTICES: Record<string, string> = {
  synced: 'Synced: the event was processed now.',
  retried: 'Retried: the event was processed again.',
  resynced: 'The Revel order was rewritten to match the event.',
  mapped: 'Mapping saved. It applies from the next attempt on; press Retry to use it now.',
  removed: 'Mapping removed.',
  flipped: 'Switch changed. Every replica uses the new value within a few seconds.',
};

const SWITCH_TEXT: Record<SwitchName, { title: string; on: string; off: string; explain: string }> =
  {
    enableConnector: {
      title: 'Connector',
      on: 'Turn connector on',
      off: 'Turn connector off',
      explain:
        'The kill switch. Off: events are still recorded, but nothing is sent to Revel until it is turned on again.',
    },
    dryRun: {
      title: 'Dry run',
      on: 'Turn dry run on',
      off: 'Turn dry run off',
      explain:
        'On: each order is worked out and recorded as DRY_RUN, and nothing is sent to Revel. Useful for a first day or after a menu change.',
    },
  };

function text(value: unknown, field: string, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new BadRequestException({
      error: 'Bad Request',
      message: `${field}: is required (at most ${max} characters)`,
    });
  }
  return value.trim();
}

function optionalText(value: unknown, max = MAX_SEARCH): string {
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
}

function eventIdOf(value: string): string {
  if (!EVENT_ID.test(value))
    throw new NotFoundException({ error: 'Not Found', message: `no event ${value}` });
  return value;
}

/** A path inside the console to go back to; anything else goes to the board. */
function consolePath(value: unknown): string {
  return typeof value === 'string' &&
    /^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(value) &&
    !value.startsWith('//')
    ? value
    : '/console';
}

function withNotice(path: string, notice: string): string {
  const [base, hash] = path.split('#');
  return `${base}${base.includes('?') ? '&' : '?'}notice=${notice}${hash ? `#${hash}` : ''}`;
}

/**
 * The operator console (issue 11): server-rendered pages for the people who run the restaurants.
 * Reads come from the ledger; actions call the same services as the API (sync, preview, resync,
 * mappings, switches), so a page never does what the API would not.
 */
@ApiExcludeController()
@Controller('console')
@UseGuards(ThrottlerGuard, ConsoleGuard)
@SkipThrottle({ [THROTTLE_WEBHOOK]: true })
@UseFilters(ConsoleExceptionFilter)
export class ConsoleController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly views: ConsoleViews,
    private readonly auth: ConsoleAuthService,
    private readonly board: ConsoleBoardRepository,
    private readonly ledger: LedgerRepository,
    private readonly sync: SyncService,
    private readonly previews: PreviewService,
    private readonly resyncs: ResyncService,
    private readonly mappings: MappingsRepository,
    private readonly catalog: RevelProductCatalog,
    private readonly switches: SwitchesService,
    private readonly scheduler: ReconciliationScheduler,
    private readonly doctor: DoctorService,
    private readonly clock: Clock,
  ) {}

  // --- sign-in -------------------------------------------------------------------------------

  @Get('sign-in')
  @PublicPage()
  @Header('Content-Type', 'text/html; charset=utf-8')
  signInPage(@Query('next') next: unknown): string {
    return this.views.render(
      'sign-in',
      { title: 'Sign in' },
      { next: consolePath(next), error: '' },
    );
  }

  @Post('sign-in')
  @PublicPage()
  @HttpCode(303)
  async signIn(@Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const form = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const next = consolePath(form.next);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const result = await this.auth.signIn(token, client);
    if (result.kind !== 'signed-in') {
      const throttled = result.kind === 'throttled';
      if (throttled) res.setHeader('Retry-After', String(result.retryAfterSeconds));
      res
        .status(throttled ? 429 : 401)
        .type('html')
        .send(
          this.views.render(
            'sign-in',
            { title: 'Sign in' },
            {
              next,
              error: throttled
                ? `Too many wrong tokens from this address. Try again in ${Math.ceil(result.retryAfterSeconds / 60)} minutes.`
                : 'That token is not valid.',
            },
          ),
        );
      return;
    }
    res.cookie(SESSION_COOKIE, result.cookie, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/console',
      expires: result.session.expiresAt,
    });
    res.redirect(303, next);
  }

  @Post('sign-out')
  async signOut(
    @CurrentSession() session: ConsoleSession,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.auth.signOut(session);
    res.clearCookie(SESSION_COOKIE, {
      path: '/console',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
    });
    res.redirect(303, '/console/sign-in');
  }

  @Get('assets/:name')
  @PublicPage()
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.views.asset(name);
    if (!asset) throw new NotFoundException({ error: 'Not Found', message: `no asset ${name}` });
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(asset.type).send(asset.body);
  }

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
    const [result, attention] = await Promise.all([
      this.board.page({
        windows,
        state,
        location,
        search: q,
        attention: onlyAttention,
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      }),
      this.board.needingAttention(),
    ]);
    const groups: {
      id: string;
      name: string;
      timezone?: string;
      rows: ReturnType<ConsoleController['rowView']>[];
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
    return this.views.render('board', this.frame('Board', session, 'board'), {
      filters: { state, location, range, q, attention: onlyAttention },
      states: LEDGER_STATES.filter((s) => (result.byState[s] ?? 0) > 0 || s === state).map((s) => ({
        state: s,
        count: result.byState[s] ?? 0,
      })),
      total: Object.values(result.byState).reduce((a, b) => a + (b ?? 0), 0),
      locations: [...this.config.locations.values()].map((l) => ({ key: l.key, name: l.name })),
      groups,
      attention,
      notice: NOTICES[optionalText(query.notice)] ?? '',
      problem: '',
      pages: {
        page,
        count,
        total: result.total,
        prev: page > 1 ? link(page - 1) : '',
        next: page < count ? link(page + 1) : '',
      },
    });
  }

  private rowView(row: BoardRow) {
    const loc = row.location_key ? this.config.locations.get(row.location_key) : undefined;
    const summary = parseOrderSummary(row.order_summary);
    return {
      eventId: row.event_id,
      name: row.event_name ?? '',
      date: dayLabel(row.event_date),
      state: row.state,
      reason: row.reason ?? '',
      why: reasonInWords(row.reason),
      heldUntil: row.state === 'HELD' ? siteTime(row.next_attempt_at, loc?.timezone) : '',
      revelOrderId: row.revel_order_id,
      total: summary?.finalTotal ?? '',
      unmatched: (summary?.unmatched ?? []).map((u) => `${u.name} × ${u.quantity}`),
    };
  }

  // --- one event -----------------------------------------------------------------------------

  @Get('events/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async eventPage(
    @CurrentSession() session: ConsoleSession,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<string> {
    return this.renderEvent(session, eventIdOf(id), {
      notice: NOTICES[optionalText(query.notice)] ?? '',
      line: optionalText(query.line),
      q: optionalText(query.q),
    });
  }

  private async renderEvent(
    session: ConsoleSession,
    eventId: string,
    options: { notice?: string; problem?: string; line?: string; q?: string },
  ): Promise<string> {
    const row = await this.ledger.get(eventId);
    if (!row)
      throw new NotFoundException({
        error: 'Not Found',
        message: `Event ${eventId} is not in the ledger (it was never received or synced).`,
      });
    const history = await this.ledger.history(eventId);
    const loc = row.location_key ? this.config.locations.get(row.location_key) : undefined;
    const summary = parseOrderSummary(row.order_summary);
    const unmatched = await Promise.all(
      (summary?.unmatched ?? []).map(async (u, index) => {
        const searching =
          options.line === String(index) && options.q !== undefined && options.q !== '';
        return {
          ...u,
          index,
          q: searching ? options.q : '',
          results:
            searching && loc
              ? await this.productResults(session, eventId, loc, u, options.q ?? '')
              : '',
        };
      }),
    );
    const correlationIds = [
      ...new Set(
        [row.correlation_id, ...history.map((h) => h.correlation_id)].filter(
          (c): c is string => !!c,
        ),
      ),
    ];
    const orderWritten = OUR_ORDER_STATES.includes(row.state) || row.state === 'ALREADY_EXISTS';
    return this.views.render('event', this.frame(`Event ${eventId}`, session, 'board'), {
      event: {
        id: eventId,
        name: row.event_name ?? '',
        state: row.state,
        reason: row.reason ?? '',
        why: reasonInWords(row.reason),
        detail: row.detail ?? '',
        attempts: row.attempts,
        locationName: loc?.name ?? row.location_key ?? '',
        date: dayLabel(row.event_date),
        heldUntil: row.state === 'HELD' ? siteTime(row.next_attempt_at, loc?.timezone) : '',
        nextAttempt: row.state === 'PENDING' ? siteTime(row.next_attempt_at, loc?.timezone) : '',
        revelOrderId: row.revel_order_id,
        updatedAt: siteTime(row.updated_at, loc?.timezone),
      },
      canRetry: row.state === 'FAILED' || row.state === 'SKIPPED' || row.state === 'DRY_RUN',
      canResync: OUR_ORDER_STATES.includes(row.state),
      order: summary,
      orderCaption: orderWritten
        ? 'The order as written to Revel'
        : row.state === 'DRY_RUN'
          ? 'The order as worked out (dry run: not written)'
          : 'The order as last worked out (not written)',
      unmatched,
      drift: parseDriftRecord(row.drift)?.changes ?? null,
      history: [...history].reverse().map((h) => ({
        at: siteTime(h.at, loc?.timezone),
        state: h.state,
        reason: h.reason ?? '',
        why: reasonInWords(h.reason),
        detail: h.detail ?? '',
        correlationId: h.correlation_id ?? '',
      })),
      correlationIds,
      notice: options.notice ?? '',
      problem: options.problem ?? '',
    });
  }

  @Post('events/:id/sync')
  async syncNow(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const eventId = eventIdOf(id);
    await this.sync.syncOne(eventId);
    res.redirect(303, withNotice(`/console/events/${encodeURIComponent(eventId)}`, 'synced'));
  }

  @Post('events/:id/retry')
  async retry(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const eventId = eventIdOf(id);
    if (!(await this.ledger.get(eventId)))
      throw new NotFoundException({
        error: 'Not Found',
        message: `Event ${eventId} is not in the ledger.`,
      });
    // A manual sync re-arms a FAILED or SKIPPED event with a fresh attempt budget, then runs it.
    await this.sync.syncOne(eventId);
    res.redirect(303, withNotice(`/console/events/${encodeURIComponent(eventId)}`, 'retried'));
  }

  @Post('events/:id/resync')
  async resync(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const eventId = eventIdOf(id);
    await this.resyncs.resync(eventId);
    res.redirect(303, withNotice(`/console/events/${encodeURIComponent(eventId)}`, 'resynced'));
  }

  @Get('events/:id/preview')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async preview(
    @CurrentSession() session: ConsoleSession,
    @Param('id') id: string,
  ): Promise<string> {
    const eventId = eventIdOf(id);
    const preview = await this.previews.preview(eventId);
    const e = preview.eligibility;
    const eligibility =
      e.outcome === 'proceed'
        ? `eligible${e.location ? ` at ${e.location.name}` : ''}${e.eventDate ? `, ${dayLabel(e.eventDate)}` : ''}`
        : `${e.outcome === 'hold' ? 'held' : 'skipped'}: ${reasonInWords(e.reason ?? null)}${e.detail ? ` (${e.detail})` : ''}`;
    return this.views.render('preview', this.frame(`Preview of ${eventId}`, session, 'board'), {
      eventId,
      eligibility,
      wouldWrite: preview.wouldWrite,
      reasonIfNot: preview.reasonIfNot ?? '',
      whyNot: reasonInWords(preview.reasonIfNot ?? null),
      order: preview.order,
    });
  }

  // --- fixing an unmatched item --------------------------------------------------------------

  /** Active products of the event's establishment whose name contains the search (htmx fragment). */
  @Get('products')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async products(
    @CurrentSession() session: ConsoleSession,
    @Query() query: Record<string, unknown>,
  ): Promise<string> {
    const eventId = eventIdOf(optionalText(query.event));
    const row = await this.ledger.get(eventId);
    const loc = row?.location_key ? this.config.locations.get(row.location_key) : undefined;
    const item = parseOrderSummary(row?.order_summary ?? null)?.unmatched[
      Number(optionalText(query.line))
    ];
    if (!row || !loc || !item) {
      return this.views.partial('message', {
        message: 'That line is no longer unmatched; reload the page.',
      });
    }
    return this.productResults(session, eventId, loc, item, optionalText(query.q));
  }

  private async productResults(
    session: ConsoleSession,
    eventId: string,
    location: Location,
    item: { name: string; menuItemId?: string },
    q: string,
  ): Promise<string> {
    let products: RevelProduct[] = [];
    let problem = '';
    if (q !== '') {
      try {
        products = await this.catalog.products(location.revelEstablishmentId);
      } catch (error) {
        problem = `The Revel catalogue could not be read: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const needle = normalizeName(q);
    const found = products
      .filter(
        (p) => p.active !== false && p.deleted !== true && normalizeName(p.name).includes(needle),
      )
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, MAX_RESULTS);
    return this.views.partial('products', {
      q,
      problem,
      products: found.map((p) => ({
        id: p.id,
        name: p.name,
        price: p.price === null ? '' : String(p.price),
      })),
      csrf: session.csrfToken,
      location: location.key,
      line: item.name,
      menuItemId: item.menuItemId ?? '',
      returnTo: `/console/events/${encodeURIComponent(eventId)}#unmatched`,
    });
  }

  // --- mappings ------------------------------------------------------------------------------

  @Get('mappings')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async mappingsPage(
    @CurrentSession() session: ConsoleSession,
    @Query('notice') notice: unknown,
  ): Promise<string> {
    const rows = await this.mappings.list();
    const names = new Map<string, string>();
    for (const key of new Set(rows.map((r) => r.location_key))) {
      const loc = this.config.locations.get(key);
      if (!loc) continue;
      // The names are a convenience: the ids are shown whatever Revel answers.
      const products = await this.catalog.products(loc.revelEstablishmentId).catch(() => []);
      for (const p of products) names.set(`${key}:${p.id}`, p.name);
    }
    return this.views.render('mappings', this.frame('Mappings', session, 'mappings'), {
      mappings: rows.map((r) => ({
        location: r.location_key,
        locationName: this.config.locations.get(r.location_key)?.name ?? r.location_key,
        kind: r.kind,
        source: r.kind === 'menuItem' ? r.source_key : (r.display_name ?? r.source_key),
        productId: r.product_id,
        productName: names.get(`${r.location_key}:${r.product_id}`) ?? '',
        note: r.note,
        updatedAt: siteTime(r.updated_at, this.config.locations.get(r.location_key)?.timezone),
      })),
      notice: NOTICES[optionalText(notice)] ?? '',
      problem: '',
    });
  }

  @Post('mappings')
  async saveMapping(
    @CurrentSession() session: ConsoleSession,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    const source = this.mappingSource(
      body,
      body.kind === 'menuItem' ? body.menuItemId : body.displayName,
    );
    const productId = Number(text(body.productId, 'productId', 20));
    if (!Number.isSafeInteger(productId) || productId <= 0) {
      throw new BadRequestException({
        error: 'Bad Request',
        message: 'productId: must be a positive whole number',
      });
    }
    const location = this.config.locations.get(source.location);
    const products = await this.catalog.products(location!.revelEstablishmentId);
    const product = products.find(
      (p) => Number(p.id) === productId && p.active !== false && p.deleted !== true,
    );
    if (!product) {
      throw new BadRequestException({
        error: 'Bad Request',
        message: `productId: ${productId} is not an active product of ${location!.name}`,
      });
    }
    await this.mappings.upsert({
      ...source,
      productId,
      note: `mapped in the console by ${session.label}`,
    });
    res.redirect(
      303,
      withNotice(
        consolePath(body.returnTo === undefined ? '/console/mappings' : body.returnTo),
        'mapped',
      ),
    );
  }

  @Post('mappings/remove')
  async removeMapping(@Body() body: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const source = this.mappingSource(body, body.source);
    const removed = await this.mappings.remove(source);
    if (!removed)
      throw new NotFoundException({
        error: 'Not Found',
        message: 'That mapping does not exist (already removed?).',
      });
    res.redirect(303, withNotice('/console/mappings', 'removed'));
  }

  private mappingSource(body: Record<string, unknown>, key: unknown): MappingSource {
    const location = text(body.location, 'location', 64);
    if (!this.config.locations.has(location)) {
      throw new BadRequestException({
        error: 'Bad Request',
        message: `location: ${location} is not in the location map`,
      });
    }
    if (body.kind === 'menuItem')
      return { location, kind: 'menuItem', menuItemId: text(key, 'menuItemId', 64) };
    if (body.kind === 'displayName')
      return { location, kind: 'displayName', displayName: text(key, 'displayName') };
    throw new BadRequestException({
      error: 'Bad Request',
      message: 'kind: must be menuItem or displayName',
    });
  }

  // --- switches ------------------------------------------------------------------------------

  @Get('switches')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async switchesPage(
    @CurrentSession() session: ConsoleSession,
    @Query('notice') notice: unknown,
  ): Promise<string> {
    await this.switches.refresh().catch(() => undefined);
    const flips = await this.switches.recentFlips(50);
    return this.views.render('switches', this.frame('Switches', session, 'switches'), {
      cards: this.switches.states().map((s) => {
        const words = SWITCH_TEXT[s.name];
        return {
          name: s.name,
          title: words.title,
          valueText: s.value ? 'on' : 'off',
          explain: words.explain,
          sourceText:
            s.source === 'environment'
              ? 'Never flipped: the start-up value from the environment applies.'
              : `Set ${s.updatedAt ? siteTime(s.updatedAt.getTime()) : ''} by ${s.updatedBy ?? 'unknown'}.`,
          next: s.value ? 'false' : 'true',
          button: s.value ? words.off : words.on,
        };
      }),
      flips: flips.map((f) => ({
        at: siteTime(Number(f.at)),
        title: SWITCH_TEXT[f.name].title,
        value: Number(f.value) ? 'on' : 'off',
        actor: f.actor,
        correlationId: f.correlation_id ?? '',
      })),
      notice: NOTICES[optionalText(notice)] ?? '',
      problem: '',
    });
  }

  @Post('switches/:name')
  async flip(
    @CurrentSession() session: ConsoleSession,
    @Param('name') name: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    if (name !== 'enableConnector' && name !== 'dryRun') {
      throw new NotFoundException({ error: 'Not Found', message: `no switch ${name}` });
    }
    if (body.value !== 'true' && body.value !== 'false') {
      throw new BadRequestException({
        error: 'Bad Request',
        message: 'value: must be true or false',
      });
    }
    await this.switches.flip(name, body.value === 'true', session.label);
    res.redirect(303, withNotice('/console/switches', 'flipped'));
  }

  // --- health --------------------------------------------------------------------------------

  @Get('health')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async healthPage(@CurrentSession() session: ConsoleSession): Promise<string> {
    const now = this.clock.now().getTime();
    const [last, lastSuccess, backlog, failures, doctor] = await Promise.all([
      this.ledger.lastRun(),
      this.ledger.lastRun('succeeded'),
      this.board.backlog(now),
      this.board.failedSince(now - 86_400_000, 20),
      this.doctor.run(),
    ]);
    const runText = (run: typeof last) =>
      run
        ? `${run.kind} run #${run.id}, ${run.status}, started ${siteTime(Number(run.started_at))}${run.finished_at ? `, finished ${siteTime(Number(run.finished_at))}` : ''}${summaryText(run.summary)}${run.error ? ` — ${run.error}` : ''}`
        : 'none yet';
    const interval = this.scheduler.intervalMs;
    return this.views.render('health', this.frame('Health', session, 'health'), {
      reconciliation: {
        enabled: this.config.reconcileEnabled,
        intervalMinutes: this.config.reconcileIntervalMinutes,
        last: runText(last),
        lastSuccess: runText(lastSuccess),
        next: this.config.reconcileEnabled
          ? siteTime((this.scheduler.slotAt(new Date(now)) + 1) * interval)
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
      doctor,
    });
  }

  private frame(title: string, session: ConsoleSession, nav: PageFrame['nav']): PageFrame {
    return { title, session, switches: this.switches.states(), nav };
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

import { Get, Header, Inject, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Response } from 'express';
import { syncConfig } from '../config/configuration';
import type { Location } from '../config/locations';
import { OUR_ORDER_STATES } from '../database/database.types';
import { LedgerRepository } from '../database/ledger.repository';
import { normalizeName } from '../orders/product-matcher';
import { MappingsRepository } from '../mappings/mappings.repository';
import { RevelProductCatalog } from '../revel/product-catalog';
import type { RevelProduct } from '../revel/revel.types';
import { parseDriftRecord, parseOrderSummary } from '../sync/drift';
import { PreviewService } from '../sync/preview.service';
import { ResyncService } from '../sync/resync.service';
import { ReasonCode } from '../sync/reason-codes';
import { SyncService } from '../sync/sync.service';
import { parseUnmatched, toldNames } from '../sync/unmatched';
import { ConsoleSession } from './console-auth.service';
import { CurrentSession } from './console.guard';
import { ConsolePages } from './console-pages.decorator';
import { eventIdOf, noticeOf, optionalText, withNotice } from './console.forms';
import { ConsoleViews, dayLabel, priceText } from './console.views';
import { reasonInWords } from './reason-words';

const MAX_RESULTS = 25;

/**
 * One event: its page, its actions (sync now, retry, resync, preview) and the product search that
 * fixes an unmatched line.
 */
@ConsolePages()
export class ConsoleEventsController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly views: ConsoleViews,
    private readonly ledger: LedgerRepository,
    private readonly sync: SyncService,
    private readonly previews: PreviewService,
    private readonly resyncs: ResyncService,
    private readonly catalog: RevelProductCatalog,
    private readonly mappings: MappingsRepository,
  ) {}

  // --- one event -----------------------------------------------------------------------------

  @Get('events/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async eventPage(
    @CurrentSession() session: ConsoleSession,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<string> {
    return this.renderEvent(session, eventIdOf(id), {
      notice: noticeOf(query.notice),
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
    const mappedTo = await this.mappedProducts(loc, summary?.unmatched ?? []);
    const unmatched = await Promise.all(
      (summary?.unmatched ?? []).map(async (u, index) => {
        const searching =
          options.line === String(index) && options.q !== undefined && options.q !== '';
        return {
          ...u,
          index,
          mappedTo: mappedTo[index] ?? '',
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
    return this.views.render(
      'event',
      { title: `Event ${eventId}`, session, nav: 'board' },
      {
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
          heldUntil: row.state === 'HELD' ? this.views.time(row.next_attempt_at) : '',
          nextAttempt: row.state === 'PENDING' ? this.views.time(row.next_attempt_at) : '',
          revelOrderId: row.revel_order_id,
          updatedAt: this.views.time(row.updated_at),
        },
        canRetry: row.state === 'FAILED' || row.state === 'SKIPPED' || row.state === 'DRY_RUN',
        heldForLines: row.state === 'HELD' && row.reason === ReasonCode.UNMATCHED_ITEMS,
        leftOut: orderWritten && parseUnmatched(row.unmatched).length > 0,
        canResync: OUR_ORDER_STATES.includes(row.state),
        order: summary,
        orderCaption: orderWritten
          ? 'The order as written to Revel'
          : row.state === 'DRY_RUN'
            ? 'The order as worked out (dry run: not written)'
            : 'The order as last worked out (not written)',
        unmatched,
        // Lines that had no product when the event was first looked at and are on the order now.
        mappedSince: (summary?.lines ?? [])
          .filter((l) => toldNames(row.unmatched_notified).has(normalizeName(l.sourceName)))
          .map((l) => ({ name: l.sourceName, product: `${l.name} #${l.productId}` })),
        drift: parseDriftRecord(row.drift)?.changes ?? null,
        history: [...history].reverse().map((h) => ({
          at: this.views.time(h.at),
          state: h.state,
          reason: h.reason ?? '',
          why: reasonInWords(h.reason),
          detail: h.detail ?? '',
          correlationId: h.correlation_id ?? '',
        })),
        correlationIds,
        notice: options.notice ?? '',
        problem: options.problem ?? '',
      },
    );
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

  /** Writes a held event now, without the lines that match no product (they are named). */
  @Post('events/:id/write-without')
  async writeWithout(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const eventId = eventIdOf(id);
    if (!(await this.ledger.get(eventId)))
      throw new NotFoundException({
        error: 'Not Found',
        message: `Event ${eventId} is not in the ledger.`,
      });
    await this.sync.syncOne(eventId, { allowUnmatched: true });
    res.redirect(303, withNotice(`/console/events/${encodeURIComponent(eventId)}`, 'written'));
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
    return this.views.render(
      'preview',
      { title: `Preview of ${eventId}`, session, nav: 'board' },
      {
        eventId,
        eligibility,
        wouldWrite: preview.wouldWrite,
        reasonIfNot: preview.reasonIfNot ?? '',
        whyNot: reasonInWords(preview.reasonIfNot ?? null),
        order: preview.order,
      },
    );
  }

  // --- fixing an unmatched item --------------------------------------------------------------

  /**
   * For each unmatched line, the product a mapping saved since maps it to ("MAPLE BAR #590"), or
   * undefined: the page says so before the order is written again.
   */
  private async mappedProducts(
    location: Location | undefined,
    lines: readonly { name: string; menuItemId?: string }[],
  ): Promise<(string | undefined)[]> {
    if (!location || lines.length === 0) return [];
    const rows = await this.mappings.list(location.key);
    const ids = lines.map((line) => {
      const row = rows.find((r) =>
        r.kind === 'menuItem'
          ? line.menuItemId !== undefined && r.source_key === line.menuItemId
          : r.source_key === normalizeName(line.name),
      );
      return row?.product_id;
    });
    if (ids.every((id) => id === undefined)) return [];
    let names = new Map<number, string>();
    try {
      const products = await this.catalog.products(location.revelEstablishmentId);
      names = new Map(products.map((p) => [Number(p.id), p.name]));
    } catch {
      // The id alone still says the line is mapped.
    }
    return ids.map((id) => (id === undefined ? undefined : `${names.get(id) ?? 'product'} #${id}`));
  }

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
    const search = (from: RevelProduct[]) =>
      from
        .filter(
          (p) => p.active !== false && p.deleted !== true && normalizeName(p.name).includes(needle),
        )
        .sort((a, b) => a.name.localeCompare(b.name))
        .slice(0, MAX_RESULTS);
    let found = search(products);
    if (found.length === 0 && q !== '' && problem === '') {
      // A miss: the product may have been created in Revel since the catalogue was cached.
      const fresh = await this.catalog.refreshAfterMiss(location.revelEstablishmentId);
      if (fresh) found = search(fresh);
    }
    return this.views.partial('products', {
      q,
      problem,
      products: found.map((p) => ({
        id: p.id,
        name: p.name,
        price: priceText(p.price),
      })),
      csrf: session.csrfToken,
      location: location.key,
      line: item.name,
      menuItemId: item.menuItemId ?? '',
      returnTo: `/console/events/${encodeURIComponent(eventId)}#unmatched`,
    });
  }
}

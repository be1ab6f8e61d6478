import {
  BadRequestException,
  Body,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Response } from 'express';
import { syncConfig } from '../config/configuration';
import { SwitchName } from '../database/database.types';
import { HeldEventRelease } from '../mappings/held-release.service';
import { MappingSource, MappingsRepository } from '../mappings/mappings.repository';
import { RevelProductCatalog } from '../revel/product-catalog';
import type { RevelProduct } from '../revel/revel.types';
import { SwitchesService } from '../switches/switches.service';
import { ConsoleSession } from './console-auth.service';
import { CurrentSession } from './console.guard';
import { ConsolePages } from './console-pages.decorator';
import { consolePath, noticeOf, requiredText, withNotice } from './console.forms';
import { ConsoleViews } from './console.views';

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

/** What an operator sets: product mappings and the switches. */
@ConsolePages()
export class ConsoleSettingsController {
  constructor(
    @Inject(syncConfig.KEY) private readonly config: ConfigType<typeof syncConfig>,
    private readonly views: ConsoleViews,
    private readonly mappings: MappingsRepository,
    private readonly release: HeldEventRelease,
    private readonly catalog: RevelProductCatalog,
    private readonly switches: SwitchesService,
  ) {}

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
    return this.views.render(
      'mappings',
      { title: 'Mappings', session, nav: 'mappings' },
      {
        mappings: rows.map((r) => ({
          location: r.location_key,
          locationName: this.config.locations.get(r.location_key)?.name ?? r.location_key,
          kind: r.kind,
          source: r.kind === 'menuItem' ? r.source_key : (r.display_name ?? r.source_key),
          productId: r.product_id,
          productName: names.get(`${r.location_key}:${r.product_id}`) ?? '',
          note: r.note,
          updatedAt: this.views.time(r.updated_at),
        })),
        notice: noticeOf(notice),
        problem: '',
      },
    );
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
    const productId = Number(requiredText(body.productId, 'productId', 20));
    if (!Number.isSafeInteger(productId) || productId <= 0) {
      throw new BadRequestException({
        error: 'Bad Request',
        message: 'productId: must be a positive whole number',
      });
    }
    const location = this.config.locations.get(source.location);
    const establishmentId = location!.revelEstablishmentId;
    const isIt = (p: RevelProduct) =>
      Number(p.id) === productId && p.active !== false && p.deleted !== true;
    const product =
      (await this.catalog.products(establishmentId)).find(isIt) ??
      (await this.catalog.refreshAfterMiss(establishmentId))?.find(isIt);
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
    await this.release.afterSave(source);
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
    const location = requiredText(body.location, 'location', 64);
    if (!this.config.locations.has(location)) {
      throw new BadRequestException({
        error: 'Bad Request',
        message: `location: ${location} is not in the location map`,
      });
    }
    if (body.kind === 'menuItem')
      return { location, kind: 'menuItem', menuItemId: requiredText(key, 'menuItemId', 64) };
    if (body.kind === 'displayName')
      return { location, kind: 'displayName', displayName: requiredText(key, 'displayName') };
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
    return this.views.render(
      'switches',
      { title: 'Switches', session, nav: 'switches' },
      {
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
                : `Set ${s.updatedAt ? this.views.time(s.updatedAt.getTime()) : ''} by ${s.updatedBy ?? 'unknown'}.`,
            next: s.value ? 'false' : 'true',
            button: s.value ? words.off : words.on,
          };
        }),
        flips: flips.map((f) => ({
          at: this.views.time(Number(f.at)),
          title: SWITCH_TEXT[f.name].title,
          value: Number(f.value) ? 'on' : 'off',
          actor: f.actor,
          correlationId: f.correlation_id ?? '',
        })),
        notice: noticeOf(notice),
        problem: '',
      },
    );
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
}

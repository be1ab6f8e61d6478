import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DateTime } from 'luxon';
import { Clock } from '../common/clock';
import { revelConfig, syncConfig, tripleseatConfig } from '../config/configuration';
import type { Location, LocationMap } from '../config/locations';
import type { OrderDraft } from '../orders/order-draft';
import { RevelClient } from '../revel/revel.client';
import { parseEventDate } from '../sync/eligibility';
import { EventPipelineService } from '../sync/event-pipeline.service';
import { ReasonCode } from '../sync/reason-codes';
import { TripleSeatAuth } from '../tripleseat/tripleseat-auth';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { explainFailure, type Explained, redactSecrets } from './doctor.failures';
import type { DoctorCheck, DoctorReport } from './doctor.types';

/** Names of the fixed checks; per-location checks are named by {@link locationChecks}. */
export const CHECK = {
  token: 'TripleSeat token',
  eventsPage: 'TripleSeat events page',
  recentEvent: 'TripleSeat recent event',
  locationMap: 'Location map',
  localId: 'Revel local_id lookup',
} as const;

export function locationChecks(location: Location): { establishment: string; items: string } {
  const where = `${location.name} (${location.key})`;
  return { establishment: `Revel establishment: ${where}`, items: `Line items: ${where}` };
}

/** Search results read at most (50 a page): enough to find recent events, never a full walk. */
export const MAX_SCANNED_EVENTS = 100;
/** Events fetched in full per location to look for unresolvable lines (TripleSeat rate limit). */
export const MAX_EVENTS_PER_LOCATION = 10;
/** Days after today that count as "recent" too: the week's upcoming events. */
const DAYS_AHEAD = 7;
/** How many names a detail lists before it says "and N more". */
const LIST_LIMIT = 8;

const MAP_FIX = (location: Location) =>
  `map each to a Revel product id: LOCATIONS_FILE ${JSON.stringify(location.key)}.products ` +
  '{"<line name>": <product id>} (or .menuItems by TripleSeat menu_item_id), or PUT /api/mappings';

interface Window {
  from: string;
  to: string;
  lookbackDays: number;
}

/** The events found by the bounded search, shared by the recent-event and line-item checks. */
interface Scan {
  window: Window;
  events: TripleSeatEvent[];
}

interface Recent {
  event: TripleSeatEvent;
  location: Location;
  draft?: OrderDraft;
}

const pass = (check: string, detail: string): DoctorCheck => ({ check, ok: true, detail, fix: '' });
const fail = (check: string, explained: Explained): DoctorCheck => ({
  check,
  ok: false,
  ...explained,
});
const skipped = (check: string, dependency: string): DoctorCheck => ({
  check,
  ok: false,
  detail: `skipped: ${dependency} failed`,
  fix: `fix "${dependency}" first`,
});

const idOf = (event: TripleSeatEvent): string => String(event.id).trim();
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function listed(items: string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${shown} and ${items.length - LIST_LIMIT} more` : shown;
}

/** The mapped location of an event: location_id first, then site_id (as eligibility does). */
export function locationOf(event: TripleSeatEvent, locations: LocationMap): Location | undefined {
  for (const raw of [event.location_id, event.site_id]) {
    if (raw === undefined || raw === null) continue;
    const found = locations.get(String(raw).trim());
    if (found) return found;
  }
  return undefined;
}

function describeEvent(event: TripleSeatEvent): string {
  const name = event.name ? ` "${event.name}"` : '';
  const status = (event.status ?? '').toUpperCase() || 'no status';
  return `event ${idOf(event)}${name} (${status}, ${event.event_date ?? event.event_date_iso8601 ?? 'no date'})`;
}

/** What an order draft would be built from and how much of it resolves. */
function describeDraft(draft: OrderDraft): string {
  const parts: string[] = [];
  const source = draft.source;
  switch (source.kind) {
    case 'document':
      parts.push(
        `document ${source.documentId} "${source.title}" (${
          source.rule === 'title'
            ? 'its title matches INVOICE_DOCUMENT_PATTERN'
            : 'no title matches INVOICE_DOCUMENT_PATTERN: the newest document with line items'
        })`,
      );
      break;
    case 'booking-field':
      parts.push(
        `booking ${source.bookingId} field "${source.field}" (no document has line items)`,
      );
      break;
    case 'none':
      parts.push('no document with line items and no packing field');
      break;
  }
  const lines = draft.lines.map((l) => `${l.quantity} × ${l.productName} (${l.match})`);
  parts.push(
    `${plural(draft.lines.length, 'line')} resolve${draft.lines.length === 1 ? 's' : ''}${
      lines.length > 0 ? `: ${listed(lines)}` : ''
    }`,
  );
  if (draft.unmatched.length > 0) {
    parts.push(
      `${draft.unmatched.length} unmatched: ${listed(draft.unmatched.map((u) => u.name))}`,
    );
  }
  if (draft.ignored.length > 0) {
    parts.push(
      `${plural(draft.ignored.length, 'venue line')} left off: ${listed(draft.ignored.map((l) => l.name))}`,
    );
  }
  return parts.join('; ');
}

/**
 * The go-live check (`GET /api/doctor`, `cli doctor`): read-only calls with the configured
 * credentials, each answered by one row that passes or fails with the reason and the fix. Every
 * failure, upstream or not, becomes a row; a check whose input failed says it was skipped.
 */
@Injectable()
export class DoctorService {
  private readonly logger = new Logger(DoctorService.name);
  /** The latest finished run in this process, whoever asked for it (API, CLI, console). */
  private latestRun?: { report: DoctorReport; at: Date };
  /** A run in progress: callers arriving meanwhile share it instead of calling upstream again. */
  private inProgress?: Promise<DoctorReport>;

  constructor(
    @Inject(tripleseatConfig.KEY)
    private readonly tsConfig: ConfigType<typeof tripleseatConfig>,
    @Inject(revelConfig.KEY) private readonly revelConf: ConfigType<typeof revelConfig>,
    @Inject(syncConfig.KEY) private readonly syncConf: ConfigType<typeof syncConfig>,
    private readonly auth: TripleSeatAuth,
    private readonly tripleseat: TripleSeatClient,
    private readonly revel: RevelClient,
    private readonly pipeline: EventPipelineService,
    private readonly clock: Clock,
  ) {}

  /** The latest finished run in this process and when it finished; undefined before the first. */
  latest(): { report: DoctorReport; at: Date } | undefined {
    return this.latestRun;
  }

  /**
   * Runs the checks now, unless the latest run finished less than `minIntervalMs` ago: then
   * answers that run without calling any upstream (`ran: false`). The console's "Run checks now"
   * uses it, so a button pressed in a loop cannot spend the upstreams' rate limits.
   */
  async runUnlessRecent(
    minIntervalMs: number,
  ): Promise<{ ran: boolean; report: DoctorReport; at: Date }> {
    const latest = this.latestRun;
    if (latest && this.clock.now().getTime() - latest.at.getTime() < minIntervalMs) {
      return { ran: false, ...latest };
    }
    const report = await this.run();
    return { ran: true, report, at: this.latestRun?.at ?? this.clock.now() };
  }

  /** Runs every check now (concurrent callers share one run) and keeps the report as the latest. */
  run(): Promise<DoctorReport> {
    if (!this.inProgress) {
      this.inProgress = this.runChecks()
        .then((report) => {
          this.latestRun = { report, at: this.clock.now() };
          return report;
        })
        .finally(() => {
          this.inProgress = undefined;
        });
    }
    return this.inProgress;
  }

  private async runChecks(): Promise<DoctorReport> {
    const checks: DoctorCheck[] = [];
    const add = (row: DoctorCheck): boolean => {
      checks.push(this.clean(row));
      return row.ok;
    };
    // One fetch per event per run, whichever checks need it.
    const fetched = new Map<string, Promise<TripleSeatEvent>>();
    const getEvent = (id: string): Promise<TripleSeatEvent> => {
      let pending = fetched.get(id);
      if (!pending) {
        pending = this.tripleseat.getEvent(id);
        fetched.set(id, pending);
      }
      return pending;
    };

    const tokenOk = add(await this.guard(CHECK.token, () => this.tokenCheck()));
    const pageOk = tokenOk
      ? add(await this.guard(CHECK.eventsPage, () => this.eventsPageCheck()))
      : add(skipped(CHECK.eventsPage, CHECK.token));

    let scan: Scan | undefined;
    let recent: Recent | undefined;
    if (!pageOk) {
      add(skipped(CHECK.recentEvent, CHECK.eventsPage));
    } else {
      try {
        const result = await this.recentEventCheck(getEvent);
        scan = result.scan;
        recent = result.recent;
        add(result.row);
      } catch (error) {
        add(
          fail(
            CHECK.recentEvent,
            explainFailure(error, { kind: 'tripleseat-api', call: CHECK.recentEvent }),
          ),
        );
      }
    }

    const locations = [...this.syncConf.locations.values()];
    if (locations.length === 0) {
      add(
        fail(CHECK.locationMap, {
          detail: 'LOCATIONS_FILE maps no TripleSeat location to a Revel establishment',
          fix: 'add each TripleSeat location_id with its revelEstablishmentId and timezone to LOCATIONS_FILE',
        }),
      );
    }
    for (const location of locations) {
      const names = locationChecks(location);
      const establishmentOk = add(
        await this.guard(names.establishment, () => this.establishmentCheck(location)),
      );
      if (!scan) add(skipped(names.items, CHECK.recentEvent));
      else if (!establishmentOk) add(skipped(names.items, names.establishment));
      else {
        const found = scan;
        add(await this.guard(names.items, () => this.lineItemsCheck(location, found, getEvent)));
      }
    }

    add(await this.guard(CHECK.localId, () => this.localIdCheck(recent)));

    const failed = checks.filter((c) => !c.ok);
    const summary = `doctor: ${checks.length - failed.length} of ${checks.length} checks passed`;
    if (failed.length === 0) this.logger.log(summary);
    else this.logger.warn({ failed: failed.map((c) => `${c.check}: ${c.detail}`) }, summary);
    return { ok: failed.length === 0, checks };
  }

  /** Runs one check; whatever it throws becomes its failed row (never a 500). */
  private async guard(check: string, run: () => Promise<DoctorCheck>): Promise<DoctorCheck> {
    try {
      return await run();
    } catch (error) {
      return fail(check, explainFailure(error, { kind: 'tripleseat-api', call: check }));
    }
  }

  /** Rows leave the service: no configured secret may be in them, and a pass has no fix. */
  private clean(row: DoctorCheck): DoctorCheck {
    const secrets = [
      this.tsConfig.clientSecret,
      this.tsConfig.webhookSigningKey,
      this.tsConfig.webhookPreviousSigningKey,
      this.revelConf.apiKey,
      this.revelConf.apiSecret,
      this.syncConf.apiToken,
    ];
    return {
      check: row.check,
      ok: row.ok,
      detail: redactSecrets(row.detail, secrets),
      fix: row.ok ? '' : redactSecrets(row.fix, secrets),
    };
  }

  /**
   * A fresh token, not the cached one: the check must prove that the credentials work now. Only
   * this process's cached token is dropped; the next API call uses the new one.
   */
  private async tokenCheck(): Promise<DoctorCheck> {
    this.auth.invalidate();
    try {
      await this.auth.authorizationFor();
    } catch (error) {
      return fail(CHECK.token, explainFailure(error, { kind: 'tripleseat-token' }));
    }
    return pass(
      CHECK.token,
      `${this.tsConfig.tokenUrl} issued a bearer token for the configured client credentials`,
    );
  }

  /**
   * upstream-facts §1.1: an issued token does not prove that the API accepts it; one list page
   * does.
   */
  private async eventsPageCheck(): Promise<DoctorCheck> {
    const call = 'GET /v1/events.json?page=1';
    try {
      const page = await this.tripleseat.listEventsPage(1);
      const pages = page.totalPages === undefined ? '' : ` (page 1 of ${page.totalPages})`;
      return pass(
        CHECK.eventsPage,
        `${call} answered ${plural(page.results.length, 'event')}${pages}: the API accepts the token`,
      );
    } catch (error) {
      return fail(CHECK.eventsPage, explainFailure(error, { kind: 'tripleseat-api', call }));
    }
  }

  private window(): Window {
    const now = DateTime.fromJSDate(this.clock.now(), { zone: 'utc' });
    const lookbackDays = Math.max(1, Math.ceil(this.syncConf.reconcileLookbackHours / 24));
    return {
      from: now.minus({ days: lookbackDays }).toISODate() ?? '',
      to: now.plus({ days: DAYS_AHEAD }).toISODate() ?? '',
      lookbackDays,
    };
  }

  /**
   * Recent events first: mapped and eligible before merely mapped before the rest; within a
   * tier, the latest day up to today, then the nearest upcoming one.
   */
  private ranked(events: TripleSeatEvent[]): TripleSeatEvent[] {
    const today = DateTime.fromJSDate(this.clock.now(), { zone: 'utc' }).toISODate() ?? '';
    const eligible = new Set(this.syncConf.eligibleStatuses.map((s) => s.toUpperCase()));
    const key = (event: TripleSeatEvent) => {
      const mapped = locationOf(event, this.syncConf.locations) !== undefined;
      const isEligible = eligible.has((event.status ?? '').trim().toUpperCase());
      const tier = mapped && isEligible ? 0 : mapped ? 1 : 2;
      const date =
        parseEventDate(event.event_date) ?? parseEventDate(event.event_date_iso8601) ?? '';
      // Today in UTC is today or tomorrow at every site, so "≤ today + 1 day" counts as past.
      const upcoming = date === '' || date > today ? 1 : 0;
      return { tier, upcoming, date };
    };
    return [...events]
      .map((event) => ({ event, ...key(event) }))
      .sort((a, b) => {
        if (a.tier !== b.tier) return a.tier - b.tier;
        if (a.upcoming !== b.upcoming) return a.upcoming - b.upcoming;
        const byDate = a.upcoming ? a.date.localeCompare(b.date) : b.date.localeCompare(a.date);
        if (byDate !== 0) return byDate;
        return idOf(b.event).localeCompare(idOf(a.event), 'en', { numeric: true });
      })
      .map((entry) => entry.event);
  }

  private async scan(window: Window): Promise<Scan> {
    const events: TripleSeatEvent[] = [];
    for await (const event of this.tripleseat.searchEvents({
      fromDate: window.from,
      toDate: window.to,
    })) {
      events.push(event);
      // Leaving the loop ends the generator: no further page is requested.
      if (events.length >= MAX_SCANNED_EVENTS) break;
    }
    return { window, events };
  }

  private async recentEventCheck(
    getEvent: (id: string) => Promise<TripleSeatEvent>,
  ): Promise<{ row: DoctorCheck; scan?: Scan; recent?: Recent }> {
    const check = CHECK.recentEvent;
    const window = this.window();
    let scan: Scan;
    try {
      scan = await this.scan(window);
    } catch (error) {
      const call = `GET /v1/events/search.json (${window.from} … ${window.to})`;
      return { row: fail(check, explainFailure(error, { kind: 'tripleseat-api', call })) };
    }
    if (scan.events.length === 0) {
      return {
        scan,
        row: pass(
          check,
          `no events in the last ${window.lookbackDays} days or the next ${DAYS_AHEAD} (${window.from} … ${window.to}); nothing to check`,
        ),
      };
    }

    const chosen = this.ranked(scan.events)[0];
    let event: TripleSeatEvent;
    try {
      event = await getEvent(idOf(chosen));
    } catch (error) {
      const call = `GET /v1/events/${idOf(chosen)}.json?show_financial=true`;
      return { scan, row: fail(check, explainFailure(error, { kind: 'tripleseat-api', call })) };
    }

    const location = locationOf(event, this.syncConf.locations);
    if (!location) {
      const keys = [
        ...new Set(scan.events.map((e) => String(e.location_id ?? e.site_id ?? '(none)').trim())),
      ];
      return {
        scan,
        row: fail(check, {
          detail: `none of the ${plural(scan.events.length, 'recent event')} is at a mapped location (their location ids: ${listed(keys)}); e.g. ${describeEvent(event)}`,
          fix: 'key LOCATIONS_FILE by TripleSeat location_id (or site_id) and give each its revelEstablishmentId',
        }),
      };
    }

    const verdict = this.pipeline.evaluate(event, { ignoreTimeGate: true });
    const notes: string[] = [];
    if (verdict.outcome === 'skip') {
      notes.push(`the sync would skip it: ${verdict.reason} (${verdict.detail})`);
    }
    let draft: OrderDraft;
    try {
      draft = await this.pipeline.draftFor(event, location);
    } catch (error) {
      const call = `reading booking ${String(event.booking_id ?? '')} of ${describeEvent(event)}`;
      return {
        scan,
        recent: { event, location },
        row: fail(check, explainFailure(error, { kind: 'tripleseat-api', call })),
      };
    }

    const recent: Recent = { event, location, draft };
    const detail = [
      `${describeEvent(event)} at ${location.name}, fetched with show_financial=true: ${describeDraft(draft)}`,
      ...notes,
    ].join('; ');
    if (draft.source.kind === 'none') {
      const documents = (event.documents ?? []).length;
      return {
        scan,
        recent,
        row: fail(check, {
          detail: `${detail} (${plural(documents, 'document')} returned)`,
          fix:
            'if the invoice has items in TripleSeat, check that the API application may read financials ' +
            '(line items come only with show_financial=true) and that INVOICE_DOCUMENT_PATTERN matches its title',
        }),
      };
    }
    if (draft.lines.length === 0) {
      return {
        scan,
        recent,
        row: fail(check, {
          detail: `${detail}; the sync would skip it with ${ReasonCode.NO_ITEMS_MATCHED}`,
          fix: MAP_FIX(location),
        }),
      };
    }
    return { scan, recent, row: pass(check, detail) };
  }

  private async establishmentCheck(location: Location): Promise<DoctorCheck> {
    const check = locationChecks(location).establishment;
    const id = location.revelEstablishmentId;
    let name: string | undefined;
    try {
      name = (await this.revel.getEstablishment(id)).name;
    } catch (error) {
      return fail(
        check,
        explainFailure(error, {
          kind: 'revel',
          call: `GET /enterprise/Establishment/${id}/`,
          notFound: {
            detail: `Revel has no establishment ${id} (HTTP 404), the revelEstablishmentId of location ${location.key}`,
            fix: `set "revelEstablishmentId" of location ${location.key} in LOCATIONS_FILE to an establishment id of this Revel account`,
          },
        }),
      );
    }
    const label = `establishment ${id}${name ? ` "${name}"` : ''}`;
    let products: { id: number; name: string }[];
    try {
      products = await this.revel.listProducts(id);
    } catch (error) {
      const call = `GET /resources/Product/?establishment=${id}&active=true`;
      return fail(check, explainFailure(error, { kind: 'revel', call }));
    }
    if (products.length === 0) {
      return fail(check, {
        detail: `${label} has no active products`,
        fix: `check "revelEstablishmentId" of location ${location.key} in LOCATIONS_FILE, and that its products are active in Revel`,
      });
    }
    // A map entry that names no active product here cannot be ordered; say so before an event does.
    const active = new Set(products.map((p) => p.id));
    const stale = [
      ...Object.entries(location.products).map(([item, pid]) => ({ item, pid })),
      ...Object.entries(location.menuItems).map(([item, pid]) => ({
        item: `menu_item_id ${item}`,
        pid,
      })),
    ].filter((entry) => !active.has(entry.pid));
    if (stale.length > 0) {
      return fail(check, {
        detail: `${label} has ${plural(products.length, 'active product')}, but the location map names ids that are not among them: ${listed(stale.map((s) => `${s.item} → ${s.pid}`))}`,
        fix: `correct those product ids under location ${location.key} in LOCATIONS_FILE (products / menuItems) to active products of establishment ${id}`,
      });
    }
    return pass(check, `${label}: ${plural(products.length, 'active product')}`);
  }

  private async lineItemsCheck(
    location: Location,
    scan: Scan,
    getEvent: (id: string) => Promise<TripleSeatEvent>,
  ): Promise<DoctorCheck> {
    const check = locationChecks(location).items;
    const { from, to } = scan.window;
    const mine = this.ranked(
      scan.events.filter((e) => locationOf(e, this.syncConf.locations)?.key === location.key),
    ).slice(0, MAX_EVENTS_PER_LOCATION);
    if (mine.length === 0) {
      return pass(check, `no events of this location in ${from} … ${to}; nothing to check`);
    }

    const unmatched = new Map<string, { events: Set<string>; closest?: string }>();
    const withoutLines: string[] = [];
    let resolved = 0;
    let failures = 0;
    let firstFailure: Explained | undefined;
    // One event at a time: the client's rate limit paces TripleSeat, and the catalogue is cached.
    for (const summary of mine) {
      const id = idOf(summary);
      try {
        const event = await getEvent(id);
        const draft = await this.pipeline.draftFor(event, location);
        resolved += draft.lines.length;
        if (draft.source.kind === 'none') withoutLines.push(id);
        for (const item of draft.unmatched) {
          const entry = unmatched.get(item.name) ?? { events: new Set<string>() };
          entry.events.add(id);
          if (item.closest) {
            entry.closest = `closest "${item.closest.name}", ${Math.round(item.closest.score * 100)}% similar`;
          }
          unmatched.set(item.name, entry);
        }
      } catch (error) {
        failures += 1;
        firstFailure ??= explainFailure(error, {
          kind: 'tripleseat-api',
          call: `GET /v1/events/${id}.json?show_financial=true`,
        });
      }
    }

    const checked = `${plural(mine.length - failures, 'recent event')} checked`;
    const noLines =
      withoutLines.length > 0 ? `; without line items: event ${listed(withoutLines)}` : '';
    if (unmatched.size > 0) {
      const names = [...unmatched.entries()].map(
        ([name, u]) =>
          `"${name}" (event ${[...u.events].join(', ')}${u.closest ? `; ${u.closest}` : ''})`,
      );
      const failedToo =
        failures > 0 ? `; ${failures} could not be read: ${firstFailure?.detail ?? ''}` : '';
      return fail(check, {
        detail: `${checked}: ${plural(unmatched.size, 'line item')} would not resolve to a Revel product: ${listed(names)}${noLines}${failedToo}`,
        fix: MAP_FIX(location),
      });
    }
    if (firstFailure) {
      return fail(check, {
        detail: `${failures} of ${plural(mine.length, 'recent event')} could not be checked: ${firstFailure.detail}`,
        fix: firstFailure.fix,
      });
    }
    return pass(check, `${checked}: every line resolves (${plural(resolved, 'line')})${noLines}`);
  }

  /**
   * The duplicate guard's lookup (docs/architecture.md, 'Write'; upstream-facts §3.1): for the
   * recent event's own local_id when there is one, else for a probe id that no order carries. A
   * failing lookup stops every write.
   */
  private async localIdCheck(recent: Recent | undefined): Promise<DoctorCheck> {
    const check = CHECK.localId;
    let establishmentId: number;
    let localId: string;
    let whose: string;
    if (recent?.draft) {
      establishmentId = recent.draft.establishmentId;
      localId = recent.draft.localId;
      whose = `event ${idOf(recent.event)}'s local_id`;
    } else {
      const first = [...this.syncConf.locations.values()][0];
      if (!first) return skipped(check, CHECK.locationMap);
      establishmentId = recent?.location.revelEstablishmentId ?? first.revelEstablishmentId;
      localId = this.revelConf.localIdTemplate.replaceAll('{eventId}', '0');
      whose = 'probe local_id';
    }
    const call = `GET /resources/Order/?establishment=${establishmentId}&local_id=…`;
    let orders: { id: number }[];
    try {
      orders = await this.revel.findOrdersByLocalId(establishmentId, localId);
    } catch (error) {
      const explained = explainFailure(error, { kind: 'revel', call });
      return fail(check, {
        detail: `${explained.detail}; until this lookup works the sync writes no order (it cannot rule out a duplicate)`,
        fix: explained.fix,
      });
    }
    const found =
      orders.length === 0
        ? 'no order carries it yet'
        : `${plural(orders.length, 'order')} already ${orders.length === 1 ? 'carries' : 'carry'} it (${orders.map((o) => o.id).join(', ')})`;
    return pass(
      check,
      `${whose} ${JSON.stringify(localId)} looked up in establishment ${establishmentId} (REVEL_LOCAL_ID_TEMPLATE ${JSON.stringify(this.revelConf.localIdTemplate)}): ${found}`,
    );
  }
}

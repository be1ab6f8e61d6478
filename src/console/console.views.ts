import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Big from 'big.js';
import { Eta } from 'eta';
import { DateTime } from 'luxon';
import { syncConfig } from '../config/configuration';
import { SwitchesService } from '../switches/switches.service';
import type { ConsoleSession } from './console-auth.service';

/** What every page's layout shows around its body. */
export interface PageFrame {
  title: string;
  session?: ConsoleSession;
  /** The nav entry to mark current. */
  nav?: 'board' | 'mappings' | 'switches' | 'health';
}

/**
 * Static files the pages load: served by the app itself (no CDN), cached for a day. A Map, so that
 * a name like `constructor` or `__proto__` is simply not there (an object literal would inherit it).
 */
export const ASSETS: ReadonlyMap<string, { type: string; path: string }> = new Map([
  [
    'console.css',
    { type: 'text/css; charset=utf-8', path: join(__dirname, 'assets', 'console.css') },
  ],
  ['favicon.svg', { type: 'image/svg+xml', path: join(__dirname, 'assets', 'favicon.svg') }],
  [
    'htmx.min.js',
    {
      type: 'text/javascript; charset=utf-8',
      path: require.resolve('htmx.org/dist/htmx.min.js'),
    },
  ],
]);

/**
 * The pages' policy: everything from this origin, nothing inline, no frames. htmx needs nothing
 * more (its indicator styles are off, and it never evaluates code: `allowEval` is off).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The console's one time-zone rule: every time it shows (event pages, the board, health,
 * switches, mappings) is in one zone, named after each time: the zone most locations of
 * LOCATIONS_FILE use (the first location's on a tie), UTC when there are none. Event days are
 * always the site's own calendar day.
 */
export function consoleZone(locations: Iterable<{ timezone: string }>): string {
  const counts = new Map<string, number>();
  for (const { timezone } of locations) counts.set(timezone, (counts.get(timezone) ?? 0) + 1);
  let best = 'UTC';
  let most = 0;
  for (const [zone, count] of counts) {
    if (count > most) [best, most] = [zone, count];
  }
  return best;
}

/** Formats a time for a person in `zone`, with the zone named: "Thu 26 Nov 2026, 14:05 PST". */
export function siteTime(ms: number | null | undefined, zone = 'UTC'): string {
  if (ms === null || ms === undefined) return '';
  const t = DateTime.fromMillis(Number(ms), { zone });
  return t.isValid ? t.toFormat('ccc d LLL yyyy, HH:mm ZZZZ') : '';
}

/** A price as money is written: two decimals, "12.00", "2.50", "2.25" ('' when there is none). */
export function priceText(value: number | string | null | undefined): string {
  if (value === null || value === undefined || String(value).trim() === '') return '';
  try {
    return new Big(String(value).trim()).toFixed(2, Big.roundHalfUp);
  } catch {
    return String(value);
  }
}

/** A similarity score (0..1) as a whole percentage: 0.43478260869565216 → "43%". */
export function percentText(score: number): string {
  return `${Math.round(score * 100)}%`;
}

/** How long ago `thenMs` was, in words: "40 seconds ago", "1 minute ago", "3 hours ago". */
export function ageText(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  const [value, unit] =
    seconds < 60
      ? [seconds, 'second']
      : seconds < 3600
        ? [Math.floor(seconds / 60), 'minute']
        : seconds < 172_800
          ? [Math.floor(seconds / 3600), 'hour']
          : [Math.floor(seconds / 86_400), 'day'];
  return `${value} ${unit}${value === 1 ? '' : 's'} ago`;
}

/** An ISO date (YYYY-MM-DD) as "Thu 26 Nov 2026". */
export function dayLabel(date: string | null | undefined): string {
  if (!date) return '';
  const d = DateTime.fromISO(date, { zone: 'UTC' });
  return d.isValid ? d.toFormat('ccc d LLL yyyy') : date;
}

/** Server-rendered pages (Eta templates in ./views, escaped by default). */
@Injectable()
export class ConsoleViews {
  private readonly eta = new Eta({
    views: join(__dirname, 'views'),
    cache: true,
    autoEscape: true,
    autoTrim: [false, 'nl'],
  });
  private readonly assets = new Map<string, { type: string; body: Buffer }>();
  /** The zone every console time is shown in (see consoleZone). */
  readonly zone: string;

  constructor(
    private readonly switches: SwitchesService,
    @Inject(syncConfig.KEY) config: ConfigType<typeof syncConfig>,
  ) {
    this.zone = consoleZone(config.locations.values());
  }

  /** A time as every console page shows it: in the console's zone, the zone named. */
  time(ms: number | null | undefined): string {
    return siteTime(ms, this.zone);
  }

  /** A whole page; its header shows both switches as this replica applies them now. */
  render(template: string, frame: PageFrame, data: object = {}): string {
    return this.eta.render(template, {
      ...frame,
      switches: this.switches.states(),
      ...data,
      dayLabel,
      percentText,
    });
  }

  /** A partial without the layout (htmx swaps it into a page). */
  partial(template: string, data: object): string {
    return this.eta.render(template, { ...data, dayLabel });
  }

  asset(name: string): { type: string; body: Buffer } | undefined {
    const known = ASSETS.get(name);
    if (!known) return undefined;
    let loaded = this.assets.get(name);
    if (!loaded) {
      loaded = { type: known.type, body: readFileSync(known.path) };
      this.assets.set(name, loaded);
    }
    return loaded;
  }
}

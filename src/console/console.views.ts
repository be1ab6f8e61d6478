import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { DateTime } from 'luxon';
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

/** Formats a time for a person: in the site's zone when known, with the zone named. */
export function siteTime(ms: number | null | undefined, zone?: string): string {
  if (ms === null || ms === undefined) return '';
  const t = DateTime.fromMillis(Number(ms), { zone: zone ?? 'UTC' });
  return t.isValid ? t.toFormat('ccc d LLL yyyy, HH:mm ZZZZ') : '';
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

  constructor(private readonly switches: SwitchesService) {}

  /** A whole page; its header shows both switches as this replica applies them now. */
  render(template: string, frame: PageFrame, data: object = {}): string {
    return this.eta.render(template, {
      ...frame,
      switches: this.switches.states(),
      ...data,
      siteTime,
      dayLabel,
    });
  }

  /** A partial without the layout (htmx swaps it into a page). */
  partial(template: string, data: object): string {
    return this.eta.render(template, { ...data, siteTime, dayLabel });
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

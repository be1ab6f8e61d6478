import { readFileSync } from 'node:fs';
import { IANAZone } from 'luxon';

export interface Location {
  /** The TripleSeat location_id (or site_id) the entry is keyed by. */
  key: string;
  name: string;
  revelEstablishmentId: number;
  timezone: string;
  /** A line's `display_name` → Revel product id, for this establishment. */
  products: Record<string, number>;
  /**
   * TripleSeat `menu_item_id` → Revel product id; tried before `products` (docs/architecture.md,
   * 'Which lines').
   */
  menuItems: Record<string, number>;
}

export type LocationMap = ReadonlyMap<string, Location>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ key: positive integer id }`, every bad entry named in `problems`; absent means empty. */
function idMap(raw: unknown, at: string, what: string, problems: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    problems.push(`${at}: must map ${what} to Revel product ids`);
    return out;
  }
  for (const [item, id] of Object.entries(raw)) {
    const n = typeof id === 'string' && id.trim() !== '' ? Number(id) : id;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) {
      problems.push(`${at}[${JSON.stringify(item)}]: must be a positive integer product id`);
    } else {
      out[item] = n;
    }
  }
  return out;
}

/** Parses and checks the location map; returns every problem found, not just the first. */
export function parseLocations(
  json: unknown,
  source: string,
): { map: LocationMap; problems: string[] } {
  const problems: string[] = [];
  const map = new Map<string, Location>();
  if (!isRecord(json)) {
    return { map, problems: [`${source}: must be a JSON object keyed by TripleSeat location id`] };
  }
  for (const [key, raw] of Object.entries(json)) {
    const at = `${source} [${key}]`;
    if (!/^\d+$/.test(key)) problems.push(`${at}: key must be a numeric TripleSeat location id`);
    if (!isRecord(raw)) {
      problems.push(`${at}: must be an object`);
      continue;
    }
    const name = typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : undefined;
    if (!name) problems.push(`${at}.name: must be a non-empty string`);
    const est = raw.revelEstablishmentId;
    const estText = typeof est === 'number' || typeof est === 'string' ? String(est).trim() : '';
    if (!/^[1-9]\d*$/.test(estText)) {
      problems.push(
        `${at}.revelEstablishmentId: must be a positive integer id (got ${JSON.stringify(est)})`,
      );
    }
    const tz = raw.timezone;
    if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) {
      problems.push(
        `${at}.timezone: unknown time zone ${JSON.stringify(tz)} (use an IANA name such as America/Los_Angeles)`,
      );
    }
    const products = idMap(raw.products, `${at}.products`, 'item names', problems);
    const menuItems = idMap(raw.menuItems, `${at}.menuItems`, 'TripleSeat menu_item_ids', problems);
    for (const item of Object.keys(menuItems)) {
      if (!/^\d+$/.test(item)) {
        problems.push(
          `${at}.menuItems[${JSON.stringify(item)}]: key must be a numeric menu_item_id`,
        );
      }
    }
    if (name && /^[1-9]\d*$/.test(estText) && typeof tz === 'string' && IANAZone.isValidZone(tz)) {
      map.set(key, {
        key,
        name,
        revelEstablishmentId: Number(estText),
        timezone: tz,
        products,
        menuItems,
      });
    }
  }
  return { map, problems };
}

/**
 * Where JSON text stops being valid: the offset of the first character that cannot continue it
 * (the text's length when it ends early), or -1 when it is valid. V8's JSON.parse names a
 * position for some errors only; this always does.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const stop = (): never => {
    throw new JsonStop(i);
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1;
  };
  const string = (): void => {
    i += 1;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i += 1;
        return;
      }
      if (c < ' ') stop();
      i += c === '\\' ? 2 : 1;
    }
    stop();
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i += 1;
      space();
      if (text[i] === close) {
        i += 1;
        return;
      }
      for (;;) {
        if (close === '}') {
          space();
          if (text[i] !== '"') stop();
          string();
          space();
          if (text[i] !== ':') stop();
          i += 1;
        }
        value();
        space();
        if (text[i] === ',') {
          i += 1;
          continue;
        }
        if (text[i] === close) {
          i += 1;
          return;
        }
        stop();
      }
    }
    if (c === '"') return string();
    const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    number.lastIndex = i;
    const n = number.exec(text);
    if (n) {
      i += n[0].length;
      return;
    }
    // A literal stops where it goes wrong: "tru" followed by a line break stops at the break.
    const literal = ['true', 'false', 'null'].find((l) => l[0] === c);
    if (!literal) stop();
    for (const expected of literal ?? '') {
      if (text[i] !== expected) stop();
      i += 1;
    }
  };
  try {
    value();
    space();
    if (i < text.length) stop();
    return -1;
  } catch (error) {
    if (error instanceof JsonStop) return error.at;
    throw error;
  }
}

class JsonStop extends Error {
  constructor(readonly at: number) {
    super(`invalid JSON at ${at}`);
  }
}

/**
 * A JSON.parse error as a person finds it in an editor: "Unexpected number at line 3, column 6",
 * not a character offset, and without V8's echo of the file's text.
 */
export function jsonError(text: string, error: Error): string {
  const found = jsonErrorOffset(text);
  const offset = found >= 0 ? found : text.length;
  const before = text.slice(0, offset).split('\n');
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  const what = error.message
    .split(/, (?:\.\.\.)?"/)[0]
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/ in JSON at position \d+/, '')
    .replace(/ at position \d+/, '')
    .replace(/ of JSON input$/, ' of the file')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
  return `${what} at line ${line}, column ${column}`;
}

export function loadLocationsFile(path: string): { map: LocationMap; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    const hint =
      reason === 'ENOENT'
        ? `; start from the example: cp config/locations.example.json ${path}, then map your TripleSeat locations (docs/going-live.md)`
        : '';
    return {
      map: new Map(),
      problems: [`LOCATIONS_FILE: cannot read ${path} (${reason})${hint}`],
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      map: new Map(),
      problems: [`LOCATIONS_FILE: ${path} is not valid JSON: ${jsonError(text, error as Error)}`],
    };
  }
  return parseLocations(json, `LOCATIONS_FILE ${path}`);
}

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfiguration } from './configuration';
import { ConfigValidationError } from './environment';
import { jsonErrorOffset, loadLocationsFile, parseLocations } from './locations';

const VALID = {
  '31883': {
    name: 'Pinkbox Tropicana',
    revelEstablishmentId: '4',
    timezone: 'America/Los_Angeles',
    products: { 'TRIPLE OG': 579, 'MAPLE BAR': '590' },
  },
  '40009': { name: 'Pinkbox St George', revelEstablishmentId: 9, timezone: 'America/Denver' },
};

const REQUIRED_ENV = {
  TRIPLESEAT_CLIENT_ID: 'ts-client',
  TRIPLESEAT_CLIENT_SECRET: 'ts-secret-value-1234',
  TRIPLESEAT_WEBHOOK_SIGNING_KEY: 'whsec-value-5678',
  REVEL_API_BASE_URL: 'https://pinkbox.revelup.com',
  REVEL_API_KEY: 'revel-key-value',
  REVEL_API_SECRET: 'revel-secret-value-9abc',
  SYNC_API_TOKEN: 'sync-api-token-0123456789abcdef0123',
};

let dir: string;
let seq = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'locations-spec-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeLocations(content: unknown): string {
  seq += 1;
  const file = join(dir, `locations-${seq}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configurationErrorOf(raw: Record<string, unknown>): ConfigValidationError {
  try {
    validateConfiguration(raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected validateConfiguration to throw a ConfigValidationError');
}

/** What a missing location map's message adds: where to start from. */
const copyHint = (path: string): string =>
  `; start from the example: cp config/locations.example.json ${path}, then map your TripleSeat locations (docs/going-live.md)`;

describe(parseLocations.name, () => {
  it('should build the map with numeric establishment and product ids', () => {
    const { map, problems } = parseLocations(VALID, 'test');

    expect(problems).toEqual([]);
    expect(map.get('31883')).toEqual({
      key: '31883',
      name: 'Pinkbox Tropicana',
      revelEstablishmentId: 4,
      timezone: 'America/Los_Angeles',
      products: { 'TRIPLE OG': 579, 'MAPLE BAR': 590 },
      menuItems: {},
    });
    expect(map.get('40009')).toMatchObject({ revelEstablishmentId: 9, products: {} });
  });

  it('should reject a document that is not an object keyed by location id', () => {
    expect(parseLocations([VALID['31883']], 'src').problems).toEqual([
      'src: must be a JSON object keyed by TripleSeat location id',
    ]);
  });

  it('should name every problem of every entry, not just the first', () => {
    const { map, problems } = parseLocations(
      {
        '31883': { name: 'Tropicana', revelEstablishmentId: 'four', timezone: 'Pacific/Vegas' },
        '40009': { name: ' ', revelEstablishmentId: '9', timezone: 'America/Denver' },
        abc: { name: 'Bad key', revelEstablishmentId: 1, timezone: 'UTC' },
      },
      'src',
    );

    expect(problems).toEqual([
      'src [31883].revelEstablishmentId: must be a positive integer id (got "four")',
      'src [31883].timezone: unknown time zone "Pacific/Vegas" (use an IANA name such as America/Los_Angeles)',
      'src [40009].name: must be a non-empty string',
      'src [abc]: key must be a numeric TripleSeat location id',
    ]);
    expect(map.has('31883')).toBe(false);
    expect(map.has('40009')).toBe(false);
  });

  it.each([[0], [-4], ['4a'], [4.5], [null]])(
    'should reject the establishment id %p',
    (revelEstablishmentId) => {
      const { problems } = parseLocations(
        { '1': { name: 'x', revelEstablishmentId, timezone: 'UTC' } },
        'src',
      );
      expect(problems).toEqual([
        `src [1].revelEstablishmentId: must be a positive integer id (got ${JSON.stringify(revelEstablishmentId)})`,
      ]);
    },
  );

  it.each([['abc'], [-579], [5.79], [0], [true]])('should reject the product id %p', (id) => {
    const { problems } = parseLocations(
      {
        '1': { name: 'x', revelEstablishmentId: 4, timezone: 'UTC', products: { 'TRIPLE OG': id } },
      },
      'src',
    );
    expect(problems).toEqual([
      'src [1].products["TRIPLE OG"]: must be a positive integer product id',
    ]);
  });

  it('should read menuItems keyed by numeric menu_item_id, naming every bad entry', () => {
    const { map, problems } = parseLocations(
      {
        '1': {
          name: 'x',
          revelEstablishmentId: 4,
          timezone: 'UTC',
          menuItems: { '5001': 579, '5002': '580', abc: 581, '5003': 0 },
        },
      },
      'src',
    );
    expect(problems).toEqual([
      'src [1].menuItems["5003"]: must be a positive integer product id',
      'src [1].menuItems["abc"]: key must be a numeric menu_item_id',
    ]);
    expect(map.get('1')?.menuItems).toEqual({ '5001': 579, '5002': 580, abc: 581 });
    expect(parseLocations({ '1': { ...VALID['31883'], menuItems: [1] } }, 'src').problems).toEqual([
      'src [1].menuItems: must map TripleSeat menu_item_ids to Revel product ids',
    ]);
  });

  it('should reject products that are not a map', () => {
    const { problems } = parseLocations(
      { '1': { name: 'x', revelEstablishmentId: 4, timezone: 'UTC', products: [579] } },
      'src',
    );
    expect(problems).toEqual(['src [1].products: must map item names to Revel product ids']);
  });
});

describe(loadLocationsFile.name, () => {
  it('should load a valid file', () => {
    const { map, problems } = loadLocationsFile(writeLocations(VALID));

    expect(problems).toEqual([]);
    expect([...map.keys()]).toEqual(['31883', '40009']);
  });

  it('should report a file that cannot be read, with its path and the reason', () => {
    const missing = join(dir, 'no-such-file.json');

    expect(loadLocationsFile(missing)).toEqual({
      map: new Map(),
      problems: [`LOCATIONS_FILE: cannot read ${missing} (ENOENT)${copyHint(missing)}`],
    });
  });

  it('should report a directory given as the file', () => {
    expect(loadLocationsFile(dir).problems).toEqual([
      `LOCATIONS_FILE: cannot read ${dir} (EISDIR)`,
    ]);
  });

  it('should report invalid JSON', () => {
    const file = writeLocations('{ "31883": { name: ');
    const { map, problems } = loadLocationsFile(file);

    expect(map.size).toBe(0);
    expect(problems).toHaveLength(1);
    // `{ "31883": { name: ` stops at the unquoted key: line 1, column 14.
    expect(problems[0]).toMatch(
      new RegExp(`^LOCATIONS_FILE: ${file} is not valid JSON: .+ at line 1, column 14$`),
    );
  });

  it('should point at the line and column of a JSON error, not at a character offset', () => {
    const file = writeLocations('{\n  "31883": {\n    "name" "Pinkbox"\n  }\n}\n');
    expect(loadLocationsFile(file).problems).toEqual([
      `LOCATIONS_FILE: ${file} is not valid JSON: Expected ':' after property name at line 3, column 12`,
    ]);
  });

  it('should prefix entry problems with the file they come from', () => {
    const file = writeLocations({
      '1': { name: 'x', revelEstablishmentId: 4, timezone: 'Nowhere' },
    });

    expect(loadLocationsFile(file).problems).toEqual([
      `LOCATIONS_FILE ${file} [1].timezone: unknown time zone "Nowhere" (use an IANA name such as America/Los_Angeles)`,
    ]);
  });
});

describe(validateConfiguration.name, () => {
  it('should return the raw environment when variables and location file are valid', () => {
    const raw = { ...REQUIRED_ENV, LOCATIONS_FILE: writeLocations(VALID) };

    expect(validateConfiguration(raw)).toBe(raw);
  });

  it('should report an unreadable location file together with bad variables in one message', () => {
    const missing = join(dir, 'missing.json');
    const error = configurationErrorOf({
      ...REQUIRED_ENV,
      PORT: 'abc',
      SYNC_API_TOKEN: undefined,
      LOCATIONS_FILE: missing,
    });

    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT: .*\(got "abc"\)$/),
      'SYNC_API_TOKEN: is required but not set',
      `LOCATIONS_FILE: cannot read ${missing} (ENOENT)${copyHint(missing)}`,
    ]);
    expect(error.message.match(/Invalid configuration:/g)).toHaveLength(1);
  });

  it('should report invalid JSON in the location file even when every variable is valid', () => {
    const file = writeLocations('not json');
    const error = configurationErrorOf({ ...REQUIRED_ENV, LOCATIONS_FILE: file });

    expect(error.problems).toEqual([expect.stringContaining(`${file} is not valid JSON`)]);
  });

  it('should report an unknown time zone, a non-numeric establishment id and a bad product id at once', () => {
    const file = writeLocations({
      '31883': {
        name: 'Pinkbox Tropicana',
        revelEstablishmentId: 'four',
        timezone: 'America/Los_Angeles',
      },
      '40009': {
        name: 'Pinkbox St George',
        revelEstablishmentId: '9',
        timezone: 'Mountain/Utah',
        products: { 'MAPLE BAR': 'five-ninety' },
      },
    });
    const error = configurationErrorOf({ ...REQUIRED_ENV, DRY_RUN: 'maybe', LOCATIONS_FILE: file });

    expect(error.problems).toHaveLength(4);
    expect(error.problems[0]).toMatch(/^DRY_RUN: .*\(got "maybe"\)$/);
    expect(error.message).toContain(
      `[31883].revelEstablishmentId: must be a positive integer id (got "four")`,
    );
    expect(error.message).toContain(`[40009].timezone: unknown time zone "Mountain/Utah"`);
    expect(error.message).toContain(
      `[40009].products["MAPLE BAR"]: must be a positive integer product id`,
    );
  });

  it('should read the default ./config/locations.json when LOCATIONS_FILE is not set', () => {
    const cwd = process.cwd();
    const repoless = mkdtempSync(join(dir, 'cwd-'));
    try {
      process.chdir(repoless);
      expect(configurationErrorOf({ ...REQUIRED_ENV }).problems).toEqual([
        `LOCATIONS_FILE: cannot read ./config/locations.json (ENOENT)${copyHint('./config/locations.json')}`,
      ]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('should report a location file it may not read', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const file = writeLocations(VALID);
    chmodSync(file, 0o000);
    try {
      expect(configurationErrorOf({ ...REQUIRED_ENV, LOCATIONS_FILE: file }).problems).toEqual([
        `LOCATIONS_FILE: cannot read ${file} (EACCES)`,
      ]);
    } finally {
      chmodSync(file, 0o600);
    }
  });
});

describe(jsonErrorOffset.name, () => {
  it('should find the first character that cannot continue the JSON, or -1 when it is valid', () => {
    expect(jsonErrorOffset('{"a": [1, 2.5e3, "x\\"y", true, null]}')).toBe(-1);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a": tru\n}')).toBe(9);
    expect(jsonErrorOffset('[1, 2] x')).toBe(7);
    expect(jsonErrorOffset('{"a": "x')).toBe(8);
    expect(jsonErrorOffset('')).toBe(0);
  });
});

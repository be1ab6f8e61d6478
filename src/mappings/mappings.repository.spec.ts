import { describeEachDatabase, SpecDatabase, specDatabases } from '../../test/support/pg-schema';
import { ManualClock } from '../common/clock';
import type { Location } from '../config/locations';
import { ProductMappingRow } from '../database/database.types';
import { MappingsRepository, withMappings } from './mappings.repository';

const tropicana: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: { 'TRIPLE OG': 579, 'MAPLE BAR': 590 },
  menuItems: { '5001': 579, '5002': 590 },
};

describeEachDatabase(specDatabases('mappings'), `${MappingsRepository.name} on $name`, (target) => {
  let mappings: MappingsRepository;
  const clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));

  let database: SpecDatabase;

  beforeAll(async () => {
    database = await target.open();
    mappings = new MappingsRepository(database.service, clock);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('should store a mapping and answer the stored row', async () => {
    const row = await mappings.upsert({
      location: '31883',
      kind: 'menuItem',
      menuItemId: '7001',
      productId: 581,
      note: 'new box',
    });
    expect(row).toEqual({
      location_key: '31883',
      kind: 'menuItem',
      source_key: '7001',
      display_name: null,
      product_id: 581,
      note: 'new box',
      created_at: clock.now().getTime(),
      updated_at: clock.now().getTime(),
    });
  });

  it('should replace the mapping of the same source, keeping its creation time', async () => {
    const created = clock.now().getTime();
    clock.advance(60_000);
    const row = await mappings.upsert({
      location: '31883',
      kind: 'menuItem',
      menuItemId: '7001',
      productId: 583,
    });
    expect(row).toMatchObject({ product_id: 583, note: null, created_at: created });
    expect(row.updated_at).toBe(created + 60_000);
    expect(await mappings.list('31883')).toHaveLength(1);
  });

  it('should key display names by their normalised form and keep the last spelling given', async () => {
    await mappings.upsert({
      location: '31883',
      kind: 'displayName',
      displayName: 'Mystery  Box',
      productId: 592,
    });
    const row = await mappings.upsert({
      location: '31883',
      kind: 'displayName',
      displayName: 'MYSTERY BOX ',
      productId: 594,
    });
    expect(row).toMatchObject({
      kind: 'displayName',
      source_key: 'mystery box',
      display_name: 'MYSTERY BOX ',
      product_id: 594,
    });
    expect(await mappings.list('31883')).toHaveLength(2);
  });

  it('should list every location, or one, in a stable order', async () => {
    await mappings.upsert({ location: '40009', kind: 'menuItem', menuItemId: '9', productId: 577 });
    expect(
      (await mappings.list()).map((r) => `${r.location_key}/${r.kind}/${r.source_key}`),
    ).toEqual(['31883/displayName/mystery box', '31883/menuItem/7001', '40009/menuItem/9']);
    expect(await mappings.list('40009')).toHaveLength(1);
    expect(await mappings.list('12345')).toEqual([]);
  });

  it('should lay a location’s mappings over its file maps, the database winning', async () => {
    await mappings.upsert({
      location: '31883',
      kind: 'menuItem',
      menuItemId: '5001',
      productId: 581,
    });
    await mappings.upsert({
      location: '31883',
      kind: 'displayName',
      displayName: 'triple  og',
      productId: 586,
    });
    const merged = await mappings.resolve(tropicana);
    expect(merged.menuItems).toEqual({ '5001': 581, '5002': 590, '7001': 583 });
    expect(merged.products).toEqual({ 'MAPLE BAR': 590, 'MYSTERY BOX ': 594, 'triple  og': 586 });
    expect(merged).toMatchObject({ key: '31883', revelEstablishmentId: 4 });
    // The file's own maps are untouched.
    expect(tropicana.menuItems['5001']).toBe(579);
    expect(tropicana.products['TRIPLE OG']).toBe(579);
  });

  it('should remove a mapping by its source, and say when there is none', async () => {
    const removed = await mappings.remove({
      location: '31883',
      kind: 'displayName',
      displayName: 'Mystery Box',
    });
    expect(removed).toMatchObject({ source_key: 'mystery box', product_id: 594 });
    expect(
      await mappings.remove({ location: '31883', kind: 'displayName', displayName: 'mystery box' }),
    ).toBeUndefined();
    expect(
      await mappings.remove({ location: '40009', kind: 'menuItem', menuItemId: '7001' }),
    ).toBeUndefined();
    expect((await mappings.list('31883')).map((r) => r.source_key).sort()).toEqual([
      '5001',
      '7001',
      'triple og',
    ]);
  });
});

describe(withMappings.name, () => {
  it('should answer the location itself when there are no mappings', () => {
    expect(withMappings(tropicana, [])).toBe(tropicana);
  });

  it('should drop every file spelling of a mapped name', () => {
    const row: ProductMappingRow = {
      location_key: '31883',
      kind: 'displayName',
      source_key: "ol' fashioned",
      display_name: "OL' FASHIONED",
      product_id: 588,
      note: null,
      created_at: 0,
      updated_at: 0,
    };
    const location = { ...tropicana, products: { 'OL’ FASHIONED': 1, 'Ol&#39; Fashioned': 2 } };
    expect(withMappings(location, [row]).products).toEqual({ "OL' FASHIONED": 588 });
  });
});

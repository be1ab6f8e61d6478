import { SpecDatabase, specDatabases } from '../../test/support/pg-schema';
import { ManualClock } from '../common/clock';
import type { Location } from '../config/locations';
import { ProductMappingRow } from '../database/database.types';
import { MappingsRepository, withMappings } from './mappings.repository';

const tropicana: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: { Pâté: 579 },
  menuItems: {},
};

const row = (overrides: Partial<ProductMappingRow>): ProductMappingRow => ({
  location_key: '31883',
  kind: 'displayName',
  source_key: 'pâté',
  display_name: 'Pâté',
  product_id: 601,
  note: null,
  created_at: 0,
  updated_at: 0,
  ...overrides,
});

describe(`${withMappings.name} with names stored under an older normalised form`, () => {
  it('should read a row by its display name folded today, dropping the file spelling it replaces', () => {
    expect(withMappings(tropicana, [row({})]).products).toEqual({ Pâté: 601 });
    const file = { ...tropicana, products: { PATE: 579, 'Crème Brûlée': 580 } };
    expect(withMappings(file, [row({})]).products).toEqual({ 'Crème Brûlée': 580, Pâté: 601 });
  });

  it('should keep the most recently updated of two rows that now fold to one name', () => {
    const old = row({ source_key: 'pâté', display_name: 'Pâté', product_id: 601, updated_at: 1 });
    const fresh = row({ source_key: 'pate', display_name: 'PATE', product_id: 602, updated_at: 2 });
    expect(withMappings(tropicana, [fresh, old]).products).toEqual({ PATE: 602 });
    expect(withMappings(tropicana, [old, fresh]).products).toEqual({ PATE: 602 });
  });
});

describe.each(specDatabases('mappings-folding'))(
  `${MappingsRepository.name} name folding on $name`,
  (target) => {
    let mappings: MappingsRepository;
    let database: SpecDatabase;
    const clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));

    beforeAll(async () => {
      database = await target.open();
      mappings = new MappingsRepository(database.service, clock);
    });

    afterAll(async () => {
      await database?.close();
    });

    const storeLegacy = (sourceKey: string, displayName: string, productId: number) =>
      database.service.db
        .insertInto('product_mappings')
        .values(row({ source_key: sourceKey, display_name: displayName, product_id: productId }))
        .execute();

    it('should key a name with accents, punctuation and spacing folded', async () => {
      const stored = await mappings.upsert({
        location: '31883',
        kind: 'displayName',
        displayName: 'Crème  Brûlée',
        productId: 610,
      });
      expect(stored).toMatchObject({ source_key: 'creme brulee', display_name: 'Crème  Brûlée' });
      const again = await mappings.upsert({
        location: '31883',
        kind: 'displayName',
        displayName: 'CREME BRULEE',
        productId: 611,
      });
      expect(again).toMatchObject({ source_key: 'creme brulee', product_id: 611 });
      expect(await mappings.list('31883')).toHaveLength(1);
    });

    it('should replace a row stored under an older form of the same name, leaving one mapping', async () => {
      await storeLegacy('pâté', 'Pâté', 601);
      const stored = await mappings.upsert({
        location: '31883',
        kind: 'displayName',
        displayName: 'PATE',
        productId: 602,
      });
      expect(stored).toMatchObject({ source_key: 'pate', product_id: 602 });
      expect((await mappings.list('31883')).map((r) => r.source_key).sort()).toEqual([
        'creme brulee',
        'pate',
      ]);
      expect((await mappings.resolve(tropicana)).products).toEqual({
        'CREME BRULEE': 611,
        PATE: 602,
      });
    });

    it('should remove a row stored under an older form by any spelling of its name', async () => {
      await mappings.remove({ location: '31883', kind: 'displayName', displayName: 'pate' });
      await storeLegacy('mac & cheese', 'Mac & Cheese', 620);
      const removed = await mappings.remove({
        location: '31883',
        kind: 'displayName',
        displayName: 'Mac and Cheese',
      });
      expect(removed).toMatchObject({ source_key: 'mac & cheese', product_id: 620 });
      expect((await mappings.list('31883')).map((r) => r.source_key)).toEqual(['creme brulee']);
    });
  },
);

import type { ConfigType } from '@nestjs/config';
import { ManualClock } from '../common/clock';
import type { revelConfig } from '../config/configuration';
import { MISS_REFRESH_INTERVAL_MS, RevelProductCatalog } from './product-catalog';
import type { RevelClient } from './revel.client';
import type { RevelProduct } from './revel.types';

/** A Revel client whose catalogue a test edits; counts the loads per establishment. */
class StubClient {
  readonly catalogue = new Map<number, RevelProduct[]>();
  readonly loads: number[] = [];
  failNext = false;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async listProducts(establishmentId: number): Promise<RevelProduct[]> {
    this.loads.push(establishmentId);
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('Revel answered 503');
    }
    return [...(this.catalogue.get(establishmentId) ?? [])];
  }
}

const product = (id: number, name: string): RevelProduct =>
  ({ id, name, price: 1, active: true }) as RevelProduct;

describe(`${RevelProductCatalog.name} refresh after a miss`, () => {
  let client: StubClient;
  let clock: ManualClock;
  let catalog: RevelProductCatalog;

  beforeEach(() => {
    client = new StubClient();
    clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));
    client.catalogue.set(4, [product(579, 'TRIPLE OG')]);
    client.catalogue.set(8, [product(579, 'TRIPLE OG')]);
    catalog = new RevelProductCatalog(
      client as unknown as RevelClient,
      { productCacheTtlSeconds: 600 } as ConfigType<typeof revelConfig>,
      clock,
    );
  });

  it('should find a product created in Revel after the last load once a minute has passed', async () => {
    await catalog.products(4);
    client.catalogue.get(4)!.push(product(650, 'DOZEN MAPLE GLAZED'));

    clock.advance(MISS_REFRESH_INTERVAL_MS);
    const fresh = await catalog.refreshAfterMiss(4);

    expect(fresh?.map((p) => p.name)).toContain('DOZEN MAPLE GLAZED');
    expect((await catalog.products(4)).map((p) => p.id)).toEqual([579, 650]);
    expect(client.loads).toEqual([4, 4]);
  });

  it('should reload at most once a minute per establishment', async () => {
    await catalog.products(4);
    await catalog.products(8);
    clock.advance(MISS_REFRESH_INTERVAL_MS - 1);
    expect(await catalog.refreshAfterMiss(4)).toBeUndefined();

    clock.advance(1);
    expect(await catalog.refreshAfterMiss(4)).toBeDefined();
    expect(await catalog.refreshAfterMiss(4)).toBeUndefined();
    clock.advance(MISS_REFRESH_INTERVAL_MS - 1);
    expect(await catalog.refreshAfterMiss(4)).toBeUndefined();
    expect(client.loads).toEqual([4, 8, 4]);

    // Another establishment's minute is its own.
    clock.advance(1);
    expect(await catalog.refreshAfterMiss(8)).toBeDefined();
    expect(client.loads).toEqual([4, 8, 4, 8]);
  });

  it('should load a catalogue never loaded, and share a load already in flight', async () => {
    client.hold();
    const first = catalog.products(4);
    const miss = catalog.refreshAfterMiss(4);
    client.release();
    expect(await miss).toEqual(await first);
    expect(client.loads).toEqual([4]);
  });

  it('should keep the cached catalogue when the reload fails, and count the attempt', async () => {
    await catalog.products(4);
    clock.advance(MISS_REFRESH_INTERVAL_MS);
    client.failNext = true;

    expect(await catalog.refreshAfterMiss(4)).toBeUndefined();
    expect((await catalog.products(4)).map((p) => p.id)).toEqual([579]);
    expect(await catalog.refreshAfterMiss(4)).toBeUndefined();
    expect(client.loads).toEqual([4, 4]);
  });

  it('should load again at once after a mapping invalidates the catalogue', async () => {
    await catalog.products(4);
    client.catalogue.get(4)!.push(product(650, 'DOZEN MAPLE GLAZED'));
    catalog.invalidate(4);
    expect((await catalog.products(4)).map((p) => p.id)).toEqual([579, 650]);
    expect(client.loads).toEqual([4, 4]);
  });
});

import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { revelConfig } from '../config/configuration';
import { RevelClient } from './revel.client';
import { RevelProduct } from './revel.types';

interface CacheEntry {
  products: RevelProduct[];
  expiresAt: number;
}

/** A miss reloads an establishment's catalogue at most this often. */
export const MISS_REFRESH_INTERVAL_MS = 60_000;

/**
 * Revel products per establishment, cached for PRODUCT_CACHE_TTL_SECONDS. A catalogue is several
 * pages and changes rarely, while a reconciliation run resolves items for many events of the same
 * establishment at once: those concurrent callers share one in-flight load. A failed load is not
 * cached, so the next caller tries again.
 *
 * A product created in Revel for a line that matched nothing must be found at once, not a TTL
 * later: a caller that missed (an unmatched line, an empty product search) asks
 * {@link refreshAfterMiss}, which reloads at most once a minute per establishment, and a saved
 * mapping {@link invalidate}s the establishment's catalogue.
 */
@Injectable()
export class RevelProductCatalog {
  private readonly cache = new Map<number, CacheEntry>();
  private readonly loading = new Map<number, Promise<RevelProduct[]>>();
  /** When each establishment's last load began (clock ms), whatever started it. */
  private readonly loadStartedAt = new Map<number, number>();
  private readonly ttlMs: number;

  constructor(
    private readonly client: RevelClient,
    @Inject(revelConfig.KEY) config: ConfigType<typeof revelConfig>,
    @Optional() private readonly clock: Clock = new Clock(),
  ) {
    this.ttlMs = Math.max(0, config.productCacheTtlSeconds) * 1000;
  }

  /** A copy of the catalogue, so a caller cannot alter what other callers see. */
  async products(establishmentId: number): Promise<RevelProduct[]> {
    const cached = this.cache.get(establishmentId);
    if (cached && cached.expiresAt > this.clock.now().getTime()) return [...cached.products];
    return [...(await this.loadShared(establishmentId))];
  }

  /**
   * After a miss: a freshly loaded catalogue, or undefined when the establishment's catalogue was
   * loaded (or a load began) less than a minute ago, or the reload failed. The cached catalogue
   * stays in place until a reload succeeds, so a failed one changes nothing for other callers.
   */
  async refreshAfterMiss(establishmentId: number): Promise<RevelProduct[] | undefined> {
    const inFlight = this.loading.get(establishmentId);
    if (inFlight) return inFlight.then((products) => [...products]).catch(() => undefined);
    const startedAt = this.loadStartedAt.get(establishmentId);
    if (
      startedAt !== undefined &&
      this.clock.now().getTime() - startedAt < MISS_REFRESH_INTERVAL_MS
    ) {
      return undefined;
    }
    try {
      return [...(await this.loadShared(establishmentId))];
    } catch {
      return undefined;
    }
  }

  /** Forgets one establishment's catalogue, or all of them. */
  invalidate(establishmentId?: number): void {
    if (establishmentId === undefined) this.cache.clear();
    else this.cache.delete(establishmentId);
  }

  private loadShared(establishmentId: number): Promise<RevelProduct[]> {
    let load = this.loading.get(establishmentId);
    if (!load) {
      this.loadStartedAt.set(establishmentId, this.clock.now().getTime());
      load = this.load(establishmentId);
      this.loading.set(establishmentId, load);
    }
    return load;
  }

  private async load(establishmentId: number): Promise<RevelProduct[]> {
    try {
      const products = await this.client.listProducts(establishmentId);
      this.cache.set(establishmentId, {
        products,
        expiresAt: this.clock.now().getTime() + this.ttlMs,
      });
      return products;
    } finally {
      this.loading.delete(establishmentId);
    }
  }
}

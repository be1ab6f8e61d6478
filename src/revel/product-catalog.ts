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

/**
 * Revel products per establishment, cached for PRODUCT_CACHE_TTL_SECONDS. A catalogue is several
 * pages and changes rarely, while a reconciliation run resolves items for many events of the same
 * establishment at once: those concurrent callers share one in-flight load. A failed load is not
 * cached, so the next caller tries again.
 */
@Injectable()
export class RevelProductCatalog {
  private readonly cache = new Map<number, CacheEntry>();
  private readonly loading = new Map<number, Promise<RevelProduct[]>>();
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
    let load = this.loading.get(establishmentId);
    if (!load) {
      load = this.load(establishmentId);
      this.loading.set(establishmentId, load);
    }
    return [...(await load)];
  }

  /** Forgets one establishment's catalogue, or all of them. */
  invalidate(establishmentId?: number): void {
    if (establishmentId === undefined) this.cache.clear();
    else this.cache.delete(establishmentId);
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

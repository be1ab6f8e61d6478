import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DatabaseService } from '../database/database.service';

/**
 * Up when the ledger can be written, not merely read: a full disk, a read-only file or a read-only
 * standby after a failover leave reads working while no webhook could be recorded. The write probe
 * is cached for a few seconds (DatabaseService), so frequent probes cost one small UPDATE.
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly database: DatabaseService,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'database'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    const probe = await this.database.probeWrite();
    const data = {
      dialect: this.database.dialect,
      writable: probe.ok,
      probedAt: new Date(probe.at).toISOString(),
      latencyMs: probe.latencyMs,
    };
    return probe.ok
      ? indicator.up(data)
      : indicator.down({ ...data, message: probe.message ?? 'the ledger cannot be written' });
  }
}

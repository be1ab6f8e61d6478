import { Injectable, Logger } from '@nestjs/common';
import { LedgerRepository } from '../database/ledger.repository';
import { mappingResolves, parseUnmatched } from '../sync/unmatched';
import type { MappingSource } from './mappings.repository';

/**
 * After a mapping is saved, the HELD events of its location with a line it resolves are made due
 * at once. The ledger is the signal: every replica's worker claims due rows, so the order is
 * written by whichever polls first (within WORKER_POLL_MS), with the mapping applied.
 */
@Injectable()
export class HeldEventRelease {
  private readonly logger = new Logger(HeldEventRelease.name);

  constructor(private readonly ledger: LedgerRepository) {}

  async afterSave(source: MappingSource): Promise<string[]> {
    const released = await this.ledger.releaseHeld(source.location, (text) =>
      parseUnmatched(text).some((line) => mappingResolves(source, line)),
    );
    if (released.length > 0) {
      this.logger.log(
        { location: source.location, eventIds: released },
        `a mapping resolves lines of ${released.length} held event(s); they are due now`,
      );
    }
    return released;
  }
}

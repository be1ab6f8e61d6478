import { SpecDatabase, specDatabases } from '../../test/support/pg-schema';
import { ManualClock } from '../common/clock';
import { LedgerRepository } from './ledger.repository';

describe.each(specDatabases('fairclaim'))('fair claims on $name', (target) => {
  let ledger: LedgerRepository;
  const clock = new ManualClock(new Date('2026-03-01T18:00:00Z'));
  let database: SpecDatabase;

  beforeAll(async () => {
    database = await target.open();
    ledger = new LedgerRepository(database.service, clock);
  });

  afterAll(async () => {
    await database?.close();
  });

  it("should take another source's due row before more of a source it took last", async () => {
    const bulk = Array.from({ length: 10 }, (_, i) => String(5000 + i));
    expect(await ledger.recordDelivery('bulk-delivery', 'UPDATE_BOOKING', bulk, 'corr-bulk')).toBe(
      true,
    );
    clock.advance(1_000);
    await ledger.enqueue('5100', { correlationId: 'corr-one' });
    clock.advance(1_000);

    const first = await ledger.claim('w', 1, 60_000, undefined, []);
    expect(first.map((row) => row.event_id)).toEqual(['5000']);
    // The bulk was taken last: the ordinary event, queued a second later, goes next (and alone).
    const second = await ledger.claim('w', 1, 60_000, undefined, ['corr-bulk']);
    expect(second.map((row) => row.event_id)).toEqual(['5100']);
    // Nothing else is due: the bulk goes on, oldest first, whatever was taken last.
    const rest = await ledger.claim('w', 20, 60_000, undefined, ['corr-bulk', 'corr-one']);
    expect(rest.map((row) => row.event_id).sort()).toEqual(bulk.slice(1));
  });

  it('should claim oldest first without recent sources, and one given row whatever they are', async () => {
    await ledger.enqueue('6001', { correlationId: 'a' });
    clock.advance(10);
    await ledger.enqueue('6002', { correlationId: 'b' });
    clock.advance(10);
    const [given] = await ledger.claim('w', 1, 60_000, '6002', ['a']);
    expect(given.event_id).toBe('6002');
    const [next] = await ledger.claim('w', 5, 60_000, undefined, []);
    expect(next.event_id).toBe('6001');
  });
});

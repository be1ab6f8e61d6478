import { fixtureProducts } from '../../sandbox/revel.sandbox';
import { fixtureEvent, invoiceDocument } from '../../sandbox/tripleseat.fixtures';
import { ManualClock } from '../common/clock';
import type { Location } from '../config/locations';
import { LEGACY_LEDGER_ID, SyncEventRow } from '../database/database.types';
import type { Outcome } from '../database/ledger.repository';
import type { MappingSource } from '../mappings/mappings.repository';
import type { RevelProduct } from '../revel/revel.types';
import type { TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { EventPipelineService } from './event-pipeline.service';
import { ReasonCode } from './reason-codes';
import { unmatchedKey } from './unmatched';

/**
 * The pipeline's decisions for an event with lines that match no product, with its upstreams
 * stubbed: hold on its day until the deadline, write at or past it, on request or with
 * UNMATCHED_POLICY=write, skip at it when nothing matches, and carry the lines of a future event.
 */

const LA: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: { 'TRIPLE OG': 579 },
  menuItems: {},
};

const products: RevelProduct[] = fixtureProducts().map((p) => ({
  id: p.id,
  resource_uri: `/resources/Product/${p.id}/`,
  name: p.name,
  price: p.price ?? null,
  active: true,
}));

/** 2025-12-28 09:00 in Los Angeles; the 18:00 start's deadline is 15:00 (23:00Z). */
const MORNING = new Date('2025-12-28T17:00:00Z');
const DEADLINE = new Date('2025-12-28T23:00:00Z');

const partlyMatched = (overrides: Record<string, unknown> = {}): TripleSeatEvent =>
  fixtureEvent({
    id: 61000101,
    event_date: '12/28/2025',
    documents: [
      invoiceDocument({
        lines: [
          { name: 'TRIPLE OG', quantity: 8, price: '3.60' },
          { name: 'Dozen Maple Glazed', quantity: 2, price: '15.00' },
        ],
      }),
    ],
    ...overrides,
  });

const nothingMatches = (): TripleSeatEvent =>
  fixtureEvent({
    id: 61000102,
    event_date: '12/28/2025',
    documents: [
      invoiceDocument({ lines: [{ name: 'Avocado Toast', quantity: 10, price: '8.00' }] }),
    ],
  });

const claimed = (event: TripleSeatEvent, more: Partial<SyncEventRow> = {}): SyncEventRow => ({
  event_id: String(event.id),
  state: 'IN_PROGRESS',
  reason: 'QUEUED',
  detail: null,
  attempts: 0,
  next_attempt_at: 0,
  lease_owner: 'w',
  lease_expires_at: 0,
  revel_order_id: null,
  establishment_id: null,
  location_key: null,
  event_date: null,
  progress: null,
  order_summary: null,
  content_hash: null,
  source_updated_at: null,
  correlation_id: null,
  created_at: 0,
  updated_at: 0,
  drift_check_at: null,
  drift: null,
  event_name: null,
  unmatched: null,
  allow_unmatched: 0,
  unmatched_notified: null,
  ...more,
});

function pipelineFor(
  event: TripleSeatEvent,
  options: { policy?: 'hold' | 'write'; now?: Date; changed?: MappingSource[] } = {},
) {
  const settled: Outcome[] = [];
  const ledger = {
    ledgerId: LEGACY_LEDGER_ID,
    settle: jest.fn((_id: string, _owner: string, outcome: Outcome) => {
      settled.push(outcome);
      return Promise.resolve(true);
    }),
    saveProgress: jest.fn(() => Promise.resolve(true)),
    makeHeldDue: jest.fn(() => Promise.resolve()),
  };
  const writer = {
    write: jest.fn((_draft: { notes: string }) =>
      Promise.resolve({ kind: 'written', orderId: 9001, resumed: false, repairs: [] }),
    ),
  };
  const mailer = {
    orderInjected: jest.fn(() => Promise.resolve(true)),
    unmatchedItems: jest.fn(() => Promise.resolve(true)),
    eventFailed: jest.fn(() => Promise.resolve(true)),
  };
  const mappings = {
    resolve: (l: Location) => Promise.resolve(l),
    changedSince: jest.fn(() => Promise.resolve(options.changed ?? [])),
  };
  const config = {
    locations: new Map([[LA.key, LA]]),
    eligibleStatuses: ['CLOSED'],
    invoiceDocumentPattern: /invoice/i,
    ignoredLineCategories: [],
    fuzzyThreshold: 0.75,
    unmatchedPolicy: options.policy ?? 'hold',
    unmatchedWriteLeadMinutes: 180,
    leaseSeconds: 120,
    maxAttempts: 3,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1000,
  };
  const pipeline = new EventPipelineService(
    config as never,
    { localIdTemplate: 'Triple Seat_{eventId}' } as never,
    ledger as never,
    { getEvent: () => Promise.resolve(event) } as never,
    {
      products: () => Promise.resolve(products),
      // The catalogue was just read: a miss finds nothing newer.
      refreshAfterMiss: () => Promise.resolve(undefined),
    } as never,
    writer as never,
    mailer as never,
    new ManualClock(options.now ?? MORNING),
    mappings as never,
    { dryRun: false } as never,
  );
  return { pipeline, settled, ledger, writer, mailer };
}

describe('EventPipelineService with unmatched lines', () => {
  it('should hold a partly matched event on its day until its deadline, with its lines on the row, and tell once', async () => {
    const event = partlyMatched();
    const { pipeline, settled, writer, mailer } = pipelineFor(event);
    await expect(pipeline.process(claimed(event), 'w')).resolves.toBe('HELD');
    expect(settled[0]).toMatchObject({
      state: 'HELD',
      reason: ReasonCode.UNMATCHED_ITEMS,
      nextAttemptAt: DEADLINE.getTime(),
      unmatched: [{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }],
      attempts: 0,
    });
    expect(writer.write).not.toHaveBeenCalled();
    expect(mailer.unmatchedItems).toHaveBeenCalledTimes(1);
    expect(mailer.unmatchedItems).toHaveBeenCalledWith(
      expect.objectContaining({
        held: 'held',
        unmatched: [expect.objectContaining({ amount: '30.00' })],
      }),
    );

    // The same set again: held, not told again.
    const again = pipelineFor(event);
    const told = unmatchedKey([{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }]);
    await again.pipeline.process(claimed(event, { unmatched_notified: told }), 'w');
    expect(again.settled[0]).toMatchObject({ state: 'HELD', reason: ReasonCode.UNMATCHED_ITEMS });
    expect(again.settled[0].unmatchedNotified).toBeUndefined();
    expect(again.mailer.unmatchedItems).not.toHaveBeenCalled();
  });

  it('should make its own row due again when a mapping of one of its lines was saved during the pass', async () => {
    const event = partlyMatched();
    const changed: MappingSource[] = [
      { location: LA.key, kind: 'displayName', displayName: 'dozen  MAPLE glazed' },
    ];
    const { pipeline, ledger } = pipelineFor(event, { changed });
    await pipeline.process(claimed(event), 'w');
    expect(ledger.makeHeldDue).toHaveBeenCalledWith(String(event.id));

    const other = pipelineFor(event, {
      changed: [{ location: LA.key, kind: 'displayName', displayName: 'Kale Smoothie' }],
    });
    await other.pipeline.process(claimed(event), 'w');
    expect(other.ledger.makeHeldDue).not.toHaveBeenCalled();
  });

  it.each([
    ['at its deadline', { now: DEADLINE }, {}],
    ['past its deadline', { now: new Date(DEADLINE.getTime() + 3_600_000) }, {}],
    ['on request (allow_unmatched)', {}, { allow_unmatched: 1 }],
    ['with UNMATCHED_POLICY=write', { policy: 'write' as const }, {}],
  ])(
    'should write what matches %s, the notes naming the lines left out',
    async (_case, options, row) => {
      const event = partlyMatched();
      const { pipeline, settled, writer, mailer } = pipelineFor(event, options);
      await expect(pipeline.process(claimed(event, row), 'w')).resolves.toBe('INJECTED');
      expect(writer.write).toHaveBeenCalledTimes(1);
      const draft = writer.write.mock.calls[0][0];
      expect(draft.notes).toContain(
        'NOT ON THIS ORDER, add by hand: 2 × Dozen Maple Glazed (30.00)',
      );
      expect(settled[0]).toMatchObject({
        state: 'INJECTED',
        unmatched: [{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }],
      });
      expect(settled[0].detail).toBeUndefined();
      expect(mailer.orderInjected).toHaveBeenCalledWith(
        expect.objectContaining({
          unmatched: [{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }],
        }),
      );
    },
  );

  it('should complete a partly written order whatever its unmatched lines', async () => {
    const event = partlyMatched();
    const { pipeline, writer } = pipelineFor(event);
    await pipeline.process(claimed(event, { progress: JSON.stringify({ orderId: 77 }) }), 'w');
    expect(writer.write).toHaveBeenCalledTimes(1);
  });

  it('should hold an event where no line matches until its deadline, then skip it with an alert', async () => {
    const event = nothingMatches();
    const before = pipelineFor(event);
    await expect(before.pipeline.process(claimed(event), 'w')).resolves.toBe('HELD');
    expect(before.settled[0]).toMatchObject({ reason: ReasonCode.UNMATCHED_ITEMS });
    expect(before.settled[0].detail).toContain('no line matches');

    const at = pipelineFor(event, { now: DEADLINE });
    await expect(at.pipeline.process(claimed(event), 'w')).resolves.toBe('SKIPPED');
    expect(at.settled[0]).toMatchObject({
      reason: ReasonCode.NO_ITEMS_MATCHED,
      unmatched: [{ name: 'Avocado Toast', quantity: 10, amount: '80.00' }],
    });
    expect(at.writer.write).not.toHaveBeenCalled();
    expect(at.mailer.eventFailed).toHaveBeenCalledWith(
      expect.objectContaining({ state: 'SKIPPED', reason: ReasonCode.NO_ITEMS_MATCHED }),
    );
  });

  it('should keep a future event HELD/TOO_EARLY with its unmatched lines and its draft, told as an early warning', async () => {
    const event = partlyMatched({ event_date: '12/31/2025' });
    const { pipeline, settled, mailer } = pipelineFor(event);
    await expect(pipeline.process(claimed(event), 'w')).resolves.toBe('HELD');
    expect(settled[0]).toMatchObject({
      reason: ReasonCode.TOO_EARLY,
      unmatched: [{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }],
      orderSummary: expect.objectContaining({ finalTotal: '58.80' }),
    });
    expect(settled[0].unmatchedNotified).toEqual(expect.any(String));
    expect(mailer.unmatchedItems).toHaveBeenCalledWith(expect.objectContaining({ held: 'early' }));
  });

  it('should clear the unmatched lines of an event that no longer gets an order (cancelled)', async () => {
    const event = partlyMatched({ status: 'LOST' });
    const { pipeline, settled } = pipelineFor(event);
    const told = unmatchedKey([{ name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' }]);
    await expect(
      pipeline.process(
        claimed(event, { unmatched: '[{"name":"x","quantity":1}]', unmatched_notified: told }),
        'w',
      ),
    ).resolves.toBe('SKIPPED');
    expect(settled[0]).toMatchObject({ reason: ReasonCode.STATUS_NOT_ELIGIBLE, unmatched: null });
  });

  it('should hold a future event even when its draft cannot be built now', async () => {
    const event = partlyMatched({ event_date: '12/31/2025' });
    const { pipeline, settled, mailer } = pipelineFor(event);
    (pipeline as unknown as { catalog: { products: () => Promise<never> } }).catalog = {
      products: () => Promise.reject(new Error('Revel is down')),
    };
    await expect(pipeline.process(claimed(event), 'w')).resolves.toBe('HELD');
    expect(settled[0]).toMatchObject({ reason: ReasonCode.TOO_EARLY });
    expect(settled[0].unmatched).toBeUndefined();
    expect(mailer.unmatchedItems).not.toHaveBeenCalled();
  });
});

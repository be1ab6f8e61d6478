import {
  describeDrift,
  DriftSnapshot,
  OrderSummary,
  parseDriftRecord,
  parseOrderSummary,
  sameChanges,
} from './drift';

const line = (name: string, productId: number, quantity: number, unitPrice: string) => ({
  name,
  sourceName: name,
  productId,
  quantity,
  unitPrice,
  lineTotal: (Number(unitPrice) * quantity).toFixed(2),
  match: 'exact' as const,
});

const order = (overrides: Partial<OrderSummary> = {}): OrderSummary => ({
  establishmentId: 4,
  localId: 'Triple Seat_1',
  lines: [line('TRIPLE OG', 579, 8, '3.60'), line('FUDGY WUDGY', 592, 6, '3.25')],
  unmatched: [],
  subtotal: '48.30',
  discount: '3.30',
  surcharge: '0.00',
  finalTotal: '45.00',
  guestCount: 25,
  status: 'CLOSED',
  ...overrides,
});

const snapshot = (o: OrderSummary | null, extra: Partial<DriftSnapshot> = {}): DriftSnapshot => ({
  status: o?.status ?? 'CLOSED',
  guestCount: o?.guestCount ?? 25,
  eventDate: '2025-12-28',
  order: o,
  ...extra,
});

describe('describeDrift', () => {
  it('should find nothing when the event still gives the same order', () => {
    expect(describeDrift(snapshot(order()), snapshot(order()))).toEqual([]);
  });

  it('should describe quantity, price, guest count and total changes readably', () => {
    const after = order({
      lines: [line('TRIPLE OG', 579, 10, '3.60'), line('FUDGY WUDGY', 592, 6, '3.50')],
      subtotal: '57.00',
      discount: '0.00',
      surcharge: '0.00',
      finalTotal: '57.00',
      guestCount: 30,
    });
    expect(describeDrift(snapshot(order()), snapshot(after))).toEqual([
      'guest count 25 → 30',
      'TRIPLE OG: quantity 8 → 10',
      'FUDGY WUDGY: unit price 3.25 → 3.50',
      'subtotal 48.30 → 57.00',
      'discount 3.30 → 0.00',
      'final total 45.00 → 57.00',
    ]);
  });

  it('should list added and removed items and a changed list of unmatched items', () => {
    const after = order({
      lines: [line('TRIPLE OG', 579, 8, '3.60'), line('MAPLE BAR', 590, 2, '2.50')],
      unmatched: [{ name: 'Kale Smoothie', quantity: 3 }],
      subtotal: '33.80',
      discount: '0.00',
      surcharge: '11.20',
    });
    expect(describeDrift(snapshot(order()), snapshot(after))).toEqual([
      'FUDGY WUDGY: removed (was 6 × 3.25)',
      'MAPLE BAR: added (2 × 2.50)',
      'unmatched items (none) → 3 × Kale Smoothie',
      'subtotal 48.30 → 33.80',
      'discount 3.30 → 0.00',
      'surcharge 0.00 → 11.20',
    ]);
  });

  it('should call a LOST event cancelled, and a deleted one deleted', () => {
    const lost: DriftSnapshot = {
      status: 'LOST',
      guestCount: 25,
      order: null,
      ineligible: { reason: 'STATUS_NOT_ELIGIBLE', detail: 'status "LOST" is not one of CLOSED' },
    };
    expect(describeDrift(snapshot(order()), lost)).toEqual(['status CLOSED → LOST (cancelled)']);
    expect(describeDrift(snapshot(order()), null)).toEqual(['event deleted in TripleSeat']);
    const tentative: DriftSnapshot = { ...lost, status: 'TENTATIVE' };
    expect(describeDrift(snapshot(order()), tentative)).toEqual([
      'status CLOSED → TENTATIVE (no longer eligible)',
    ]);
  });

  it('should report a moved date, another establishment and other lost eligibility', () => {
    const moved = snapshot(order({ establishmentId: 9 }), { eventDate: '2026-01-05' });
    expect(describeDrift(snapshot(order()), moved)).toEqual([
      'event date 2025-12-28 → 2026-01-05',
      'Revel establishment 4 → 9',
    ]);
    const unmapped: DriftSnapshot = {
      status: 'CLOSED',
      guestCount: 25,
      order: null,
      ineligible: { reason: 'LOCATION_NOT_MAPPED', detail: 'no location map entry for "99"' },
    };
    expect(describeDrift(snapshot(order()), unmapped)).toEqual([
      'no longer eligible: LOCATION_NOT_MAPPED (no location map entry for "99")',
    ]);
  });

  it('should not compare what a row written before drift detection does not know', () => {
    const old = order();
    delete old.guestCount;
    delete old.status;
    const before: DriftSnapshot = { order: old, eventDate: undefined };
    expect(describeDrift(before, snapshot(order({ guestCount: 40, status: 'DEFINITE' })))).toEqual(
      [],
    );
  });

  it('should pair repeated products line by line and compare money by value', () => {
    const before = order({
      lines: [line('OG', 577, 2, '1.75'), line('OG', 577, 3, '1.75')],
      subtotal: '8.75',
      discount: '0.00',
      finalTotal: '8.75',
    });
    const after = order({
      lines: [line('OG', 577, 2, '1.750'), line('OG', 577, 4, '1.75')],
      subtotal: '10.50',
      discount: '0.00',
      finalTotal: '10.50',
    });
    expect(describeDrift(snapshot(before), snapshot(after))).toEqual([
      'OG: quantity 3 → 4',
      'subtotal 8.75 → 10.50',
      'final total 8.75 → 10.50',
    ]);
  });
});

describe('drift records', () => {
  it('should compare change sets regardless of order', () => {
    expect(sameChanges(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameChanges(['a'], ['a', 'b'])).toBe(false);
    expect(sameChanges(['a', 'c'], ['a', 'b'])).toBe(false);
  });

  it('should read back what the ledger stores and refuse what it does not', () => {
    const record = { detectedAt: '2025-12-28T20:00:00.000Z', changes: ['x'], current: order() };
    expect(parseDriftRecord(JSON.stringify(record))).toEqual(record);
    expect(parseDriftRecord(null)).toBeNull();
    expect(parseDriftRecord('{not json')).toBeNull();
    expect(parseOrderSummary(JSON.stringify(order()))).toEqual(order());
    expect(parseOrderSummary('{"lines":"nope"}')).toBeNull();
  });
});

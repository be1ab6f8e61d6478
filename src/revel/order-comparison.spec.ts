import {
  compareHead,
  compareOrder,
  describeDifference,
  ExpectedOrder,
  repairable,
} from './order-comparison';
import { RevelOrder, RevelOrderHistory, RevelOrderItem, RevelPayment } from './revel.types';

const expected: ExpectedOrder = {
  eventId: '55500001',
  establishmentId: 4,
  orderUuid: 'order-uuid',
  paymentUuid: 'payment-uuid',
  historyUuid: 'history-uuid',
  subtotalCents: 1360,
  discountCents: 0,
  surchargeCents: 0,
  finalTotalCents: 1360,
  localTimestamp: '2026-12-04T09:00:00',
  lines: [
    { index: 0, uuid: 'line-0', productId: 579, quantity: 2, unitPriceCents: 360 },
    { index: 1, uuid: 'line-1', productId: 592, quantity: 2, unitPriceCents: 320 },
  ],
};

const head = (over: Partial<RevelOrder> = {}): RevelOrder => ({
  id: 9000001,
  resource_uri: '/resources/Order/9000001/',
  uuid: 'order-uuid',
  establishment: '/enterprise/Establishment/4/',
  local_id: 'Triple Seat_55500001',
  // Revel answers money as JSON numbers (upstream-facts, "Revel order detail").
  subtotal: 13.6,
  final_total: 13.6,
  discount_amount: 0,
  remaining_due: 0,
  printed: true,
  closed: true,
  deleted: false,
  ...over,
});

const item = (id: number, uuid: string, product: number, quantity: number, price: string) =>
  ({
    id,
    uuid,
    resource_uri: `/resources/OrderItem/${id}/`,
    order: '/resources/Order/9000001/',
    product: `/resources/Product/${product}/`,
    quantity,
    price,
  }) as RevelOrderItem;

const payment = (id: number, uuid: string, amount: string): RevelPayment => ({
  id,
  uuid,
  resource_uri: `/resources/Payment/${id}/`,
  order: '/resources/Order/9000001/',
  amount,
});

const history: RevelOrderHistory = {
  id: 7000001,
  uuid: 'history-uuid',
  resource_uri: '/resources/OrderHistory/7000001/',
  order: '/resources/Order/9000001/',
};

const items = [item(8000001, 'line-0', 579, 2, '3.60'), item(8000002, 'line-1', 592, 2, '3.20')];
const payments = [payment(8100003, 'payment-uuid', '13.60')];

describe('order comparison', () => {
  it('should find nothing when what landed is the draft, to the cent', () => {
    expect(compareOrder(expected, head(), items, payments, [history])).toEqual({
      differences: [],
      foreign: [],
    });
    expect(compareHead(expected, head({ subtotal: '13.600000', final_total: '13.60' }))).toEqual(
      [],
    );
  });

  it('should name a payment of another amount, and not repair it', () => {
    const { differences } = compareOrder(
      expected,
      head(),
      items,
      [payment(8100003, 'payment-uuid', '10.00')],
      [history],
    );
    expect(differences).toEqual([
      { kind: 'payment', id: 8100003, actualCents: 1000, expectedCents: 1360 },
    ]);
    expect(describeDifference(differences[0])).toBe(
      'payment 8100003 is 10.00, the invoice says 13.60',
    );
    expect(repairable(differences[0])).toBe(false);
  });

  it('should find a missing item, payment and history record of ours, each repairable', () => {
    const { differences } = compareOrder(
      expected,
      head({ closed: false, remaining_due: 13.6 }),
      [items[0]],
      [],
      [],
    );
    expect(differences).toEqual(
      expect.arrayContaining([
        { kind: 'missing', resource: 'OrderItem', uuid: 'line-1', lineIndex: 1 },
        { kind: 'missing', resource: 'Payment', uuid: 'payment-uuid' },
        { kind: 'missing', resource: 'OrderHistory', uuid: 'history-uuid' },
      ]),
    );
    // The order is open and due because its payment and history are missing: that is no extra finding.
    expect(differences.find((d) => d.kind === 'not-closed')).toBeUndefined();
    expect(differences.filter((d) => d.kind === 'missing').every(repairable)).toBe(true);
  });

  it('should name an item whose product, quantity or price changed', () => {
    const { differences } = compareOrder(
      expected,
      head(),
      [items[0], item(8000002, 'line-1', 600, 3, '3.25')],
      payments,
      [history],
    );
    expect(differences.map(describeDifference)).toEqual([
      'item 8000002 is product 600, the invoice says 592',
      'item 8000002 has quantity 3, the invoice says 2',
      'item 8000002 is priced 3.25, the invoice says 3.20',
    ]);
    expect(differences.some(repairable)).toBe(false);
  });

  it('should name each total that differs, repairable, and the flags', () => {
    const differences = compareHead(
      expected,
      head({ subtotal: 13.6, final_total: 14.74, remaining_due: 1.14, printed: false }),
    );
    expect(differences.map(describeDifference)).toEqual([
      'final total is 14.74, the invoice says 13.60',
      'remaining due is 1.14, the invoice says 0.00',
      'order is not marked printed',
    ]);
    expect(differences.every(repairable)).toBe(true);
    expect(
      compareHead(expected, head({ deleted: true, closed: false })).map((d) => d.kind),
    ).toEqual(['not-closed', 'deleted']);
    expect(
      compareHead({ ...expected, discountCents: 250 }, head({ discount_amount: 2.5 })),
    ).toEqual([]);
    expect(compareHead({ ...expected, discountCents: 250 }, head())).toEqual([
      { kind: 'total', field: 'discount', actualCents: 0, expectedCents: 250 },
    ]);
  });

  it("should tolerate a cashier's item and payment: noted as foreign, totals left to them", () => {
    const drink = item(8000009, 'a-cashier-item', 700, 1, '2.50');
    const tip = payment(8100009, 'a-cashier-payment', '2.50');
    const comparison = compareOrder(
      expected,
      head({ subtotal: 16.1, final_total: 16.1 }),
      [...items, drink],
      [...payments, tip],
      [history],
    );
    expect(comparison).toEqual({
      differences: [],
      foreign: ['OrderItem 8000009', 'Payment 8100009'],
    });
  });

  it('should accept a 0.00 order without a payment, and name a payment on one', () => {
    const free: ExpectedOrder = {
      ...expected,
      subtotalCents: 0,
      finalTotalCents: 0,
      lines: [{ index: 0, uuid: 'line-0', productId: 579, quantity: 1, unitPriceCents: 0 }],
    };
    const zero = head({ subtotal: 0, final_total: 0 });
    const freeItems = [item(8000001, 'line-0', 579, 1, '0.00')];
    expect(compareOrder(free, zero, freeItems, [], [history]).differences).toEqual([]);
    const paid = compareOrder(
      free,
      zero,
      freeItems,
      [payment(8100003, 'payment-uuid', '0.00')],
      [history],
    ).differences;
    expect(paid.map(describeDifference)).toEqual([
      "payment 8100003 is there, but the invoice's final total is 0.00",
    ]);
  });

  it('should compare only payment, history and totals when the items are not known by uuid', () => {
    const { lines: _lines, ...withoutLines } = expected;
    const comparison = compareOrder(
      withoutLines,
      head(),
      [item(8000005, 'resync-uuid', 579, 2, '3.60')],
      payments,
      [history],
    );
    expect(comparison).toEqual({ differences: [], foreign: [] });
  });
});

import { Test } from '@nestjs/testing';
import type { ConfigType } from '@nestjs/config';
import { fixtureProducts, RevelSandbox } from '../../sandbox/revel.sandbox';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig } from '../config/configuration';
import { OrderDraft, OrderLine, OrderWriteProgress } from '../orders/order-draft';
import { historyUuid, itemUuid, orderUuid, paymentUuid } from '../orders/order.mapper';
import {
  centsToDecimal,
  InvalidOrderDraftError,
  RevelOrderWriter,
  WritesStoppedError,
} from './order-writer.service';
import { REVEL_HTTP_TUNING } from './revel.client';
import { RevelModule } from './revel.module';

const API_KEY = 'key-123';
const API_SECRET = 'secret-456';
const ESTABLISHMENT = 4;
const EVENT_ID = '55521609';

function line(
  index: number,
  productId: number,
  name: string,
  quantity: number,
  unitPriceCents: number,
): OrderLine {
  return {
    index,
    uuid: `6f1c2a4e-0000-5000-8000-${String(index).padStart(12, '0')}`,
    productId,
    productName: name,
    sourceName: name,
    quantity,
    unitPriceCents,
    lineTotalCents: quantity * unitPriceCents,
    match: 'exact',
    score: 1,
  };
}

/** The party of upstream-facts §3.4: 8 of each, invoice 108.80 below an item subtotal of 110.00. */
function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
  const lines = [
    line(0, 577, 'OG', 8, 175),
    line(1, 579, 'TRIPLE OG', 8, 200),
    line(2, 581, 'SUGA DADDY', 8, 225),
    line(3, 583, "FEELIN' TOASTY", 8, 250),
    line(4, 590, 'MAPLE BAR', 8, 250),
    line(5, 592, 'FUDGY WUDGY', 8, 275),
  ];
  return {
    eventId: EVENT_ID,
    ledgerId: '00000000-0000-0000-0000-000000000000',
    establishmentId: ESTABLISHMENT,
    localId: `Triple Seat_${EVENT_ID}`,
    legacyLocalIds: [`Triple Seat ${EVENT_ID}`, `tripleseat_event_${EVENT_ID}`],
    orderUuid: '0d9e4c1a-7f3b-5a2e-9c4d-000000000001',
    paymentUuid: '0d9e4c1a-7f3b-5a2e-9c4d-000000000002',
    historyUuid: '0d9e4c1a-7f3b-5a2e-9c4d-000000000003',
    callName: 'Jon Ponder | 702-555-0199',
    notes: `Triple Seat Event #${EVENT_ID} | Phone: 702-555-0199`,
    lines,
    unmatched: [],
    source: { kind: 'document', documentId: '296467', title: 'Invoice', rule: 'title' },
    ignored: [],
    adjustments: [{ kind: 'other', label: 'Invoice discounts', amountCents: -120 }],
    grandTotalSource: 'document',
    subtotalCents: 11000,
    discountCents: 120,
    surchargeCents: 0,
    finalTotalCents: 10880,
    localTimestamp: '2025-12-28T12:56:00',
    ...overrides,
  };
}

/** What the ledger would hold: the last progress handed to saveProgress. */
function ledger() {
  const saved: OrderWriteProgress[] = [];
  return {
    saved,
    last: (): OrderWriteProgress => saved[saved.length - 1] ?? {},
    save: (p: OrderWriteProgress) => {
      saved.push(structuredClone(p));
      return Promise.resolve();
    },
  };
}

const WRITE_ROUTES = [
  'POST /resources/Order/',
  'PATCH /resources/Order/:id/',
  'POST /resources/OrderItem/',
  'POST /resources/Payment/',
  'POST /resources/OrderHistory/',
];

describe(RevelOrderWriter.name, () => {
  let settings: ConfigType<typeof revelConfig>;
  let sandbox: RevelSandbox;
  let writer: RevelOrderWriter;
  let close: () => Promise<void>;

  const writes = () => WRITE_ROUTES.reduce((sum, route) => sum + sandbox.requestCount(route), 0);

  beforeAll(async () => {
    sandbox = await RevelSandbox.start({ apiKey: API_KEY, apiSecret: API_SECRET, port: 0 });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(async () => {
    sandbox.reset();
    sandbox.seedProducts(ESTABLISHMENT, fixtureProducts());
    settings = {
      apiBaseUrl: sandbox.url,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      userId: 1,
      posStationId: 4,
      diningOptionId: 113,
      discountId: 3358,
      paymentTypeId: 236,
      localIdTemplate: 'Triple Seat_{eventId}',
      productCacheTtlSeconds: 600,
      writeSettleSeconds: 0,
      ratePerSecond: 1000,
      timeoutMs: 300,
      maxAttempts: 3,
    };
    const moduleRef = await Test.createTestingModule({ imports: [RevelModule] })
      .overrideProvider(revelConfig.KEY)
      .useValue(settings)
      .overrideProvider(REVEL_HTTP_TUNING)
      .useValue({ baseDelayMs: 10, maxDelayMs: 40 })
      .compile();
    writer = moduleRef.get(RevelOrderWriter);
    close = () => moduleRef.close();
  });

  afterEach(async () => {
    await close();
  });

  /** Exactly one order for the event, complete and exact to the cent. */
  function expectOneCompleteOrder(d: OrderDraft): number {
    const orders = sandbox.orders({ establishment: ESTABLISHMENT });
    expect(orders).toHaveLength(1);
    const order = orders[0];
    expect(order).toMatchObject({
      uuid: d.orderUuid,
      local_id: d.localId,
      subtotal: centsToDecimal(d.subtotalCents),
      final_total: centsToDecimal(d.finalTotalCents),
      printed: true,
      closed: true,
      remaining_due: 0,
    });
    const items = sandbox.orderItems(order.id);
    expect(items.map((i) => i.uuid).sort()).toEqual(d.lines.map((l) => l.uuid).sort());
    expect(sandbox.payments(order.id)).toHaveLength(d.finalTotalCents > 0 ? 1 : 0);
    expect(sandbox.histories(order.id)).toHaveLength(1);
    // Every field we wrote is one a real Revel object has (upstream-facts §2.4, §3.2, §3.3).
    expect(sandbox.unknownFields()).toEqual([]);
    return order.id;
  }

  it('should write a comped order at 0.00 with the items as its discount and no payment, closed', async () => {
    const d = draft({
      adjustments: [{ kind: 'other', label: 'Invoice discounts', amountCents: -11000 }],
      discountCents: 11000,
      finalTotalCents: 0,
    });

    const outcome = await writer.write(d, {}, ledger().save);

    const orderId = expectOneCompleteOrder(d);
    expect(outcome).toEqual({ kind: 'written', orderId, resumed: false, repairs: [] });
    expect(sandbox.orders()[0]).toMatchObject({
      subtotal: '110.00',
      discount_amount: '110.00',
      final_total: '0.00',
      is_discounted: true,
    });
    expect(sandbox.requestCount('POST /resources/Payment/')).toBe(0);
  });

  it('should write one order with its items, discount, payment and totals exact to the cent', async () => {
    const d = draft();
    const book = ledger();

    const outcome = await writer.write(d, {}, book.save);

    const orderId = expectOneCompleteOrder(d);
    expect(outcome).toEqual({ kind: 'written', orderId, resumed: false, repairs: [] });
    const [order] = sandbox.orders();
    expect(order).toMatchObject({
      establishment: '/enterprise/Establishment/4/',
      call_name: 'Jon Ponder | 702-555-0199',
      notes: 'Triple Seat Event #55521609 | Phone: 702-555-0199',
      web_order: true,
      pos_mode: 'Q',
      dining_option: 113,
      created_by: '/enterprise/User/1/',
      created_at: '/resources/PosStation/4/',
      created_date: '2025-12-28T12:56:00',
      subtotal: '110.00',
      final_total: '108.80',
      surcharge: '0.00',
      discount: '/resources/Discount/3358/',
      discount_amount: '1.20',
      discount_reason: 'Triple Seat Discount',
      is_discounted: true,
    });
    expect(order.applied_discounts).toEqual([
      expect.objectContaining({
        name: 'Triple Seat Discount',
        discount_amount: '1.200000',
        rule_amount: '1.200000',
      }),
    ]);
    const items = sandbox.orderItems(orderId);
    expect(
      items.map((i) => [i.product, i.quantity, i.price, i.initial_price, i.price_to_display]),
    ).toEqual([
      ['/resources/Product/577/', 8, '1.75', '1.75', '1.75'],
      ['/resources/Product/579/', 8, '2.00', '2.00', '2.00'],
      ['/resources/Product/581/', 8, '2.25', '2.25', '2.25'],
      ['/resources/Product/583/', 8, '2.50', '2.50', '2.50'],
      ['/resources/Product/590/', 8, '2.50', '2.50', '2.50'],
      ['/resources/Product/592/', 8, '2.75', '2.75', '2.75'],
    ]);
    expect(sandbox.payments(orderId)).toEqual([
      expect.objectContaining({
        uuid: d.paymentUuid,
        amount: '108.80',
        tip: '0.00',
        payment_type: 236,
      }),
    ]);
    expect(book.last()).toEqual({
      orderId,
      itemsDone: [0, 1, 2, 3, 4, 5],
      paymentDone: true,
      finalized: true,
      historyDone: true,
      // The order head read back right after the write matched the draft.
      checked: true,
      expected: {
        lines: d.lines.map(({ index, uuid, productId, quantity, unitPriceCents }) => ({
          index,
          uuid,
          productId,
          quantity,
          unitPriceCents,
        })),
        localTimestamp: d.localTimestamp,
      },
    });
  });

  it('should write a new order in 6 + items calls: one lookup for every local_id form, the discount in the finalize PATCH', async () => {
    const d = draft();

    await writer.write(d, {}, ledger().save);

    expectOneCompleteOrder(d);
    expect(sandbox.requestCount('GET /resources/Order/')).toBe(1);
    expect(sandbox.requestCount('PATCH /resources/Order/:id/')).toBe(1);
    const lookup = sandbox.requests().find((r) => r.route === 'GET /resources/Order/');
    expect(lookup?.query.local_id__in).toBe(
      'Triple Seat_55521609,Triple Seat 55521609,tripleseat_event_55521609',
    );
    // lookup, order, one POST per item, payment, finalize, history, and the order's detail GET.
    expect(sandbox.requests()).toHaveLength(6 + d.lines.length);
    expect(sandbox.requestCount('GET /resources/Order/:id/')).toBe(1);
  });

  it('should record a surcharge and skip the discount when the invoice is above the items', async () => {
    const d = draft({ discountCents: 0, surchargeCents: 905, finalTotalCents: 11905 });

    await writer.write(d, {}, ledger().save);

    expectOneCompleteOrder(d);
    const [order] = sandbox.orders();
    expect(order).toMatchObject({ surcharge: '9.05', final_total: '119.05', discount: null });
    expect(sandbox.requestCount('PATCH /resources/Order/:id/')).toBe(1);
  });

  it('should leave an order written by the old connector alone and write nothing', async () => {
    const legacy = sandbox.seedOrder({
      establishmentId: ESTABLISHMENT,
      localId: `Triple Seat ${EVENT_ID}`,
    });
    const book = ledger();

    const outcome = await writer.write(draft(), {}, book.save);

    expect(outcome).toEqual({
      kind: 'already-exists',
      orderId: legacy.id,
      localId: `Triple Seat ${EVENT_ID}`,
    });
    expect(writes()).toBe(0);
    expect(book.saved).toHaveLength(0);
    expect(sandbox.orders()).toHaveLength(1);
  });

  it('should leave a partial order of another ledger alone, which its own ledger then completes', async () => {
    // Two ledgers (two databases) against one Revel account: the same event, their own UUIDs.
    const ledgerDraft = (ledgerId: string) =>
      draft({
        ledgerId,
        orderUuid: orderUuid(ledgerId, EVENT_ID),
        paymentUuid: paymentUuid(ledgerId, EVENT_ID),
        historyUuid: historyUuid(ledgerId, EVENT_ID),
        lines: draft().lines.map((l) => ({ ...l, uuid: itemUuid(ledgerId, EVENT_ID, l.index) })),
      });
    const mine = ledgerDraft('3b1f0a6e-8c2d-4e5f-9a7b-1c2d3e4f5a6b');
    const theirs = ledgerDraft('a9e8d7c6-b5a4-4392-8170-6f5e4d3c2b1a');
    const myBook = ledger();
    sandbox.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 3, kind: 'status', status: 503, after: 2 },
    });
    await expect(writer.write(mine, {}, myBook.save)).rejects.toBeInstanceOf(UpstreamError);
    const [partial] = sandbox.orders({ establishment: ESTABLISHMENT });
    expect(sandbox.orderItems(partial.id)).toHaveLength(2);
    sandbox.faults.clear();
    const before = writes();

    const other = await writer.write(theirs, {}, ledger().save);

    expect(other).toEqual({ kind: 'already-exists', orderId: partial.id, localId: mine.localId });
    expect(writes()).toBe(before);
    expect(sandbox.orderItems(partial.id)).toHaveLength(2);
    expect(sandbox.payments(partial.id)).toHaveLength(0);

    const done = await writer.write(mine, myBook.last(), myBook.save);
    expect(done).toMatchObject({ kind: 'written', orderId: partial.id, resumed: true });
    expect(expectOneCompleteOrder(mine)).toBe(partial.id);
  });

  it('should create nothing when the lookup fails, and say so with a retryable error', async () => {
    sandbox.faults.add({
      method: 'GET',
      path: '/resources/Order/',
      next: { count: 5, kind: 'status', status: 503 },
    });

    const failure = await writer.write(draft(), {}, ledger().save).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ retryable: true });
    expect(writes()).toBe(0);
  });

  it('should complete the order from saved progress after the third item POST failed, without duplicates', async () => {
    const d = draft();
    const book = ledger();
    sandbox.faults.add({
      method: 'POST',
      path: '/resources/OrderItem/',
      next: { count: 1, kind: 'status', status: 500, after: 2 },
    });

    await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({
      status: 500,
      retryable: true,
    });
    expect(book.last()).toMatchObject({ itemsDone: [0, 1] });
    expect(book.last().orderId).toBeDefined();

    const outcome = await writer.write(d, book.last(), book.save);

    const orderId = expectOneCompleteOrder(d);
    expect(outcome).toEqual({ kind: 'written', orderId, resumed: true, repairs: [] });
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);
    expect(sandbox.requestCount('POST /resources/OrderItem/')).toBe(7);
  });

  it('should not duplicate an item whose POST was committed but whose answer was lost', async () => {
    const d = draft();
    const book = ledger();
    // Two items go through; Revel commits the third and its answer never arrives.
    let armed = false;
    const failure = await writer
      .write(d, {}, async (p) => {
        await book.save(p);
        if (p.itemsDone?.length === 2 && !armed) {
          armed = true;
          sandbox.loseResponses({ method: 'POST', path: '/resources/OrderItem/', count: 1 });
        }
      })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'TIMEOUT' });
    expect(book.last().itemsDone).toEqual([0, 1]);
    expect(sandbox.orderItems(book.last().orderId ?? 0)).toHaveLength(3);

    await writer.write(d, book.last(), book.save);

    expectOneCompleteOrder(d);
    expect(sandbox.requestCount('POST /resources/OrderItem/')).toBe(6);
  });

  it('should adopt its own order after a crash between the order POST and saving progress', async () => {
    const d = draft();
    const book = ledger();
    const crash = () => Promise.reject(new Error('process killed before the ledger commit'));

    await expect(writer.write(d, {}, crash)).rejects.toThrow('process killed');
    expect(sandbox.orders()).toHaveLength(1);

    const outcome = await writer.write(d, {}, book.save);

    const orderId = expectOneCompleteOrder(d);
    expect(outcome).toEqual({ kind: 'written', orderId, resumed: true, repairs: [] });
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);
  });

  it('should adopt the order when its POST timed out although Revel created it', async () => {
    const d = draft();
    sandbox.loseResponses({ method: 'POST', path: '/resources/Order/', count: 1 });

    const outcome = await writer.write(d, {}, ledger().save);

    const orderId = expectOneCompleteOrder(d);
    expect(outcome).toEqual({ kind: 'written', orderId, resumed: true, repairs: [] });
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);
  });

  it('should not re-POST at once when the order POST hung before Revel saw it, and create it on the next try', async () => {
    const d = draft();
    const book = ledger();
    sandbox.faults.add({
      method: 'POST',
      path: '/resources/Order/',
      next: { count: 1, kind: 'hang' },
    });

    await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    });
    expect(sandbox.orders()).toHaveLength(0);
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);

    await writer.write(d, book.last(), book.save);

    expectOneCompleteOrder(d);
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(2);
  });

  it('should not POST the order again while an earlier POST of unknown outcome may still commit', async () => {
    settings.writeSettleSeconds = 60;
    const d = draft();
    const book = ledger();
    sandbox.faults.add({
      method: 'POST',
      path: '/resources/Order/',
      next: { count: 1, kind: 'hang' },
    });

    await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(book.last().unknown?.[d.orderUuid]).toEqual(expect.any(Number));
    await expect(writer.write(d, book.last(), book.save)).rejects.toMatchObject({
      code: 'WRITE_OUTCOME_PENDING',
      retryable: true,
    });
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);

    // Revel commits the first POST late: the next attempt adopts it instead of writing another,
    // and reads the order back once the window has passed.
    sandbox.seedOrder({ establishmentId: ESTABLISHMENT, localId: d.localId, uuid: d.orderUuid });
    await expect(writer.write(d, book.last(), book.save)).rejects.toMatchObject({
      code: 'READ_BACK_PENDING',
    });
    expect(book.last().unknown).toBeUndefined();
    const outcome = await writer.write(d, { ...book.last(), readBackAfter: 0 }, book.save);
    expect(outcome).toMatchObject({ kind: 'written', resumed: true, repairs: [] });
    expect(book.last().verified).toBe(true);
    expect(sandbox.requestCount('POST /resources/Order/')).toBe(1);
    expect(sandbox.ordersByLocalId(d.localId)).toHaveLength(1);
  });

  it('should write nothing again when every step is already recorded', async () => {
    const d = draft();
    const book = ledger();
    await writer.write(d, {}, book.save);
    const before = sandbox.requestCount();

    const outcome = await writer.write(d, book.last(), book.save);

    expect(outcome).toMatchObject({ kind: 'written', resumed: true });
    expect(sandbox.requestCount()).toBe(before);
  });

  it('should refuse a draft whose totals contradict each other before any request', async () => {
    await expect(
      writer.write(draft({ finalTotalCents: 10881 }), {}, ledger().save),
    ).rejects.toBeInstanceOf(InvalidOrderDraftError);
    expect(sandbox.requestCount()).toBe(0);
  });

  describe('late commits', () => {
    /** Resolves once `done` holds (the sandbox's late commit landed), polling the in-memory store. */
    async function until(done: () => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    beforeEach(() => {
      settings.writeSettleSeconds = 60;
    });

    it.each([
      ['Payment', '/resources/Payment/', (orderId: number) => sandbox.payments(orderId).length],
      [
        'OrderHistory',
        '/resources/OrderHistory/',
        (orderId: number) => sandbox.histories(orderId).length,
      ],
      [
        'OrderItem',
        '/resources/OrderItem/',
        (orderId: number) => sandbox.orderItems(orderId).length - 5,
      ],
    ])(
      'should not send a %s again that Revel commits after the timeout, and take it once it shows',
      async (resource, path, landed) => {
        const d = draft();
        const book = ledger();
        // The sixth item, the payment or the history: held past the 300 ms timeout, committed later.
        sandbox.faults.add({
          method: 'POST',
          path,
          next: { count: 1, kind: 'late-commit', after: resource === 'OrderItem' ? 5 : 0 },
          lateCommitMs: 700,
        });

        await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({ code: 'TIMEOUT' });
        const orderId = book.last().orderId ?? NaN;
        expect(Object.values(book.last().unknown ?? {})).toEqual([expect.any(Number)]);
        // Not there yet and the window is open: wait, never a second POST.
        await expect(writer.write(d, book.last(), book.save)).rejects.toMatchObject({
          code: 'WRITE_OUTCOME_PENDING',
          retryable: true,
        });
        await until(() => landed(orderId) === 1, `the late ${resource}`);
        // Seen: done. The order is read back once the window since the unknown outcome is over.
        await expect(writer.write(d, book.last(), book.save)).rejects.toMatchObject({
          code: 'READ_BACK_PENDING',
        });
        const outcome = await writer.write(d, { ...book.last(), readBackAfter: 0 }, book.save);

        expect(outcome).toEqual({ kind: 'written', orderId, resumed: true, repairs: [] });
        expectOneCompleteOrder(d);
        expect(sandbox.requestCount(`POST ${path}`)).toBe(resource === 'OrderItem' ? 6 : 1);
      },
    );

    it('should read the settle window of progress saved with createUnknownAt', async () => {
      const d = draft();
      const book = ledger();
      await expect(
        writer.write(d, { createUnknownAt: Date.now() }, book.save),
      ).rejects.toMatchObject({
        code: 'WRITE_OUTCOME_PENDING',
      });
      expect(sandbox.requestCount('POST /resources/Order/')).toBe(0);
    });

    it('should treat a dropped connection whose write Revel commits later like a timeout', async () => {
      const d = draft();
      const book = ledger();
      sandbox.faults.add({
        method: 'POST',
        path: '/resources/Payment/',
        next: { count: 1, kind: 'late-commit' },
        lateCommitMs: 300,
        lateCommitDrop: true,
      });

      await expect(writer.write(d, {}, book.save)).rejects.toBeInstanceOf(UpstreamError);
      const orderId = book.last().orderId ?? NaN;
      expect(book.last().unknown).toEqual({ [d.paymentUuid]: expect.any(Number) });
      await until(() => sandbox.payments(orderId).length === 1, 'the late payment');
      await expect(writer.write(d, book.last(), book.save)).rejects.toMatchObject({
        code: 'READ_BACK_PENDING',
      });
      await writer.write(d, { ...book.last(), readBackAfter: 0 }, book.save);

      expectOneCompleteOrder(d);
      expect(sandbox.requestCount('POST /resources/Payment/')).toBe(1);
    });

    it('should send the create again once the window is over and it still is not in Revel', async () => {
      const d = draft();
      const book = ledger();
      sandbox.faults.add({
        method: 'POST',
        path: '/resources/Payment/',
        next: { count: 1, kind: 'hang' },
      });

      await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({ code: 'TIMEOUT' });
      const expired = Object.fromEntries(
        Object.keys(book.last().unknown ?? {}).map((uuid) => [uuid, Date.now() - 61_000]),
      );
      // Sent again; a late copy could still land, so the order is read back one window later.
      await expect(
        writer.write(d, { ...book.last(), unknown: expired }, book.save),
      ).rejects.toMatchObject({ code: 'READ_BACK_PENDING' });
      expect(sandbox.requestCount('POST /resources/Payment/')).toBe(2);
      await writer.write(d, { ...book.last(), readBackAfter: 0 }, book.save);
      expectOneCompleteOrder(d);
    });

    it('should delete a second, empty order that Revel committed after the window', async () => {
      const d = draft();
      const book = ledger();
      sandbox.faults.add({
        method: 'POST',
        path: '/resources/Order/',
        next: { count: 1, kind: 'late-commit' },
        lateCommitMs: 1000,
      });

      await expect(writer.write(d, {}, book.save)).rejects.toMatchObject({ code: 'TIMEOUT' });
      const expired = { [d.orderUuid]: Date.now() - 61_000 };
      await expect(
        writer.write(d, { ...book.last(), unknown: expired }, book.save),
      ).rejects.toMatchObject({ code: 'READ_BACK_PENDING' });
      await until(() => sandbox.ordersByLocalId(d.localId).length === 2, 'the late order');
      const late = sandbox.ordersByLocalId(d.localId).find((o) => o.id !== book.last().orderId);

      const outcome = await writer.write(d, { ...book.last(), readBackAfter: 0 }, book.save);

      expect(outcome).toMatchObject({
        kind: 'written',
        repairs: [{ resource: 'Order', id: late?.id, keptId: book.last().orderId }],
      });
      expectOneCompleteOrder(d);
      expect(sandbox.requestCount('DELETE /resources/Order/:id/')).toBe(1);
    });

    it('should delete the later copy of a payment, and name a used second order for an operator', async () => {
      const d = draft();
      const book = ledger();
      await writer.write(d, {}, book.save);
      const orderId = book.last().orderId ?? NaN;
      const post = (path: string, body: object) =>
        fetch(`${sandbox.url}${path}`, {
          method: 'POST',
          headers: {
            'API-AUTHENTICATION': `${API_KEY}:${API_SECRET}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify(body),
        });
      await post('/resources/Payment/', {
        uuid: d.paymentUuid,
        order: `/resources/Order/${orderId}/`,
        amount: '108.80',
      });
      const second = sandbox.seedOrder({
        establishmentId: ESTABLISHMENT,
        localId: d.localId,
        uuid: d.orderUuid,
      });
      await post('/resources/Payment/', {
        uuid: 'someone-else',
        order: `/resources/Order/${second.id}/`,
        amount: '5.00',
      });

      const outcome = await writer.write(
        d,
        { ...book.last(), readBackAfter: 0, verified: false },
        book.save,
      );

      expect(outcome).toMatchObject({
        kind: 'duplicate',
        orderId,
        recordIds: [`Order ${second.id}`],
        repairs: [{ resource: 'Payment', keptId: sandbox.payments(orderId)[0].id }],
      });
      expect(sandbox.payments(orderId)).toHaveLength(1);
      expect(book.last().verified).not.toBe(true);
    });

    it('should not send a new Order POST when the kill switch says no, and send nothing else', async () => {
      const d = draft();
      const before = sandbox.requestCount();
      await expect(
        writer.write(d, {}, ledger().save, { mayCreateOrder: () => Promise.resolve(false) }),
      ).rejects.toBeInstanceOf(WritesStoppedError);
      // The lookup went out; the POST did not.
      expect(sandbox.requestCount() - before).toBe(1);
      expect(sandbox.requestCount('POST /resources/Order/')).toBe(0);
    });
  });

  describe(centsToDecimal.name, () => {
    it('should format cents with integer arithmetic only', () => {
      expect([0, 5, 120, 10880, 11905, -250, 9_007_199_254_740_991].map(centsToDecimal)).toEqual([
        '0.00',
        '0.05',
        '1.20',
        '108.80',
        '119.05',
        '-2.50',
        '90071992547409.91',
      ]);
      expect(() => centsToDecimal(1.5)).toThrow(RangeError);
    });
  });

  describe('the read right after the write', () => {
    /** A change made in Revel (Revel recomputing, a cashier) through its API. */
    async function patchInRevel(path: string, body: object): Promise<void> {
      const res = await fetch(`${sandbox.url}${path}`, {
        method: 'PATCH',
        headers: {
          'API-AUTHENTICATION': `${API_KEY}:${API_SECRET}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    }

    /** Writes the order, then leaves its read to `write` again (as after a crash before it). */
    async function writtenNotChecked(d: OrderDraft) {
      const book = ledger();
      await writer.write(d, {}, book.save);
      const { checked: _checked, ...progress } = book.last();
      return { book, progress, orderId: progress.orderId ?? NaN };
    }

    it('should PATCH the totals again when Revel changed them, and say so', async () => {
      const d = draft();
      const { book, progress, orderId } = await writtenNotChecked(d);
      await patchInRevel(`/resources/Order/${orderId}/`, { final_total: '99.99' });

      const outcome = await writer.write(d, progress, book.save);

      expect(outcome).toEqual({
        kind: 'written',
        orderId,
        resumed: true,
        repairs: [
          {
            action: 'patched',
            resource: 'Order',
            id: orderId,
            // What is due follows from the total; Revel derives it again.
            fields: ['final total'],
          },
        ],
      });
      expectOneCompleteOrder(d);
      expect(book.last().checked).toBe(true);
    });

    it('should end as a mismatch naming our payment when it was edited to another amount', async () => {
      const d = draft();
      const { book, progress, orderId } = await writtenNotChecked(d);
      const [payment] = sandbox.payments(orderId);
      await patchInRevel(`/resources/Payment/${payment.id}/`, { amount: '10.00' });

      const outcome = await writer.write(d, progress, book.save);

      expect(outcome).toEqual({
        kind: 'mismatch',
        orderId,
        repairs: [],
        differences: [
          `payment ${payment.id} is 10.00, the invoice says ${centsToDecimal(d.finalTotalCents)}`,
        ],
      });
      // Nothing of the edit was undone.
      expect(sandbox.payments(orderId)).toEqual([expect.objectContaining({ amount: '10.00' })]);
    });
  });
});

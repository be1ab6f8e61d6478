import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REVEL_ORDER_FIELDS } from '../src/revel/revel.types';
import { RevelSandbox } from './revel.sandbox';

const API_KEY = 'sandbox-key';
const API_SECRET = 'sandbox-secret';
const AUTH = `${API_KEY}:${API_SECRET}`;
const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'revel');

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** A complete, known-fields-only Order create body, as upstream-facts §3.2 minus `station`. */
function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: '0b7c2d4e-0000-4000-8000-000000000001',
    establishment: '/enterprise/Establishment/8/',
    local_id: 'Triple Seat_55500001',
    notes: 'Triple Seat Event #55500001',
    call_name: 'Sample Guest',
    pos_mode: 'Q',
    web_order: true,
    dining_option: 113,
    created_by: '/enterprise/User/1/',
    updated_by: '/enterprise/User/1/',
    created_at: '/resources/PosStation/4/',
    last_updated_at: '/resources/PosStation/4/',
    created_date: '2025-06-14T09:30:00',
    updated_date: '2025-06-14T09:30:00',
    subtotal: 0,
    final_total: 0,
    tax: 0,
    remaining_due: 0,
    surcharge: 0,
    ...overrides,
  };
}

describe(RevelSandbox.name, () => {
  let sandbox: RevelSandbox;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    auth: string | null = AUTH,
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (auth !== null) headers['API-AUTHENTICATION'] = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    const parsed: unknown =
      contentType.includes('application/json') && text ? JSON.parse(text) : undefined;
    return { status: res.status, contentType, text, body: parsed };
  }

  async function createOrder(overrides: Record<string, unknown> = {}): Promise<number> {
    const answer = await call('POST', '/resources/Order/', orderBody(overrides));
    expect(answer.status).toBe(201);
    return (answer.body as { id: number }).id;
  }

  beforeAll(async () => {
    sandbox = await RevelSandbox.start({ apiKey: API_KEY, apiSecret: API_SECRET });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  beforeEach(() => {
    sandbox.reset();
  });

  describe('late commits and DELETE', () => {
    it('should withhold the answer of a late-commit POST and write the record after the delay', async () => {
      sandbox.faults.add({
        method: 'POST',
        path: '/resources/Order/',
        next: { count: 1, kind: 'late-commit' },
        lateCommitMs: 300,
      });
      const controller = new AbortController();
      const answered = fetch(`${sandbox.url}/resources/Order/`, {
        method: 'POST',
        headers: { 'API-AUTHENTICATION': AUTH, 'content-type': 'application/json' },
        body: JSON.stringify(orderBody()),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      // Once Revel holds it, the client gives up, as on a timeout; nothing is written yet.
      while (sandbox.faults.lateCommitsPending === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      controller.abort();
      expect(await answered).toMatchObject({ name: 'AbortError' });
      expect(sandbox.orders()).toHaveLength(0);
      expect(sandbox.faults.lateCommitsPending).toBe(1);

      while (sandbox.faults.lateCommitsPending > 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(sandbox.orders()).toHaveLength(1);
      // Not unique: the next POST with the same uuid is a second order.
      await createOrder();
      expect(sandbox.orders()).toHaveLength(2);
    });

    it('should DELETE an order, its records, a payment and a history with auth, 404 for an unknown id', async () => {
      const orderId = await createOrder();
      const order = `/resources/Order/${orderId}/`;
      const payment = await call('POST', '/resources/Payment/', {
        order,
        amount: '5.00',
        uuid: 'p',
      });
      const history = await call('POST', '/resources/OrderHistory/', { order, uuid: 'h' });
      const paymentId = (payment.body as { id: number }).id;
      const historyId = (history.body as { id: number }).id;

      expect(
        (await call('DELETE', `/resources/Payment/${paymentId}/`, undefined, null)).status,
      ).toBe(401);
      expect((await call('DELETE', `/resources/Payment/${paymentId}/`)).status).toBe(204);
      expect(sandbox.payments(orderId)).toHaveLength(0);
      expect((await call('DELETE', `/resources/Payment/${paymentId}/`)).status).toBe(404);
      expect((await call('DELETE', `/resources/OrderHistory/${historyId}/`)).status).toBe(204);
      expect(sandbox.orders()[0]).toMatchObject({ orderhistory: [], has_history: false });

      await call('POST', '/resources/Payment/', { order, amount: '1.00', uuid: 'q' });
      expect((await call('DELETE', order)).status).toBe(204);
      expect(sandbox.orders()).toHaveLength(0);
      expect(sandbox.payments(orderId)).toHaveLength(0);
    });
  });

  describe('known fields', () => {
    it('should record `opened` and `station` on an Order POST as unknown fields, and store neither', async () => {
      const id = await createOrder({ opened: true, station: '/resources/PosStation/4/' });

      expect(sandbox.unknownFields()).toEqual([
        { resource: 'Order', method: 'POST', field: 'opened' },
        { resource: 'Order', method: 'POST', field: 'station' },
      ]);
      const order = (await call('GET', `/resources/Order/${id}/`)).body as Record<string, unknown>;
      expect(order).not.toHaveProperty('opened');
      expect(order).not.toHaveProperty('station');
    });

    it('should record nothing for an Order POST with known fields only', async () => {
      await createOrder();

      expect(sandbox.unknownFields()).toEqual([]);
    });

    it('should record an unknown field of an Order PATCH once, and ignore it', async () => {
      const id = await createOrder();

      for (let i = 0; i < 2; i += 1) {
        const answer = await call('PATCH', `/resources/Order/${id}/`, {
          printed: true,
          opened: true,
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ printed: true });
        expect(answer.body).not.toHaveProperty('opened');
      }

      expect(sandbox.unknownFields()).toEqual([
        { resource: 'Order', method: 'PATCH', field: 'opened' },
      ]);
    });

    it('should know every field of the legacy OrderItem, Payment and OrderHistory bodies', async () => {
      sandbox.seedProducts(8, [{ id: 579, name: 'TRIPLE OG', price: 2 }]);
      const id = await createOrder();
      const order = `/resources/Order/${id}/`;
      const who = {
        created_by: '/enterprise/User/1/',
        updated_by: '/enterprise/User/1/',
        station: '/resources/PosStation/4/',
        created_date: '2025-06-14T09:30:00',
        updated_date: '2025-06-14T09:30:00',
      };

      const item = await call('POST', '/resources/OrderItem/', {
        uuid: '0b7c2d4e-0000-4000-8000-000000000002',
        order,
        product: '/resources/Product/579/',
        quantity: 12,
        price: '2.00',
        initial_price: '2.00',
        price_to_display: '2.00',
        tax_amount: 0,
        modifier_amount: 0,
        temp_sort: 0,
        tax_rate: 0,
        dining_option: 113,
        ...who,
      });
      const payment = await call('POST', '/resources/Payment/', {
        uuid: '0b7c2d4e-0000-4000-8000-000000000003',
        order,
        payment_type: 236,
        amount: '24.00',
        tip: '0.00',
        payment_date: '2025-06-14T09:30:00',
        establishment: '/enterprise/Establishment/8/',
        ...who,
      });
      const history = await call('POST', '/resources/OrderHistory/', {
        uuid: '0b7c2d4e-0000-4000-8000-000000000004',
        order,
        order_opened_by: '/enterprise/User/1/',
        order_opened_at: '/resources/PosStation/4/',
        opened: '2025-06-14T09:30:00',
        closed: '2025-06-14T09:30:00',
      });

      expect([item.status, payment.status, history.status]).toEqual([201, 201, 201]);
      expect(sandbox.unknownFields()).toEqual([]);
    });

    it('should record an unknown field of an OrderItem write and serve the list at the admin route', async () => {
      sandbox.seedProducts(8, [{ id: 579, name: 'TRIPLE OG', price: 2 }]);
      const id = await createOrder();
      await call('POST', '/resources/OrderItem/', {
        uuid: '0b7c2d4e-0000-4000-8000-000000000002',
        order: `/resources/Order/${id}/`,
        product: '/resources/Product/579/',
        quantity: 1,
        price: '2.00',
        unit_cost: '0.60',
      });

      const admin = await call('GET', '/__sandbox/unknown-fields', undefined, null);

      expect(admin.body).toEqual([{ resource: 'OrderItem', method: 'POST', field: 'unit_cost' }]);
      sandbox.clearUnknownFields();
      expect(sandbox.unknownFields()).toEqual([]);
    });

    it('should forget unknown fields on reset', async () => {
      await createOrder({ opened: true });
      expect(sandbox.unknownFields()).toHaveLength(1);

      sandbox.reset();

      expect(sandbox.unknownFields()).toEqual([]);
    });

    it('should answer an Order GET with exactly the key set of the fixture order (no drift)', async () => {
      const expected = Object.keys(fixture('order.json')).sort();
      const id = await createOrder();

      const order = (await call('GET', `/resources/Order/${id}/`)).body as Record<string, unknown>;

      expect(Object.keys(order).sort()).toEqual(expected);
      expect([...REVEL_ORDER_FIELDS].sort()).toEqual(expected);
    });

    it('should answer an Order GET with its money as JSON numbers, like the fixture order', async () => {
      const id = await createOrder();
      await call('PATCH', `/resources/Order/${id}/`, {
        subtotal: '120.00',
        final_total: '107.50',
        discount_amount: '12.50',
      });

      const order = (await call('GET', `/resources/Order/${id}/`)).body as Record<string, unknown>;

      expect(typeof fixture('order.json').subtotal).toBe('number');
      expect(order).toMatchObject({
        subtotal: 120,
        final_total: 107.5,
        discount_amount: 12.5,
        remaining_due: 107.5,
        closed: false,
      });
    });

    it('should add the Default Tax to a PATCHed final total when the tax is applied', async () => {
      const id = await createOrder();
      sandbox.setTaxApplied(true);
      await call('PATCH', `/resources/Order/${id}/`, { subtotal: '13.60', final_total: '13.60' });

      const order = (await call('GET', `/resources/Order/${id}/`)).body as Record<string, unknown>;

      // 8.375 % of 13.60 is 1.139: 1.14 to the cent.
      expect(order).toMatchObject({ subtotal: 13.6, tax: 1.14, final_total: 14.74 });
      sandbox.reset();
    });
  });

  describe('POST with id or resource_uri', () => {
    it.each([
      ['id', { id: 42 }],
      ['resource_uri', { resource_uri: '/resources/Order/42/' }],
    ])('should refuse an Order POST carrying %s with 400 and store nothing', async (_, extra) => {
      const answer = await call('POST', '/resources/Order/', orderBody(extra));

      expect(answer.status).toBe(400);
      expect(sandbox.orders()).toHaveLength(0);
    });

    it('should refuse a Payment POST carrying an id', async () => {
      const id = await createOrder();

      const answer = await call('POST', '/resources/Payment/', {
        id: 8_100_001,
        uuid: '0b7c2d4e-0000-4000-8000-000000000003',
        order: `/resources/Order/${id}/`,
        amount: '1.00',
      });

      expect(answer.status).toBe(400);
      expect(sandbox.payments(id)).toHaveLength(0);
    });
  });

  describe('products', () => {
    beforeEach(() => {
      sandbox.seedProducts(8, [
        { id: 579, name: 'TRIPLE OG', price: 2 },
        { id: 580, name: 'RETIRED DONUT', price: 2.5, active: false },
        { id: 581, name: 'DELETED DONUT', price: 2.25, deleted: true },
      ]);
    });

    it('should hide inactive products when asked for active=true', async () => {
      const answer = await call('GET', '/resources/Product/?establishment=8&active=true');

      const page = answer.body as { meta: { total_count: number }; objects: { id: number }[] };
      expect(page.objects.map((p) => p.id)).toEqual([579, 581]);
      expect(page.meta.total_count).toBe(2);
    });

    it('should list inactive and deleted products without the filter, as Revel keeps them', async () => {
      const answer = await call('GET', '/resources/Product/?establishment=8');

      const page = answer.body as { objects: { id: number; active: boolean; deleted: boolean }[] };
      expect(page.objects).toEqual([
        expect.objectContaining({ id: 579, active: true, deleted: false }),
        expect.objectContaining({ id: 580, active: false, deleted: false }),
        expect.objectContaining({ id: 581, active: true, deleted: true }),
      ]);
    });
  });

  describe('establishments', () => {
    it('should answer a registered establishment under /enterprise/', async () => {
      sandbox.addEstablishment(4, 'Test Store');

      const answer = await call('GET', '/enterprise/Establishment/4/');

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        id: 4,
        name: 'Test Store',
        resource_uri: '/enterprise/Establishment/4/',
      });
    });

    it('should know an establishment that has products', async () => {
      sandbox.seedProducts(9, [{ id: 579, name: 'TRIPLE OG', price: 2 }]);

      const answer = await call('GET', '/enterprise/Establishment/9/');

      expect(answer.body).toMatchObject({ id: 9, resource_uri: '/enterprise/Establishment/9/' });
    });

    it('should answer 404 for an unknown establishment and for /resources/Establishment/', async () => {
      sandbox.addEstablishment(4);

      expect((await call('GET', '/enterprise/Establishment/5/')).status).toBe(404);
      expect((await call('GET', '/resources/Establishment/4/')).status).toBe(404);
    });

    it('should require API-AUTHENTICATION like the rest of the API', async () => {
      sandbox.addEstablishment(4);

      expect((await call('GET', '/enterprise/Establishment/4/', undefined, null)).status).toBe(401);
      expect((await call('GET', '/enterprise/Establishment/4/', undefined, 'k:wrong')).status).toBe(
        401,
      );
    });
  });

  describe('error pages', () => {
    it('should answer a bad or missing key with a JSON 401 by default', async () => {
      const bad = await call('GET', '/resources/Order/', undefined, 'sandbox-key:wrong');
      const missing = await call('GET', '/resources/Order/', undefined, null);

      expect([bad.status, missing.status]).toEqual([401, 401]);
      expect(bad.contentType).toContain('application/json');
    });

    it('should answer a bad key with a text/html page in HTML mode', async () => {
      sandbox.setHtmlErrors(true);

      const answer = await call('GET', '/resources/Order/', undefined, 'sandbox-key:wrong');

      expect(answer.status).toBe(401);
      expect(answer.contentType).toContain('text/html');
      expect(answer.text.trimStart().startsWith('<')).toBe(true);
    });

    it('should answer 404s with HTML in HTML mode, and leave other errors JSON', async () => {
      sandbox.setHtmlErrors(true);

      const missingOrder = await call('GET', '/resources/Order/1/');
      const noRoute = await call('GET', '/resources/Nothing/');
      const badPost = await call('POST', '/resources/Order/', orderBody({ id: 1 }));

      expect([missingOrder.status, noRoute.status]).toEqual([404, 404]);
      expect(missingOrder.contentType).toContain('text/html');
      expect(noRoute.contentType).toContain('text/html');
      expect(badPost.status).toBe(400);
      expect(badPost.contentType).toContain('application/json');
    });

    it('should switch HTML mode by the admin route, and reset it on reset', async () => {
      const put = await call('PUT', '/__sandbox/html-errors', { enabled: true }, null);
      expect(put.status).toBe(200);
      expect((await call('GET', '/resources/Order/', undefined, null)).contentType).toContain(
        'text/html',
      );

      sandbox.reset();

      expect((await call('GET', '/resources/Order/', undefined, null)).contentType).toContain(
        'application/json',
      );
    });
  });
});

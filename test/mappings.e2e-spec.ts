import request from 'supertest';
import { invoiceDocument } from '../sandbox/tripleseat.sandbox';
import { Harness, startHarness } from './support/harness';

const LOCATION = '31883';

describe('product mappings through the API (e2e against the sandboxes)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  const sync = async (eventId: number | string) =>
    (await h.api().post(`/api/sync/tripleseat?event_id=${eventId}`).expect(200)).body as {
      events: { status: string; reason: string; revelOrderId: string | null }[];
    };

  it('should put a line that did not resolve on the order once it is mapped, without a restart', async () => {
    const event = h.seedEvent({
      id: 66000001,
      documents: [
        invoiceDocument({
          lines: [{ name: 'Kale Smoothie', quantity: 3, price: '4.00', menuItemId: 7777 }],
        }),
      ],
    });
    const before = await sync(event.id);
    expect(before.events[0]).toMatchObject({ status: 'SKIPPED', reason: 'NO_ITEMS_MATCHED' });
    expect(h.revel.ordersByLocalId(`Triple Seat_${String(event.id)}`)).toHaveLength(0);

    const put = await h
      .api()
      .put('/api/mappings')
      .send({ location: LOCATION, menuItemId: 7777, productId: 592, note: 'smoothie = fudgy' })
      .expect(200);
    expect(put.body).toMatchObject({
      location: LOCATION,
      kind: 'menuItem',
      menuItemId: '7777',
      productId: 592,
      note: 'smoothie = fudgy',
    });
    expect(put.body).not.toHaveProperty('displayName');

    const after = await sync(event.id);
    expect(after.events[0]).toMatchObject({ status: 'INJECTED' });
    const orders = h.revel.ordersByLocalId(`Triple Seat_${String(event.id)}`);
    expect(orders).toHaveLength(1);
    expect(String(orders[0].id)).toBe(after.events[0].revelOrderId);
    const items = h.revel.orderItems(orders[0].id);
    expect(items).toHaveLength(1);
    expect(items[0].product).toMatch(/\/Product\/592\/?$/);
    expect(items[0].quantity).toBe(3);
  });

  it('should let a database mapping win over the locations file, by display name', async () => {
    // The file maps menu_item_id 5001 and "TRIPLE OG" to 579; the database sends the name to 581.
    await h
      .api()
      .put('/api/mappings')
      .send({ location: LOCATION, displayName: 'triple  og', productId: 581 })
      .expect(200);
    const event = h.seedEvent({
      id: 66000002,
      documents: [invoiceDocument({ lines: [{ name: 'TRIPLE OG', quantity: 2, price: '3.00' }] })],
    });
    const res = await sync(event.id);
    expect(res.events[0]).toMatchObject({ status: 'INJECTED' });
    const [order] = h.revel.ordersByLocalId(`Triple Seat_${String(event.id)}`);
    const items = h.revel.orderItems(order.id);
    expect(items).toHaveLength(1);
    expect(items[0].product).toMatch(/\/Product\/581\/?$/);
  });

  it('should list the mappings, all or one location’s', async () => {
    const all = await h.api().get('/api/mappings').expect(200);
    expect(all.body.mappings).toEqual([
      expect.objectContaining({
        location: LOCATION,
        kind: 'displayName',
        displayName: 'triple  og',
        productId: 581,
        note: null,
      }),
      expect.objectContaining({ location: LOCATION, kind: 'menuItem', menuItemId: '7777' }),
    ]);
    for (const m of all.body.mappings as { createdAt: string; updatedAt: string }[]) {
      expect(new Date(m.createdAt).toISOString()).toBe(m.createdAt);
      expect(new Date(m.updatedAt).toISOString()).toBe(m.updatedAt);
    }
    const other = await h.api().get('/api/mappings?location=40009').expect(200);
    expect(other.body).toEqual({ mappings: [] });
  });

  it('should remove a mapping, and answer 404 when there is none', async () => {
    await h
      .api()
      .delete(`/api/mappings?location=${LOCATION}&displayName=${encodeURIComponent('Triple OG')}`)
      .expect(204);
    await h.api().delete(`/api/mappings?location=${LOCATION}&menuItemId=7777`).expect(204);
    const gone = await h.api().delete(`/api/mappings?location=${LOCATION}&menuItemId=7777`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toContain('menuItemId 7777');
    expect((await h.api().get('/api/mappings').expect(200)).body).toEqual({ mappings: [] });
  });

  it('should refuse every route without the token', async () => {
    const anonymous = request(h.url);
    await anonymous.get('/api/mappings').expect(401);
    await anonymous
      .put('/api/mappings')
      .send({ location: LOCATION, menuItemId: '1', productId: 1 })
      .expect(401);
    await anonymous.delete(`/api/mappings?location=${LOCATION}&menuItemId=1`).expect(401);
    await request(h.url)
      .get('/api/mappings')
      .set('Authorization', 'Bearer not-the-token')
      .expect(401);
    expect((await h.api().get('/api/mappings').expect(200)).body).toEqual({ mappings: [] });
  });

  it.each([
    ['a product id that is not a positive integer', { menuItemId: '1', productId: 0 }, 'productId'],
    ['a fractional product id', { menuItemId: '1', productId: 1.5 }, 'productId'],
    ['a product id as text', { menuItemId: '1', productId: 'abc' }, 'productId'],
    ['no product id', { menuItemId: '1' }, 'productId'],
    ['a menu item id that is not digits', { menuItemId: 'x1', productId: 1 }, 'menuItemId'],
    ['a blank display name', { displayName: '  ', productId: 1 }, 'displayName'],
    ['an unknown field', { menuItemId: '1', productId: 1, price: 2 }, 'price'],
  ])('should answer 400 naming the field for %s', async (_label, patch, field) => {
    const res = await h
      .api()
      .put('/api/mappings')
      .send({ location: LOCATION, ...patch })
      .expect(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
  });

  it('should answer 400 when neither or both of menuItemId and displayName are given', async () => {
    const neither = await h
      .api()
      .put('/api/mappings')
      .send({ location: LOCATION, productId: 1 })
      .expect(400);
    expect(neither.body).toMatchObject({ field: 'menuItemId' });
    expect(neither.body.message).toMatch(/exactly one of menuItemId and displayName/);
    const both = await h
      .api()
      .put('/api/mappings')
      .send({ location: LOCATION, menuItemId: '1', displayName: 'OG', productId: 1 })
      .expect(400);
    expect(both.body.message).toMatch(/exactly one of menuItemId and displayName/);
    await h.api().delete(`/api/mappings?location=${LOCATION}`).expect(400);
  });

  it('should answer 400 for a location that is not in the location map', async () => {
    const put = await h
      .api()
      .put('/api/mappings')
      .send({ location: '99999', menuItemId: '1', productId: 1 })
      .expect(400);
    expect(put.body).toMatchObject({ field: 'location' });
    expect(put.body.message).toContain('location 99999');
    await h.api().get('/api/mappings?location=99999').expect(400);
    await h.api().delete('/api/mappings?location=99999&menuItemId=1').expect(400);
  });

  it('should answer 400 for a body that is not JSON or missing', async () => {
    const garbled = await h
      .api()
      .put('/api/mappings')
      .set('Content-Type', 'application/json')
      .send('{"location":')
      .expect(400);
    expect(garbled.body).toMatchObject({ field: 'body' });
    await h.api().put('/api/mappings').expect(400);
    expect((await h.api().get('/api/mappings').expect(200)).body).toEqual({ mappings: [] });
  });
});

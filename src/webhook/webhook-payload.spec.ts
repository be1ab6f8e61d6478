import 'reflect-metadata';
import { parseDelivery } from './webhook-payload';

describe(parseDelivery.name, () => {
  it('should read the trigger and the event id of an event delivery', () => {
    expect(
      parseDelivery({ webhook_trigger_type: 'update_event', event: { id: 55521609 } }),
    ).toEqual({
      ok: true,
      trigger: 'UPDATE_EVENT',
      eventIds: ['55521609'],
    });
  });

  it('should read the events of a booking delivery and of the `object` envelope', () => {
    expect(
      parseDelivery({
        webhook_trigger_type: 'CREATE_BOOKING',
        booking: { id: 1, event_id: '10', event_ids: [10, 11] },
      }),
    ).toEqual({ ok: true, trigger: 'CREATE_BOOKING', eventIds: ['10', '11'] });
    expect(
      parseDelivery({ type: 'STATUS_CHANGE_EVENT', message: 'x', object: { id: '12' } }),
    ).toEqual({ ok: true, trigger: 'STATUS_CHANGE_EVENT', eventIds: ['12'] });
  });

  it('should name the field that is wrong', () => {
    expect(parseDelivery({ event: { id: 1 } })).toMatchObject({
      ok: false,
      field: 'webhook_trigger_type',
    });
    expect(parseDelivery({ webhook_trigger_type: 5 })).toMatchObject({
      ok: false,
      field: 'webhook_trigger_type',
    });
    expect(
      parseDelivery({ webhook_trigger_type: 'X', booking: { event_ids: 'nope' } }),
    ).toMatchObject({
      ok: false,
      field: 'booking.event_ids',
    });
    expect(parseDelivery([1, 2])).toMatchObject({ ok: false, field: 'body' });
  });

  it('should ignore ids that are not positive whole numbers', () => {
    expect(
      parseDelivery({
        webhook_trigger_type: 'UPDATE_EVENT',
        event: { id: -3 },
        booking: { event_id: '1e3' },
      }),
    ).toEqual({ ok: true, trigger: 'UPDATE_EVENT', eventIds: [] });
  });

  it('should refuse a body nested deeper than 32 levels without recursing into it', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    expect(
      parseDelivery({ webhook_trigger_type: 'UPDATE_EVENT', event: { id: 1, extra: deep } }),
    ).toEqual({
      ok: false,
      field: 'body',
      message: 'is nested deeper than 32 levels',
    });
  });
});

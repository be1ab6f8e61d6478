import { Test } from '@nestjs/testing';
import { Clock, ManualClock } from '../common/clock';
import { htmlAnswerError } from '../common/http/resilient-http';
import { UpstreamError } from '../common/upstream.error';
import { revelConfig, syncConfig, tripleseatConfig } from '../config/configuration';
import type { Location } from '../config/locations';
import type { OrderDraft } from '../orders/order-draft';
import { RevelClient } from '../revel/revel.client';
import type { RevelEstablishment, RevelOrder, RevelProduct } from '../revel/revel.types';
import { EventPipelineService } from '../sync/event-pipeline.service';
import { TripleSeatAuth } from '../tripleseat/tripleseat-auth';
import { TripleSeatClient } from '../tripleseat/tripleseat.client';
import type { EventSearchFilter, TripleSeatEvent } from '../tripleseat/tripleseat.types';
import { CHECK, DoctorService, locationChecks, MAX_SCANNED_EVENTS } from './doctor.service';
import type { DoctorCheck, DoctorReport } from './doctor.types';

const SECRET = 'ts-client-secret-123456';
const REVEL_SECRET = 'revel-secret-abcdef';

const LA: Location = {
  key: '31883',
  name: 'Pinkbox Tropicana',
  revelEstablishmentId: 4,
  timezone: 'America/Los_Angeles',
  products: { 'TRIPLE OG': 579 },
  menuItems: {},
};
const SG: Location = {
  key: '40009',
  name: 'Pinkbox St George',
  revelEstablishmentId: 9,
  timezone: 'America/Denver',
  products: {},
  menuItems: {},
};
const LA_CHECKS = locationChecks(LA);
const SG_CHECKS = locationChecks(SG);

const rejected = () =>
  new UpstreamError(
    'tripleseat',
    'TripleSeat token endpoint refused the client credentials (401)',
    401,
    false,
    undefined,
    'AUTH_REJECTED',
  );
const notLinked = () =>
  new UpstreamError(
    'tripleseat',
    'tripleseat GET /v1/events.json answered 401 "Token resource owner not found"',
    401,
    false,
    undefined,
    'AUTH_ACCOUNT_NOT_LINKED',
  );
const timeout = (upstream: 'tripleseat' | 'revel') =>
  new UpstreamError(upstream, `${upstream} GET timed out`, undefined, true, undefined, 'TIMEOUT');
const httpError = (upstream: 'tripleseat' | 'revel', status: number) =>
  new UpstreamError(upstream, `${upstream} answered ${status}`, status, status >= 500);

function event(id: number, overrides: Partial<TripleSeatEvent> = {}): TripleSeatEvent {
  return {
    id,
    name: `Party ${id}`,
    status: 'CLOSED',
    event_date: '12/28/2025',
    location_id: 31883,
    site_id: 15691,
    ...overrides,
  };
}

function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
  return {
    eventId: '1',
    ledgerId: '00000000-0000-0000-0000-000000000000',
    establishmentId: 4,
    localId: 'Triple Seat_1',
    legacyLocalIds: [],
    orderUuid: 'o',
    paymentUuid: 'p',
    historyUuid: 'h',
    notes: '',
    lines: [
      {
        index: 0,
        uuid: 'l0',
        productId: 579,
        productName: 'TRIPLE OG',
        sourceName: 'TRIPLE OG',
        quantity: 8,
        unitPriceCents: 360,
        lineTotalCents: 2880,
        match: 'map',
        score: 1,
      },
    ],
    unmatched: [],
    source: { kind: 'document', documentId: '296001', title: 'Invoice', rule: 'title' },
    ignored: [],
    adjustments: [],
    grandTotalSource: 'document',
    subtotalCents: 2880,
    discountCents: 0,
    surchargeCents: 0,
    finalTotalCents: 2880,
    localTimestamp: '2025-12-28T12:00:00',
    ...overrides,
  };
}

const products = (ids: number[]): RevelProduct[] =>
  ids.map((id) => ({ id, resource_uri: `/resources/Product/${id}/`, name: `P${id}`, price: '1' }));

describe(DoctorService.name, () => {
  let service: DoctorService;
  let searched: TripleSeatEvent[];
  let yielded: number;
  let auth: { invalidate: jest.Mock; authorizationFor: jest.Mock };
  let tripleseat: {
    listEventsPage: jest.Mock;
    getEvent: jest.Mock;
    searchEvents: jest.Mock;
  };
  let revel: {
    getEstablishment: jest.Mock;
    listProducts: jest.Mock;
    findOrdersByLocalId: jest.Mock;
  };
  let pipeline: { evaluate: jest.Mock; draftFor: jest.Mock };
  let searchFailure: Error | undefined;

  beforeEach(async () => {
    searched = [event(1)];
    yielded = 0;
    searchFailure = undefined;
    auth = {
      invalidate: jest.fn(),
      authorizationFor: jest.fn().mockResolvedValue('Bearer secret-token-value'),
    };
    tripleseat = {
      listEventsPage: jest.fn().mockResolvedValue({ results: [event(1)], totalPages: 1 }),
      getEvent: jest.fn((id: string) =>
        Promise.resolve({ ...event(Number(id)), ...searched.find((e) => String(e.id) === id) }),
      ),
      searchEvents: jest.fn(async function* (filter: EventSearchFilter) {
        void filter;
        if (searchFailure) throw searchFailure;
        for (const e of searched) {
          yielded += 1;
          yield await Promise.resolve(e);
        }
      }),
    };
    revel = {
      getEstablishment: jest.fn((id: number) =>
        Promise.resolve<RevelEstablishment>({
          id,
          resource_uri: `/enterprise/Establishment/${id}/`,
          name: `Store ${id}`,
        }),
      ),
      listProducts: jest.fn().mockResolvedValue(products([577, 579, 590])),
      findOrdersByLocalId: jest.fn().mockResolvedValue([] as RevelOrder[]),
    };
    pipeline = {
      evaluate: jest.fn((e: TripleSeatEvent) =>
        String(e.status).toUpperCase() === 'CLOSED'
          ? { outcome: 'proceed', location: LA, eventDate: '2025-12-28' }
          : {
              outcome: 'skip',
              reason: 'STATUS_NOT_ELIGIBLE',
              detail: `status "${e.status}" is not one of CLOSED`,
            },
      ),
      draftFor: jest.fn((e: TripleSeatEvent) =>
        Promise.resolve(draft({ eventId: String(e.id), localId: `Triple Seat_${e.id}` })),
      ),
    };

    const moduleRef = await Test.createTestingModule({
      providers: [
        DoctorService,
        {
          provide: tripleseatConfig.KEY,
          useValue: {
            tokenUrl: 'https://api.tripleseat.com/oauth2/token',
            clientId: 'client-id',
            clientSecret: SECRET,
            webhookSigningKey: 'whsec-signing-key',
          },
        },
        {
          provide: revelConfig.KEY,
          useValue: {
            apiKey: 'revel-key-000',
            apiSecret: REVEL_SECRET,
            localIdTemplate: 'Triple Seat_{eventId}',
          },
        },
        {
          provide: syncConfig.KEY,
          useValue: {
            locations: new Map([
              [LA.key, LA],
              [SG.key, SG],
            ]),
            eligibleStatuses: ['CLOSED'],
            reconcileLookbackHours: 48,
            apiToken: 'sync-api-token-0123456789abcdef0123',
          },
        },
        { provide: TripleSeatAuth, useValue: auth },
        { provide: TripleSeatClient, useValue: tripleseat },
        { provide: RevelClient, useValue: revel },
        { provide: EventPipelineService, useValue: pipeline },
        { provide: Clock, useValue: new ManualClock(new Date('2025-12-28T20:00:00Z')) },
      ],
    }).compile();
    service = moduleRef.get(DoctorService);
  });

  const row = (report: DoctorReport, check: string): DoctorCheck => {
    const found = report.checks.find((c) => c.check === check);
    if (!found) throw new Error(`no row ${check}: ${report.checks.map((c) => c.check).join()}`);
    return found;
  };

  it('should pass every check and list them in order', async () => {
    const report = await service.run();
    expect(report.checks.map((c) => [c.check, c.ok, c.fix])).toEqual([
      [CHECK.token, true, ''],
      [CHECK.eventsPage, true, ''],
      [CHECK.recentEvent, true, ''],
      [LA_CHECKS.establishment, true, ''],
      [LA_CHECKS.items, true, ''],
      [SG_CHECKS.establishment, true, ''],
      [SG_CHECKS.items, true, ''],
      [CHECK.localId, true, ''],
    ]);
    expect(report.ok).toBe(true);
    // A fresh token: the cached one would not prove that the credentials work now.
    expect(auth.invalidate.mock.invocationCallOrder[0]).toBeLessThan(
      auth.authorizationFor.mock.invocationCallOrder[0],
    );
    expect(row(report, CHECK.recentEvent).detail).toContain(
      'event 1 "Party 1" (CLOSED, 12/28/2025) at Pinkbox Tropicana, fetched with show_financial=true: document 296001 "Invoice"',
    );
    expect(row(report, LA_CHECKS.establishment).detail).toBe(
      'establishment 4 "Store 4": 3 active products',
    );
    expect(row(report, CHECK.localId).detail).toContain(
      `"Triple Seat_1" looked up in establishment 4`,
    );
    expect(revel.findOrdersByLocalId).toHaveBeenCalledWith(4, 'Triple Seat_1');
    // The window: the last RECONCILE_LOOKBACK_HOURS in whole days and the next 7 days.
    expect(tripleseat.searchEvents).toHaveBeenCalledWith({
      fromDate: '2025-12-26',
      toDate: '2026-01-04',
    });
    // The recent event is fetched once, though two checks read it.
    expect(tripleseat.getEvent).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(report)).not.toContain('secret-token-value');
  });

  it.each([
    [
      'AUTH_REJECTED',
      rejected(),
      'refused the client credentials',
      'TRIPLESEAT_CLIENT_ID and TRIPLESEAT_CLIENT_SECRET',
    ],
    [
      'AUTH_HTML',
      htmlAnswerError('tripleseat', 'POST', 'https://api.tripleseat.com/oauth/token', 200),
      'answered an HTML login page instead of JSON',
      'TRIPLESEAT_OAUTH_TOKEN_URL',
    ],
    ['TIMEOUT', timeout('tripleseat'), 'could not be read (TIMEOUT)', 'run the check again later'],
    ['HTTP_503', httpError('tripleseat', 503), 'could not be read (HTTP 503)', 'again later'],
  ])(
    'should fail the token row on %s with its reason and fix, and skip what depends on it',
    async (_code, error, detail, fix) => {
      auth.authorizationFor.mockRejectedValue(error);
      const report = await service.run();
      expect(report.ok).toBe(false);
      const token = row(report, CHECK.token);
      expect(token.ok).toBe(false);
      expect(token.detail).toContain(detail);
      expect(token.fix).toContain(fix);
      expect(row(report, CHECK.eventsPage)).toEqual({
        check: CHECK.eventsPage,
        ok: false,
        detail: `skipped: ${CHECK.token} failed`,
        fix: `fix "${CHECK.token}" first`,
      });
      expect(row(report, CHECK.recentEvent).detail).toBe(`skipped: ${CHECK.eventsPage} failed`);
      expect(row(report, LA_CHECKS.items).detail).toBe(`skipped: ${CHECK.recentEvent} failed`);
      expect(tripleseat.listEventsPage).not.toHaveBeenCalled();
      expect(tripleseat.searchEvents).not.toHaveBeenCalled();
      // Revel does not depend on TripleSeat: still checked, with the probe local_id.
      expect(row(report, LA_CHECKS.establishment).ok).toBe(true);
      expect(row(report, CHECK.localId).ok).toBe(true);
      expect(revel.findOrdersByLocalId).toHaveBeenCalledWith(4, 'Triple Seat_0');
    },
  );

  it.each([
    [
      'AUTH_ACCOUNT_NOT_LINKED',
      notLinked(),
      'answered 401 "Token resource owner not found": the TripleSeat account is not linked to this OAuth application',
      'link the OAuth application to the account in TripleSeat (Settings → Tripleseat API & Webhooks) — a token can be issued while the account is not linked',
    ],
    [
      'AUTH_HTML',
      htmlAnswerError('tripleseat', 'GET', 'https://api.tripleseat.com/v1/events.json', 200),
      'answered an HTML login page instead of JSON',
      'TRIPLESEAT_API_BASE_URL',
    ],
    [
      'HTTP_403',
      httpError('tripleseat', 403),
      'refused the bearer token (HTTP 403)',
      'events:read',
    ],
    ['HTTP_404', httpError('tripleseat', 404), 'base URL looks wrong', 'TRIPLESEAT_API_BASE_URL'],
    ['HTTP_429', httpError('tripleseat', 429), 'answered 429 (rate limited)', 'in a minute'],
    [
      'AUTH_REJECTED (a token minted for the call)',
      rejected(),
      'refused the client credentials',
      'TRIPLESEAT_CLIENT_SECRET',
    ],
  ])(
    'should fail the events page on %s with its reason and fix',
    async (_code, error, detail, fix) => {
      tripleseat.listEventsPage.mockRejectedValue(error);
      const report = await service.run();
      expect(row(report, CHECK.token).ok).toBe(true);
      const page = row(report, CHECK.eventsPage);
      expect(page.ok).toBe(false);
      expect(page.detail).toContain(detail);
      expect(page.fix).toContain(fix);
      expect(row(report, CHECK.recentEvent).detail).toBe(`skipped: ${CHECK.eventsPage} failed`);
    },
  );

  it('should pass the recent-event row when there is no recent event, and probe the lookup', async () => {
    searched = [];
    const report = await service.run();
    expect(report.ok).toBe(true);
    expect(row(report, CHECK.recentEvent).detail).toBe(
      'no events in the last 2 days or the next 7 (2025-12-26 … 2026-01-04); nothing to check',
    );
    expect(row(report, LA_CHECKS.items).detail).toContain('nothing to check');
    expect(revel.findOrdersByLocalId).toHaveBeenCalledWith(4, 'Triple Seat_0');
    expect(row(report, CHECK.localId).detail).toContain('probe local_id "Triple Seat_0"');
  });

  it('should read a bounded number of search results', async () => {
    searched = Array.from({ length: 500 }, (_, i) => event(1000 + i));
    const report = await service.run();
    expect(yielded).toBe(MAX_SCANNED_EVENTS);
    expect(report.ok).toBe(true);
    // At most 10 events per location are fetched in full (the recent event among them).
    expect(tripleseat.getEvent.mock.calls.length).toBeLessThanOrEqual(10);
  });

  it('should prefer an eligible event at a mapped location, the latest day up to today', async () => {
    searched = [
      event(1, { location_id: 99999, site_id: 99999, event_date: '12/28/2025' }),
      event(2, { status: 'DEFINITE', event_date: '12/28/2025' }),
      event(3, { event_date: '12/27/2025' }),
      event(4, { event_date: '12/28/2025' }),
      event(5, { event_date: '01/02/2026' }),
    ];
    const report = await service.run();
    expect(row(report, CHECK.recentEvent).detail).toMatch(/^event 4 /);
  });

  it('should say so when the chosen event is not eligible', async () => {
    searched = [event(2, { status: 'DEFINITE' })];
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent.ok).toBe(true);
    expect(recent.detail).toContain('the sync would skip it: STATUS_NOT_ELIGIBLE');
  });

  it('should fail the recent-event row when no recent event is at a mapped location', async () => {
    searched = [event(1, { location_id: 777, site_id: 15 }), event(2, { location_id: 778 })];
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent.ok).toBe(false);
    expect(recent.detail).toContain('none of the 2 recent events is at a mapped location');
    expect(recent.detail).toContain('777, 778');
    expect(recent.fix).toContain('LOCATIONS_FILE');
    expect(row(report, LA_CHECKS.items)).toMatchObject({ ok: true });
  });

  it('should fail the recent-event row when no document has line items', async () => {
    pipeline.draftFor.mockResolvedValue(draft({ lines: [], source: { kind: 'none' } }));
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent.ok).toBe(false);
    expect(recent.detail).toContain('no document with line items');
    expect(recent.fix).toContain('show_financial=true');
  });

  it('should fail the recent-event row when nothing resolves, naming the lines', async () => {
    pipeline.draftFor.mockResolvedValue(
      draft({ lines: [], unmatched: [{ name: 'UNICORN CRULLER', quantity: 2 }] }),
    );
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent.ok).toBe(false);
    expect(recent.detail).toContain('1 unmatched: UNICORN CRULLER');
    expect(recent.detail).toContain('NO_ITEMS_MATCHED');
  });

  it('should fail the recent-event row and skip the line items when the search fails', async () => {
    searchFailure = timeout('tripleseat');
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent.ok).toBe(false);
    expect(recent.detail).toContain('GET /v1/events/search.json');
    expect(recent.detail).toContain('TIMEOUT');
    expect(row(report, LA_CHECKS.items).detail).toBe(`skipped: ${CHECK.recentEvent} failed`);
    expect(row(report, LA_CHECKS.establishment).ok).toBe(true);
  });

  it('should name the recent line items that would not resolve, per location', async () => {
    searched = [event(1), event(2), event(3, { status: 'TENTATIVE' })];
    pipeline.draftFor.mockImplementation((e: TripleSeatEvent) =>
      Promise.resolve(
        draft({
          unmatched:
            e.id === 1
              ? []
              : [
                  {
                    name: 'MAPLE BARZ',
                    quantity: 1,
                    closest: { name: 'MAPLE BAR', score: 0.71 },
                  },
                ],
        }),
      ),
    );
    const report = await service.run();
    const items = row(report, LA_CHECKS.items);
    expect(items.ok).toBe(false);
    expect(items.detail).toBe(
      '3 recent events checked: 1 line item would not resolve to a Revel product: "MAPLE BARZ" (event 2, 3; closest "MAPLE BAR", 71% similar)',
    );
    expect(items.fix).toContain('LOCATIONS_FILE "31883".products');
    expect(row(report, SG_CHECKS.items).ok).toBe(true);
    expect(pipeline.draftFor).toHaveBeenCalledWith(expect.anything(), LA);
  });

  it('should fail the line items when events cannot be read, not throw', async () => {
    searched = [event(1), event(2)];
    tripleseat.getEvent.mockImplementation((id: string) =>
      id === '2' ? Promise.reject(timeout('tripleseat')) : Promise.resolve(event(1)),
    );
    const report = await service.run();
    const items = row(report, LA_CHECKS.items);
    expect(items.ok).toBe(false);
    expect(items.detail).toContain('1 of 2 recent events could not be checked');
    expect(items.detail).toContain('GET /v1/events/2.json');
  });

  it.each([
    [
      'HTTP_404',
      httpError('revel', 404),
      'Revel has no establishment 4 (HTTP 404)',
      'set "revelEstablishmentId" of location 31883 in LOCATIONS_FILE',
    ],
    [
      'HTTP_401',
      httpError('revel', 401),
      'refused the API credentials (HTTP 401)',
      'REVEL_API_KEY and REVEL_API_SECRET',
    ],
    [
      'AUTH_HTML',
      htmlAnswerError('revel', 'GET', '/enterprise/Establishment/4/', 200),
      'answered an HTML login page instead of JSON',
      'REVEL_API_KEY',
    ],
    ['TIMEOUT', timeout('revel'), 'could not be read (TIMEOUT)', 'again later'],
  ])(
    'should fail the establishment row on %s and skip its line items',
    async (_code, error, detail, fix) => {
      revel.getEstablishment.mockImplementation((id: number) =>
        id === 4
          ? Promise.reject(error)
          : Promise.resolve({ id, resource_uri: `/enterprise/Establishment/${id}/` }),
      );
      const report = await service.run();
      const est = row(report, LA_CHECKS.establishment);
      expect(est.ok).toBe(false);
      expect(est.detail).toContain(detail);
      expect(est.fix).toContain(fix);
      expect(row(report, LA_CHECKS.items).detail).toBe(
        `skipped: ${LA_CHECKS.establishment} failed`,
      );
      expect(row(report, SG_CHECKS.establishment).ok).toBe(true);
    },
  );

  it('should fail an establishment without active products', async () => {
    revel.listProducts.mockResolvedValue([]);
    const report = await service.run();
    expect(row(report, SG_CHECKS.establishment)).toMatchObject({
      ok: false,
      detail: 'establishment 9 "Store 9" has no active products',
    });
  });

  it('should fail an establishment whose location map names a product it does not have', async () => {
    revel.listProducts.mockResolvedValue(products([577, 590]));
    const report = await service.run();
    const est = row(report, LA_CHECKS.establishment);
    expect(est.ok).toBe(false);
    expect(est.detail).toContain('TRIPLE OG → 579');
    expect(row(report, SG_CHECKS.establishment).ok).toBe(true);
  });

  it('should fail the lookup row when Revel cannot be searched by local_id', async () => {
    revel.findOrdersByLocalId.mockRejectedValue(httpError('revel', 500));
    const report = await service.run();
    const lookup = row(report, CHECK.localId);
    expect(lookup.ok).toBe(false);
    expect(lookup.detail).toContain('HTTP 500');
    expect(lookup.detail).toContain('the sync writes no order');
  });

  it('should report an existing order for the recent event', async () => {
    revel.findOrdersByLocalId.mockResolvedValue([{ id: 120045 }]);
    const report = await service.run();
    expect(row(report, CHECK.localId).detail).toContain('1 order already carries it (120045)');
  });

  it('should turn an unexpected error into a failed row rather than throw', async () => {
    pipeline.draftFor.mockRejectedValue(new TypeError('boom'));
    const report = await service.run();
    const recent = row(report, CHECK.recentEvent);
    expect(recent).toMatchObject({ ok: false, detail: 'unexpected error: boom' });
    expect(recent.fix).toContain('service log');
  });

  it('should never put a configured secret in a row', async () => {
    revel.findOrdersByLocalId.mockRejectedValue(
      new UpstreamError('revel', `bad key ${REVEL_SECRET} / ${SECRET}`, 502, true),
    );
    const report = await service.run();
    const text = JSON.stringify(report);
    expect(text).not.toContain(REVEL_SECRET);
    expect(text).not.toContain(SECRET);
    expect(row(report, CHECK.localId).detail).toContain('[redacted]');
  });
});

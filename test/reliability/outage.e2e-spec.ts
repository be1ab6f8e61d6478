/**
 * Outage: Revel answers 503 for a simulated hour (the injected clock is advanced and the worker
 * ticked) while webhooks for 20 events arrive.
 *
 * What the product does, and what is asserted:
 * - With the production backoff (30 s base, 1 h cap) an event needs more than an hour of failures
 *   before its 9th attempt (the jittered delays of attempts 1–8 add up to at least 61.75 min), so
 *   with MAX_ATTEMPTS=9 an hour-long outage exhausts nobody: no failure e-mail at all, and once
 *   Revel is back the backlog drains by itself into one order each.
 * - With MAX_ATTEMPTS=4 every event is FAILED within minutes. Operators get the first failure at
 *   once and the other 19 in ONE digest (not 19 e-mails); after recovery a reconciliation re-arms
 *   the failed events and each gets exactly one order.
 */
import { DateTime } from 'luxon';
import type { SyncEventRow } from '../../src/database/database.types';
import { LedgerRepository } from '../../src/database/ledger.repository';
import { MailerService } from '../../src/notifications/mailer.service';
import { SyncWorker } from '../../src/sync/sync.worker';
import type { CapturedMessage } from '../support/smtp-capture';
import { Harness, startHarness } from '../support/harness';
import {
  auditExactlyOnce,
  countStates,
  eligibleEvent,
  ExpectedOrder,
  printFigures,
  prng,
  until,
  webhookBody,
} from './support';

const EVENTS = 20;
const HOUR_MS = 3_600_000;
const STEP_MS = 60_000;

/** Production backoff; only the attempt budget differs between the two scenarios. */
const BACKOFF_ENV = {
  RETRY_BASE_DELAY_MS: '30000',
  RETRY_MAX_DELAY_MS: '3600000',
  UPSTREAM_MAX_ATTEMPTS: '1',
  UPSTREAM_TIMEOUT_MS: '2000',
};

const isFailureMail = (m: CapturedMessage) => /failed to sync/.test(m.subject);
const isOrderMail = (m: CapturedMessage) => /^Revel order .* created/.test(m.subject);

interface Scenario {
  h: Harness;
  ids: string[];
  expected: ExpectedOrder[];
  ledger: LedgerRepository;
  worker: SyncWorker;
}

async function setUp(maxAttempts: number, firstId: number): Promise<Scenario> {
  // The simulated hours start at 09:00 in Los Angeles (10:00 in Denver), today: started from the
  // real time of day, a run late in the evening crossed a site's midnight, and its events, no
  // longer due that day, were skipped instead of drained.
  const now = DateTime.now()
    .setZone('America/Los_Angeles')
    .set({ hour: 9, minute: 0, second: 0, millisecond: 0 })
    .toJSDate();
  const h = await startHarness({
    now,
    env: { ...BACKOFF_ENV, MAX_ATTEMPTS: String(maxAttempts) },
  });
  const random = prng(firstId);
  const expected: ExpectedOrder[] = [];
  for (let i = 0; i < EVENTS; i += 1) {
    const { event, expected: want } = eligibleEvent(firstId + i, random);
    // Today at the site by the harness clock.
    const site = String(event.location_id) === '31883' ? 'America/Los_Angeles' : 'America/Denver';
    event.event_date = DateTime.fromJSDate(h.clock.now()).setZone(site).toFormat('MM/dd/yyyy');
    event.event_date_iso8601 = null;
    h.tripleseat.upsertEvent(event);
    expected.push(want);
  }
  return {
    h,
    ids: expected.map((e) => e.eventId),
    expected,
    ledger: h.get(LedgerRepository),
    worker: h.get(SyncWorker),
  };
}

/** Ticks the worker until nothing is in flight and nothing is due at the injected clock's now. */
async function settle(s: Scenario): Promise<SyncEventRow[]> {
  let rows: SyncEventRow[] = [];
  await until(
    'the worker to go idle',
    async () => {
      await s.worker.tick();
      rows = await s.ledger.getMany(s.ids);
      const now = s.h.clock.now().getTime();
      const busy = rows.some(
        (r) =>
          r.state === 'IN_PROGRESS' ||
          ((r.state === 'PENDING' || r.state === 'HELD') && r.next_attempt_at <= now),
      );
      return !busy && s.worker.busy === 0 && rows.length === s.ids.length ? true : undefined;
    },
    20_000,
    20,
    () => JSON.stringify(countStates(rows)),
  );
  return rows;
}

/** Advances the injected clock by `totalMs` in steps, letting the worker run at every step. */
async function live(s: Scenario, totalMs: number, stop?: (rows: SyncEventRow[]) => boolean) {
  const end = s.h.clock.now().getTime() + totalMs;
  let rows = await settle(s);
  while (s.h.clock.now().getTime() < end && !(stop?.(rows) ?? false)) {
    s.h.clock.advance(Math.min(STEP_MS, end - s.h.clock.now().getTime()));
    rows = await settle(s);
  }
  return rows;
}

async function receiveWebhooks(s: Scenario): Promise<void> {
  for (const id of s.ids) {
    const res = await s.h.webhook(webhookBody(id));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ reason: 'QUEUED', eventId: id });
  }
}

function audit(s: Scenario, rows: SyncEventRow[]) {
  return auditExactlyOnce(s.h.revel, new Map(rows.map((r) => [r.event_id, r])), s.expected, []);
}

describe('reliability: Revel down for a simulated hour (SQLite, injected clock)', () => {
  it('should drain the backlog with no failure e-mail when the hour stays within the retry budget', async () => {
    const s = await setUp(9, 73_000_000);
    try {
      const started = Date.now();
      s.h.revel.faults.set([{ errorRate: 1, errorStatus: 503 }]);
      await receiveWebhooks(s);

      const during = await live(s, HOUR_MS);
      const attempts = during.map((r) => r.attempts);
      expect(countStates(during)).toEqual({ PENDING: EVENTS });
      expect(Math.min(...attempts)).toBeGreaterThanOrEqual(5);
      expect(Math.max(...attempts)).toBeLessThan(9);
      expect(s.h.revel.orders()).toHaveLength(0);
      const revelCallsDuringOutage = s.h.revel.requestCount();

      s.h.revel.faults.clear();
      const after = await live(s, 2 * HOUR_MS, (rows) => rows.every((r) => r.state === 'INJECTED'));
      await s.h.get(MailerService).flush();
      await until(
        'an order e-mail per event',
        () => (s.h.smtp.messages.filter(isOrderMail).length >= EVENTS ? true : undefined),
        10_000,
      );
      const result = audit(s, after);
      const failureMails = s.h.smtp.messages.filter(isFailureMail);

      printFigures('Outage within the retry budget (MAX_ATTEMPTS=9)', [
        ['events', EVENTS],
        ['simulated outage (min)', HOUR_MS / 60_000],
        [
          'attempts per event during the outage',
          `${Math.min(...attempts)}–${Math.max(...attempts)}`,
        ],
        ['Revel calls during the outage', revelCallsDuringOutage],
        ['ledger after recovery', JSON.stringify(countStates(after))],
        ['orders in Revel', s.h.revel.orders().length],
        ['order e-mails', s.h.smtp.messages.filter(isOrderMail).length],
        ['failure e-mails', failureMails.length],
        ['DUPLICATES found', result.duplicates],
        ['MISSING found', result.missing],
        ['wall time (s)', ((Date.now() - started) / 1000).toFixed(1)],
      ]);

      expect(result.problems).toEqual([]);
      expect(countStates(after)).toEqual({ INJECTED: EVENTS });
      expect(failureMails).toEqual([]);
      expect(s.h.smtp.messages.filter(isOrderMail)).toHaveLength(EVENTS);
    } finally {
      await s.h.close();
    }
  }, 120_000);

  it('should send one immediate failure and ONE digest for the other 19 when attempts run out, then recover each event once', async () => {
    const s = await setUp(4, 73_100_000);
    try {
      const started = Date.now();
      s.h.revel.faults.set([{ errorRate: 1, errorStatus: 503 }]);
      await receiveWebhooks(s);

      const during = await live(s, HOUR_MS);
      expect(countStates(during)).toEqual({ FAILED: EVENTS });
      expect(during.every((r) => r.reason === 'RETRIES_EXHAUSTED' && r.attempts === 4)).toBe(true);
      // The digest window is real time; the hour passed in seconds, so close it now.
      await s.h.get(MailerService).flush();
      const failureMails = await until(
        'the failure e-mails',
        () => {
          const mails = s.h.smtp.messages.filter(isFailureMail);
          return mails.some((m) => /^\d+ TripleSeat events? failed/.test(m.subject))
            ? mails
            : undefined;
        },
        10_000,
      );
      const singles = failureMails.filter((m) => /^TripleSeat event #/.test(m.subject));
      const digests = failureMails.filter((m) => /^\d+ TripleSeat events? failed/.test(m.subject));
      // Each event in exactly one of the mails (a mail may name its event more than once).
      const mentioned = failureMails.flatMap((m) => [
        ...new Set([...m.text.matchAll(/#(\d+)/g)].map((match) => match[1])),
      ]);
      const mentionedOnce = s.ids.filter((id) => mentioned.filter((x) => x === id).length === 1);

      // Back up: a reconciliation re-arms the failed events and runs each once.
      s.h.revel.faults.clear();
      const sweep = await s.h.api().post('/api/sync/tripleseat?hours_back=48&wait=25');
      const after = await settle(s);
      const result = audit(s, after);

      printFigures('Outage beyond the retry budget (MAX_ATTEMPTS=4)', [
        ['events', EVENTS],
        ['simulated outage (min)', HOUR_MS / 60_000],
        ['FAILED during the outage', countStates(during).FAILED ?? 0],
        ['failure e-mails sent at once', singles.length],
        ['digest e-mails', digests.length],
        ['digest subject', digests.map((d) => d.subject).join(' | ')],
        ['events named in exactly one mail', mentionedOnce.length],
        ['sweep summary', JSON.stringify((sweep.body as { summary: unknown }).summary)],
        ['orders in Revel', s.h.revel.orders().length],
        ['DUPLICATES found', result.duplicates],
        ['MISSING found', result.missing],
        ['wall time (s)', ((Date.now() - started) / 1000).toFixed(1)],
      ]);

      expect(singles).toHaveLength(1);
      expect(digests).toHaveLength(1);
      expect(digests[0].subject).toBe(`${EVENTS - 1} TripleSeat events failed to sync`);
      expect(failureMails).toHaveLength(2);
      expect(mentionedOnce.sort()).toEqual([...s.ids].sort());
      expect(sweep.status).toBe(200);
      expect(result.problems).toEqual([]);
      expect(countStates(after)).toEqual({ INJECTED: EVENTS });
    } finally {
      await s.h.close();
    }
  }, 120_000);

  it('should retry, at the next reconciliation after recovery, events that reconciliation found and the outage exhausted', async () => {
    // Known gap (reported): rows first queued by a reconciliation carry TripleSeat's updated_at,
    // and a later reconciliation re-arms a FAILED row only when that changed. An event whose
    // webhook was lost, found by reconciliation and exhausted by an outage, stays FAILED: never
    // an order, although the next reconciliation sees it eligible and reports it failed again.
    const s = await setUp(4, 73_200_000);
    try {
      s.h.revel.faults.set([{ errorRate: 1, errorStatus: 503 }]);
      const found = await s.h.api().post('/api/sync/tripleseat?hours_back=48&wait=25');
      expect(found.status).toBe(200);
      const during = await live(s, HOUR_MS);
      expect(countStates(during)).toEqual({ FAILED: EVENTS });

      s.h.revel.faults.clear();
      const sweep = await s.h.api().post('/api/sync/tripleseat?hours_back=48&wait=25');
      const after = await settle(s);
      const result = audit(s, after);
      printFigures('Outage after a reconciliation found the events (MAX_ATTEMPTS=4)', [
        ['events', EVENTS],
        ['sweep summary', JSON.stringify((sweep.body as { summary: unknown }).summary)],
        ['ledger after the sweep', JSON.stringify(countStates(after))],
        ['orders in Revel', s.h.revel.orders().length],
        ['MISSING found', result.missing],
      ]);
      expect(result.missing).toBe(0);
      expect(countStates(after)).toEqual({ INJECTED: EVENTS });
    } finally {
      await s.h.close();
    }
  }, 120_000);
});

import {
  count,
  emptySummary,
  EventOutcome,
  outcomeOf,
  PARTIAL_ORDER_COMPLETED,
  parseRunRecord,
} from './sync.types';

describe('sync summary words', () => {
  describe(outcomeOf.name, () => {
    it('should call an order created only when this run recorded writing it', () => {
      expect(outcomeOf('INJECTED', [null])).toBe('created');
      expect(outcomeOf('INJECTED', [PARTIAL_ORDER_COMPLETED])).toBe('completed');
      // Written by a webhook, an earlier sync or another replica: nothing recorded by this run.
      expect(outcomeOf('INJECTED', [])).toBe('alreadySynced');
      expect(outcomeOf('DRIFTED', [])).toBe('alreadySynced');
      expect(outcomeOf('ALREADY_EXISTS', [])).toBe('alreadySynced');
    });

    it('should not count a drift resolution or a resync as a write', () => {
      expect(
        outcomeOf('INJECTED', ['drift resolved: the event matches the Revel order again']),
      ).toBe('alreadySynced');
      expect(outcomeOf('INJECTED', ['resynced on request'])).toBe('alreadySynced');
    });

    it('should sort the other states into skipped and failed', () => {
      expect(outcomeOf('SKIPPED', [])).toBe('skipped');
      expect(outcomeOf('HELD', [])).toBe('skipped');
      expect(outcomeOf('DRY_RUN', [])).toBe('skipped');
      expect(outcomeOf('PENDING', [], true)).toBe('skipped');
      expect(outcomeOf('PENDING', [])).toBe('failed');
      expect(outcomeOf('IN_PROGRESS', [])).toBe('failed');
      expect(outcomeOf('FAILED', [])).toBe('failed');
    });
  });

  describe(count.name, () => {
    it('should count created within injected, and every event exactly once outside created', () => {
      const summary = emptySummary();
      const outcomes: EventOutcome[] = [
        'created',
        'created',
        'completed',
        'alreadySynced',
        'skipped',
        'failed',
      ];
      for (const outcome of outcomes) count(summary, outcome);
      expect(summary).toEqual({
        queried: 0,
        created: 2,
        injected: 3,
        alreadySynced: 1,
        skipped: 1,
        failed: 1,
      });
      const s = summary;
      expect(s.injected + s.alreadySynced + s.skipped + s.failed).toBe(outcomes.length);
    });
  });

  describe(parseRunRecord.name, () => {
    it('should read every shape a run keeps: running, finished, scheduled and unreadable', () => {
      const progress = { phase: 'processing', listed: 3, queued: 2, settled: 1, byState: {} };
      const summary = { ...emptySummary(), queried: 3 };
      expect(parseRunRecord(JSON.stringify({ progress }))).toEqual({ progress });
      expect(parseRunRecord(JSON.stringify({ summary, progress, events: [] }))).toEqual({
        summary,
        progress,
        events: [],
      });
      expect(parseRunRecord(JSON.stringify(summary))).toEqual({ summary });
      expect(parseRunRecord(null)).toEqual({});
      expect(parseRunRecord('not json')).toEqual({});
    });
  });
});

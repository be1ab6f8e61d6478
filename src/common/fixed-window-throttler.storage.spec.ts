import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe(FixedWindowThrottlerStorage.name, () => {
  it('should count hits per key and block the one over the limit until the window ends', async () => {
    const storage = new FixedWindowThrottlerStorage();

    const first = await storage.increment('webhook:10.0.0.1', 60_000, 2, 0, 'webhook');
    const second = await storage.increment('webhook:10.0.0.1', 60_000, 2, 0, 'webhook');
    const third = await storage.increment('webhook:10.0.0.1', 60_000, 2, 0, 'webhook');

    expect(first).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
    expect(second).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(third).toMatchObject({ totalHits: 3, isBlocked: true });
    expect(third.timeToExpire).toBeGreaterThan(58);
    expect(third.timeToExpire).toBeLessThanOrEqual(60);
    expect(third.timeToBlockExpire).toBe(third.timeToExpire);
  });

  it('should keep clients and throttlers apart', async () => {
    const storage = new FixedWindowThrottlerStorage();
    await storage.increment('10.0.0.1', 60_000, 1, 0, 'webhook');

    const otherClient = await storage.increment('10.0.0.2', 60_000, 1, 0, 'webhook');
    const otherThrottler = await storage.increment('10.0.0.1', 60_000, 1, 0, 'api');
    const same = await storage.increment('10.0.0.1', 60_000, 1, 0, 'webhook');

    expect(otherClient.isBlocked).toBe(false);
    expect(otherThrottler.isBlocked).toBe(false);
    expect(same.isBlocked).toBe(true);
  });

  it('should admit the client again in the next window', async () => {
    const storage = new FixedWindowThrottlerStorage();
    await storage.increment('10.0.0.1', 1000, 1, 0, 'api');
    expect((await storage.increment('10.0.0.1', 1000, 1, 0, 'api')).isBlocked).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1100));

    expect(await storage.increment('10.0.0.1', 1000, 1, 0, 'api')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('should keep a client blocked for blockDuration once over the limit', async () => {
    const storage = new FixedWindowThrottlerStorage();
    await storage.increment('10.0.0.1', 1000, 1, 5000, 'api');
    const over = await storage.increment('10.0.0.1', 1000, 1, 5000, 'api');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await storage.increment('10.0.0.1', 1000, 1, 5000, 'api');

    expect(over).toMatchObject({ isBlocked: true, timeToBlockExpire: 5 });
    expect(later.isBlocked).toBe(true);
    expect(later.timeToBlockExpire).toBeGreaterThanOrEqual(3);
  });
});

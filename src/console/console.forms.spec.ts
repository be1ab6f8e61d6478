import { consolePath, noticeOf, NOTICES } from './console.forms';

describe(consolePath.name, () => {
  it.each([
    '/console',
    '/console/',
    '/console/events/123',
    '/console/mappings?location=31883',
    '/console/events/123#lines',
  ])('should keep %s', (path) => {
    expect(consolePath(path)).toBe(path);
  });

  it.each([
    '//evil.example/x',
    '//evil.example/console',
    '/consolex',
    '/console-evil',
    '/console/../api/sync/runs',
    '/console/./../api',
    '/console/%2e%2e/api',
    '/console/%2E%2E/metrics',
    '/console/..%2fapi',
    '/console\\..\\api',
    'https://evil.example/console',
    '/api/sync/runs',
    '',
    42,
    undefined,
  ])('should send %p to the board', (value) => {
    expect(consolePath(value)).toBe('/console');
  });
});

describe(noticeOf.name, () => {
  it('should give the words of a known notice', () => {
    expect(noticeOf('synced')).toBe(NOTICES.synced);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'nope'])(
    'should give nothing for %s',
    (key) => {
      expect(noticeOf(key)).toBe('');
    },
  );
});

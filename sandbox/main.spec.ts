import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { banner, DEMO_SYNC_API_TOKEN, Sandboxes, startSandboxes } from './main';

describe('npm run sandbox', () => {
  let sandboxes: Sandboxes;

  beforeAll(async () => {
    sandboxes = await startSandboxes();
  });

  afterAll(async () => {
    await sandboxes.close();
  });

  const envBlock = (text: string): string[] =>
    text.split('\n').filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line));

  it("should print a complete .env block: config/sandbox.env's variables, in its order", () => {
    const printed = banner(sandboxes, {}, '01/02/2026');
    const file = readFileSync(join(__dirname, '..', 'config', 'sandbox.env'), 'utf8')
      // The file is written for the default ports; these sandboxes listen on free ones.
      .replaceAll('127.0.0.1:4010', new URL(sandboxes.tripleseat.url).host)
      .replaceAll('127.0.0.1:4020', new URL(sandboxes.revel.url).host);

    expect(envBlock(printed)).toEqual(envBlock(file));
    expect(printed).toContain(`SYNC_API_TOKEN=${DEMO_SYNC_API_TOKEN}`);
    // Pasteable as it stands: the block is one run of lines, comment first, no blank inside.
    const lines = printed.split('\n');
    const first = lines.findIndex((l) => l.startsWith('TRIPLESEAT_API_BASE_URL='));
    expect(lines[first - 1]).toMatch(/^# /);
    expect(lines.slice(first, first + 10).every((l) => /^[A-Z_]+=\S+$/.test(l))).toBe(true);
    expect(lines[first + 10]).toBe('');
  });

  it('should take SYNC_API_TOKEN from the environment when it is set', () => {
    const printed = banner(sandboxes, { SYNC_API_TOKEN: 'my-own-token-0123456789abcdef0123' });
    expect(envBlock(printed)).toContain('SYNC_API_TOKEN=my-own-token-0123456789abcdef0123');
  });

  it('should document POST /__sandbox/events with an example that seeds as printed', async () => {
    const printed = banner(sandboxes, {}, '01/02/2026');
    expect(printed).toContain('POST   /events');
    expect(printed).toContain('{"upserted":N}');
    const curl = printed.split('\n').find((l) => l.includes('/__sandbox/events -d '));
    const body = /-d '(.*)'$/.exec(curl ?? '')?.[1] ?? '';
    expect(JSON.parse(body)).toMatchObject({ id: 7002, event_date: '01/02/2026' });

    // As curl sends it: form-encoded content type, JSON text.
    const res = await fetch(`${sandboxes.tripleseat.url}/__sandbox/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(await res.json()).toEqual({ upserted: 1 });
    expect(sandboxes.tripleseat.events().map((e) => e.id)).toContain(7002);
  });
});

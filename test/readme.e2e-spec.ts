/**
 * The README is the newcomer's first hour: it stays short, every page and link it names exists, and
 * its "Try it by hand" steps, extracted from the README and run as written, end with the event's
 * order in the Revel sandbox.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const README = join(ROOT, 'README.md');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (heading) {
      anchors.add(
        heading[1]
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\- ]/gu, '')
          .replace(/ /g, '-'),
      );
    }
  }
  return anchors;
}

/** Relative links `[text](target)` outside code, as [file, anchor]. */
function relativeLinks(markdown: string): { target: string; anchor?: string }[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links: { target: string; anchor?: string }[] = [];
  for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const href = m[1];
    if (/^[a-z]+:/i.test(href)) continue;
    const [target, anchor] = href.split('#');
    links.push({ target, ...(anchor ? { anchor } : {}) });
  }
  return links;
}

function checkLinks(file: string): string[] {
  const problems: string[] = [];
  const text = readFileSync(file, 'utf8');
  for (const { target, anchor } of relativeLinks(text)) {
    const path = target === '' ? file : resolve(dirname(file), target);
    if (!existsSync(path)) {
      problems.push(`${file}: link to missing ${target}`);
      continue;
    }
    if (anchor && path.endsWith('.md') && !anchorsOf(readFileSync(path, 'utf8')).has(anchor)) {
      problems.push(`${file}: no heading #${anchor} in ${target || 'itself'}`);
    }
  }
  return problems;
}

/** The bash blocks of one `## ` section, in order. */
function bashBlocks(markdown: string, section: string): string[] {
  const start = markdown.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README has no "## ${section}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const body = markdown.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function bash(script: string, timeoutMs = 60_000): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${script}\n${out}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, out });
    });
  });
}

/** The environment of a newcomer's shell: nothing of this test run's settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'npm_config_cache']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
}

function background(script: string): { child: ChildProcess; output: () => string } {
  const child = spawn('bash', ['-c', script], {
    cwd: ROOT,
    env: cleanEnv(),
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function waitFor(url: string, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up:\n${describe()}`);
}

function stop(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

describe('README', () => {
  const text = readFileSync(README, 'utf8');

  it('should be at most 200 lines', () => {
    expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(200);
  });

  it('should link only to pages and headings that exist, and every docs/ page should be linked', () => {
    const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    const problems = [README, ...docs.map((f) => join(ROOT, 'docs', f))].flatMap(checkLinks);
    expect(problems).toEqual([]);
    const linked = new Set(relativeLinks(text).map((l) => l.target));
    expect(docs.filter((f) => !linked.has(`docs/${f}`))).toEqual([]);
  });

  describe('Try it by hand, run as written', () => {
    const blocks = bashBlocks(text, 'Try it by hand');
    let sandbox: ReturnType<typeof background> | undefined;
    let service: ReturnType<typeof background> | undefined;
    const db = join(ROOT, 'data', 'try.db');

    beforeAll(() => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
    });

    afterAll(() => {
      stop(service?.child);
      stop(sandbox?.child);
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
    });

    it('should end with the event INJECTED and its order in the Revel sandbox', async () => {
      expect(blocks).toHaveLength(5);
      const [sandboxBlock, serviceBlock, seedBlock, webhookBlock, watchBlock] = blocks;

      sandbox = background(sandboxBlock);
      await waitFor('http://127.0.0.1:4020/__sandbox/orders', 60_000, () => sandbox!.output());
      service = background(serviceBlock);
      await waitFor('http://127.0.0.1:3000/health/live', 90_000, () => service!.output());

      const seeded = await bash(seedBlock);
      expect(seeded).toMatchObject({ code: 0 });
      expect(seeded.out).toContain('"upserted":1');

      const delivered = await bash(webhookBlock);
      expect(delivered.code).toBe(0);
      expect(delivered.out).toContain('"reason":"QUEUED"');

      let watched = { code: -1, out: '' };
      for (let i = 0; i < 60 && !watched.out.includes('"state":"INJECTED"'); i += 1) {
        watched = await bash(watchBlock);
        if (!watched.out.includes('"state":"INJECTED"'))
          await new Promise((r) => setTimeout(r, 500));
      }
      expect(watched.code).toBe(0);
      expect(watched.out).toContain('"state":"INJECTED"');
      expect(watched.out).toContain('"local_id":"Triple Seat_7001"');
      expect(watched.out).toContain('"finalTotal":"94.40"');
      expect(watched.out).toContain('Private room (Room Rental, not ordered)');

      // "In a browser, http://127.0.0.1:3000/console shows the event … with the SYNC_API_TOKEN
      // from config/sandbox.env" (the browser itself is console-browser.e2e-spec.ts).
      const token = /^SYNC_API_TOKEN=(.+)$/m.exec(readFileSync('config/sandbox.env', 'utf8'))?.[1];
      const signIn = await fetch('http://127.0.0.1:3000/console/sign-in', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: token ?? '' }).toString(),
      });
      expect(signIn.status).toBe(303);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
      const board = await (
        await fetch('http://127.0.0.1:3000/console', { headers: { cookie } })
      ).text();
      expect(board).toContain('data-event-id="7001"');
      expect(board).toContain('Try-it party');
    }, 240_000);
  });
});

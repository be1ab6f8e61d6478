/**
 * The README is the newcomer's first hour: it stays short, every page and link it names exists, and
 * its "Try it by hand" steps, extracted from the README and run as written, end with the event's
 * order in the Revel sandbox.
 *
 * The steps run in a temporary copy of the repository, on ports the operating system chose: a
 * newcomer's own try-it service (on the README's ports 3000, 4010 and 4020, with its ledger in
 * `data/try.db`) is never contacted, and no file of the checkout's `data/` is read or removed. The
 * spec proves it on every run: it holds listeners on those three ports and a `data/try.db` in a
 * temporary clone it runs from, and checks that neither was touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const README = join(ROOT, 'README.md');

/** The README's fixed try-it ports: the service, the TripleSeat sandbox, the Revel sandbox. */
const README_PORTS = { service: 3000, tripleseat: 4010, revel: 4020 } as const;

/** What the try-it steps need of a checkout, besides node_modules. */
const TRY_IT_FILES = ['README.md', 'package.json', 'tsconfig.json', 'config', 'src', 'sandbox'];

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

/** The environment of a newcomer's shell: nothing of this test run's settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'npm_config_cache']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
}

function bash(
  script: string,
  cwd: string,
  timeoutMs = 60_000,
): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: cleanEnv() });
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

interface Background {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
}

function background(script: string, cwd: string): Background {
  const child = spawn('bash', ['-c', script], { cwd, env: cleanEnv(), detached: true });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const check of waiters) check();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> =>
    new Promise((resolvePromise, reject) => {
      const done = (): void => {
        waiters.delete(check);
        clearTimeout(timer);
        child.off('exit', exited);
      };
      const check = (): void => {
        const match = pattern.exec(out);
        if (match) {
          done();
          resolvePromise(match);
        }
      };
      const exited = (code: number | null): void => {
        done();
        reject(new Error(`exited (${code}) before printing ${pattern}:\n${out}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      waiters.add(check);
      child.on('exit', exited);
      check();
    });
  return { child, output: () => out, waitFor };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return Promise.resolve();
  }
  return exited;
}

/**
 * A listener on each of the README's ports, counting the connections it gets. A port something
 * else already listens on is left to it (`held: false`): that is a newcomer's try-it service.
 */
async function guardPorts(ports: readonly number[]): Promise<{
  held: Map<number, boolean>;
  connections: Map<number, number>;
  close: () => Promise<void>;
}> {
  const held = new Map<number, boolean>();
  const connections = new Map<number, number>();
  const servers: Server[] = [];
  for (const port of ports) {
    connections.set(port, 0);
    const server = createServer((socket) => {
      connections.set(port, (connections.get(port) ?? 0) + 1);
      socket.destroy();
    });
    const listening = await new Promise<boolean>((r) => {
      server.once('error', () => r(false));
      server.listen(port, '127.0.0.1', () => r(true));
    });
    held.set(port, listening);
    if (listening) servers.push(server);
  }
  return {
    held,
    connections,
    close: () =>
      Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {}),
  };
}

/** Path → sha256 of every file under `dir` (empty when it does not exist), with sizes and mtimes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (!stat.isFile()) continue;
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    out[name] = `${hash} ${stat.size} ${stat.mtimeMs}`;
  }
  return out;
}

/** A fresh copy of what the try-it steps need, with node_modules linked; never data/. */
function copyCheckout(source: string, into: string): void {
  mkdirSync(into, { recursive: true });
  for (const entry of TRY_IT_FILES)
    cpSync(join(source, entry), join(into, entry), { recursive: true });
  symlinkSync(realpathSync(join(source, 'node_modules')), join(into, 'node_modules'), 'dir');
}

/** A block with the README's fixed ports replaced by the ones this run got. */
function withPorts(
  block: string,
  ports: { service: number; tripleseat: number; revel: number },
): string {
  return block
    .replace(/--tripleseat-port \d+/g, `--tripleseat-port ${ports.tripleseat}`)
    .replace(/--revel-port \d+/g, `--revel-port ${ports.revel}`)
    .replace(/\bPORT=\d+/g, `PORT=${ports.service}`)
    .replaceAll(`127.0.0.1:${README_PORTS.service}`, `127.0.0.1:${ports.service}`)
    .replaceAll(`127.0.0.1:${README_PORTS.tripleseat}`, `127.0.0.1:${ports.tripleseat}`)
    .replaceAll(`127.0.0.1:${README_PORTS.revel}`, `127.0.0.1:${ports.revel}`);
}

const FIXED_PORT = /127\.0\.0\.1:(3000|4010|4020)\b|-port (4010|4020)\b|\bPORT=3000\b/;

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

  describe('Try it by hand, run as written in a temporary copy on its own ports', () => {
    let tmp: string;
    let clone: string;
    let run: string;
    let guard: Awaited<ReturnType<typeof guardPorts>>;
    let sandbox: Background | undefined;
    let service: Background | undefined;
    const checkoutData = snapshot(join(ROOT, 'data'));
    let cloneData: Record<string, string>;

    beforeAll(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'readme-'));
      // A newcomer's checkout with a try-it ledger in it, and their try-it service's ports taken.
      clone = join(tmp, 'checkout');
      copyCheckout(ROOT, clone);
      mkdirSync(join(clone, 'data'));
      for (const suffix of ['', '-wal', '-shm']) {
        writeFileSync(join(clone, 'data', `try.db${suffix}`), `a newcomer's ledger${suffix}\n`);
      }
      cloneData = snapshot(join(clone, 'data'));
      guard = await guardPorts(Object.values(README_PORTS));
      // The steps themselves run in a copy of that checkout.
      run = join(tmp, 'run');
      copyCheckout(clone, run);
    });

    afterAll(async () => {
      await stop(service?.child);
      await stop(sandbox?.child);
      await guard?.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('should end with the event INJECTED and its order in the Revel sandbox, touching neither the ports 3000/4010/4020 nor data/try.db', async () => {
      const blocks = bashBlocks(readFileSync(join(run, 'README.md'), 'utf8'), 'Try it by hand');
      expect(blocks).toHaveLength(5);
      const [sandboxBlock, serviceBlock, seedBlock, webhookBlock, watchBlock] = blocks;

      // Port 0 everywhere the README names a port: the sandboxes and the service print theirs.
      sandbox = background(withPorts(sandboxBlock, { service: 0, tripleseat: 0, revel: 0 }), run);
      const [, tripleseat] = await sandbox.waitFor(
        /TripleSeat +http:\/\/127\.0\.0\.1:(\d+)/,
        90_000,
      );
      const [, revel] = await sandbox.waitFor(/Revel +http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
      const envFile = join(run, 'config', 'sandbox.env');
      const env = readFileSync(envFile, 'utf8');
      writeFileSync(
        envFile,
        withPorts(env, { service: 0, tripleseat: +tripleseat, revel: +revel }),
      );
      service = background(withPorts(serviceBlock, { service: 0, tripleseat: 0, revel: 0 }), run);
      const [, port] = await service.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 120_000);
      const ports = { service: +port, tripleseat: +tripleseat, revel: +revel };
      const [seed, webhook, watch] = [seedBlock, webhookBlock, watchBlock].map((b) =>
        withPorts(b, ports),
      );
      for (const script of [sandboxBlock, serviceBlock, seed, webhook, watch, env]) {
        expect(withPorts(script, ports)).not.toMatch(FIXED_PORT);
      }

      const seeded = await bash(seed, run);
      expect(seeded).toMatchObject({ code: 0 });
      expect(seeded.out).toContain('"upserted":1');

      const delivered = await bash(webhook, run);
      expect(delivered.code).toBe(0);
      expect(delivered.out).toContain('"reason":"QUEUED"');

      // The worker's result is polled through the README's own "watch it" block.
      let watched = { code: -1, out: '' };
      const deadline = Date.now() + 90_000;
      while (!watched.out.includes('"state":"INJECTED"') && Date.now() < deadline) {
        watched = await bash(watch, run);
        if (!watched.out.includes('"state":"INJECTED"'))
          await new Promise((r) => setTimeout(r, 250));
      }
      expect(watched.code).toBe(0);
      expect(watched.out).toContain('"state":"INJECTED"');
      expect(watched.out).toContain('"local_id":"Triple Seat_7001"');
      expect(watched.out).toContain('"finalTotal":"94.40"');
      expect(watched.out).toContain('Private room (Room Rental, not ordered)');

      // "In a browser, http://127.0.0.1:3000/console shows the event … with the SYNC_API_TOKEN
      // from config/sandbox.env" (the browser itself is console-browser.e2e-spec.ts).
      const token = /^SYNC_API_TOKEN=(.+)$/m.exec(env)?.[1];
      const base = `http://127.0.0.1:${ports.service}`;
      const signIn = await fetch(`${base}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: token ?? '' }).toString(),
      });
      expect(signIn.status).toBe(303);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
      const board = await (await fetch(`${base}/console`, { headers: { cookie } })).text();
      expect(board).toContain('data-event-id="7001"');
      expect(board).toContain('Try-it party');

      // Nothing of the newcomer's was contacted, read or removed; the run kept its own ledger.
      expect(Object.fromEntries(guard.connections)).toEqual({ 3000: 0, 4010: 0, 4020: 0 });
      expect(snapshot(join(clone, 'data'))).toEqual(cloneData);
      expect(snapshot(join(ROOT, 'data'))).toEqual(checkoutData);
      expect(existsSync(join(run, 'data', 'try.db'))).toBe(true);
    }, 300_000);
  });
});

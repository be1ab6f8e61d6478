import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Statements of the docs that the code can contradict: each is checked against its source, so a
 * change of one without the other fails here.
 */
const ROOT = resolve(__dirname, '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('docs agree with the code', () => {
  it('should describe the heap flags the start command and the image really use', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
      .start;
    const flags = start.split(' ').filter((part) => part.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    const cmd = /^CMD \[(.+)\]$/m.exec(read('Dockerfile'))?.[1] ?? '';
    expect(cmd.split(',').map((p) => p.trim().replace(/"/g, ''))).toEqual(
      expect.arrayContaining(flags),
    );
    const performance = read('docs/performance.md');
    expect(performance).toContain(start);
    expect(performance).not.toMatch(/start command does not use/);
  });

  it('should list every CLI command in the operations table', () => {
    const commands = [...read('src/cli/cli.ts').matchAll(/\.command\('([a-z-]+)/g)].map(
      (m) => m[1],
    );
    expect(commands).toEqual(expect.arrayContaining(['status', 'doctor']));
    const table = read('docs/operations.md')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => /^\| `([a-z-]+)/.exec(line)?.[1]);
    expect(commands.filter((c) => !table.includes(c))).toEqual([]);
  });

  it('should give the shutdown grace once, with the numbers the worker uses', () => {
    const worker = read('src/sync/sync.worker.ts');
    const grace = Number(/SHUTDOWN_GRACE_MS = ([\d_]+)/.exec(worker)?.[1].replace(/_/g, ''));
    const finish = Number(/SHUTDOWN_FINISH_MS = ([\d_]+)/.exec(worker)?.[1].replace(/_/g, ''));
    const deployment = read('docs/deployment.md');
    expect(deployment.match(new RegExp(`${grace / 1000} s`, 'g'))).toHaveLength(1);
    expect(deployment.match(new RegExp(`${finish / 1000} s to finish`, 'g'))).toHaveLength(1);
    expect(deployment.match(/grace/g) ?? []).toHaveLength(0);
  });

  it('should mark each README benchmark goal met or not as its figures say, and explain the misses', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Benchmarks'), readme.indexOf('## More'));
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !/^\| (figure|-)/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    /** The largest number of each " / "-separated part: "97–100 MB" → 100. */
    const parts = (text: string): number[] =>
      text
        .split(' / ')
        .map((p) =>
          Math.max(...[...p.matchAll(/[\d.,]+/g)].map((m) => Number(m[0].replace(/,/g, '')))),
        );
    for (const [figure, measured, goal, met] of rows) {
      const values = parts(measured);
      const limits = parts(goal);
      const atMost = goal.startsWith('≤');
      const meets = limits.every((limit, i) => (atMost ? values[i] <= limit : values[i] >= limit));
      expect({ figure, met }).toEqual({ figure, met: meets ? 'yes' : 'no' });
    }
    if (rows.some((r) => r[3] === 'no')) {
      expect(section.replace(/\s+/g, ' ')).toMatch(/The two not met come from one cause/);
    }
    expect(section).not.toMatch(/issue \d+|SPEC §/);
  });
});

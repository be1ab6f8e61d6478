import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The repository stands on its own: no file cites a document that is not in it (a product spec,
 * a notes file outside the checkout), and none narrates its history ("issue N", "last session").
 * A fact about an upstream lives in docs/upstream-facts.md and is cited by its numbered section
 * ("upstream-facts §2.3"), and every section cited so exists there.
 */
const ROOT = resolve(__dirname, '..');
const SELF = 'test/self-contained.e2e-spec.ts';

/** Citations of documents outside the repository, and history narration. */
const FORBIDDEN =
  /SPEC §|SPEC\.md|api-facts|legacy §|legacy-connector|\.\.\/shared|work\/shared|[Ii]ssue [0-9]+|previous session|last session|before\/after|before and after/;

/** Lines that must keep a forbidden word: a test that asserts its absence. */
const ALLOWED: { file: string; line: string }[] = [
  { file: 'test/docs.e2e-spec.ts', line: 'expect(section).not.toMatch(/issue \\d+|SPEC §/);' },
];

/** Tracked files and new ones not ignored, as text; binary files and the lock file left out. */
function textFiles(): { file: string; text: string }[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((file) => file !== '' && file !== 'package-lock.json')
    .flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        return []; // listed but deleted in the working tree
      }
      return text.includes('\0') ? [] : [{ file, text }];
    });
}

/** The section numbers of docs/upstream-facts.md: "## 2 Revel" → 2, "### 2.3 …" → 2.3. */
function sectionsOfUpstreamFacts(): Set<string> {
  const markdown = readFileSync(join(ROOT, 'docs/upstream-facts.md'), 'utf8');
  return new Set([...markdown.matchAll(/^#{2,3} (\d+(?:\.\d+)?) \S/gm)].map((match) => match[1]));
}

/** Every section a text cites: "upstream-facts §1.1, §1.6 and §2.5" → 1.1, 1.6, 2.5. */
function citedSections(text: string, bare: boolean): string[] {
  const lists = bare
    ? [...text.matchAll(/§\d+(?:\.\d+)?/g)].map((match) => match[0])
    : [
        ...text.matchAll(
          /upstream-facts(?:\.md)?(?: \()?((?:(?:,|;| and)?\s*(?:\*\s*)?§\d+(?:\.\d+)?)+)/g,
        ),
      ].map((match) => match[1]);
  return lists.flatMap((list) => [...list.matchAll(/§(\d+(?:\.\d+)?)/g)].map((m) => m[1]));
}

describe('the repository is self-contained', () => {
  it('should cite no document outside the repository and narrate no history', () => {
    const hits: string[] = [];
    for (const { file, text } of textFiles()) {
      if (file === SELF) continue;
      text.split('\n').forEach((line, i) => {
        if (!FORBIDDEN.test(line)) return;
        if (ALLOWED.some((allowed) => allowed.file === file && line.trim() === allowed.line))
          return;
        hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('should find a heading in docs/upstream-facts.md for every section cited', () => {
    const sections = sectionsOfUpstreamFacts();
    expect([...sections]).toEqual(expect.arrayContaining(['1', '1.1', '2', '2.3']));
    const missing: string[] = [];
    for (const { file, text } of textFiles()) {
      if (file === SELF) continue;
      for (const cited of citedSections(text, file === 'docs/upstream-facts.md')) {
        if (!sections.has(cited)) missing.push(`${file}: upstream-facts §${cited}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('should read a list of sections in a citation, and only after "upstream-facts"', () => {
    expect(citedSections('(upstream-facts §1.1, §1.6, §2.5)', false)).toEqual([
      '1.1',
      '1.6',
      '2.5',
    ]);
    expect(citedSections("upstream-facts §3.2 (and the api's §9.9)", false)).toEqual(['3.2']);
    expect(citedSections('(upstream-facts §1.2 and §1.5; the webhook in §1.7)', false)).toEqual([
      '1.2',
      '1.5',
    ]);
  });
});

import { existsSync } from 'node:fs';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Cookie,
  type Page,
} from 'playwright-core';

/**
 * A real browser for the console's tests: Debian's Chromium (`apt-get install chromium`, which
 * .ci/run does) driven by playwright-core, so no browser is downloaded by npm. CHROMIUM_PATH points
 * elsewhere on a machine that keeps it somewhere else.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, hermetic Chromium in a container: no sandbox (often no user namespaces),
 * no GPU, no calls home, no first-run UI. Playwright itself gives each launch a fresh profile. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-default-apps',
  '--disable-breakpad',
  '--disable-dev-shm-usage',
  '--mute-audio',
  '--password-store=basic',
  '--use-mock-keychain',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package ` +
        '(apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /**
   * Console errors and uncaught page errors, in order, from every page of the context. A Content
   * Security Policy violation (a blocked inline script or style, a script from elsewhere) shows up
   * here as a console error.
   */
  problems: string[];
  /** Returns the problems so far and forgets them. */
  takeProblems(): string[];
}

export interface OpenPageOptions {
  /**
   * Lets scripts be injected whatever the page's CSP says: only for the context that runs axe.
   * The contexts that prove the CSP holds must leave it off.
   */
  bypassCSP?: boolean;
  /** Cookies to start with (e.g. another context's session). */
  cookies?: Cookie[];
}

function watch(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    const where = url ? ` (${url}${lineNumber ? `:${lineNumber}` : ''})` : '';
    problems.push(`console error on ${page.url()}: ${message.text()}${where}`);
  });
  page.on('pageerror', (error) => {
    problems.push(`uncaught error on ${page.url()}: ${error.message}`);
  });
}

/** A fresh context (its own cookies and storage) with one page whose errors are collected. */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  options: OpenPageOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    bypassCSP: options.bypassCSP ?? false,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  if (options.cookies?.length) await context.addCookies(options.cookies);
  const problems: string[] = [];
  context.on('page', (p) => watch(p, problems));
  const page = await context.newPage();
  return {
    context,
    page,
    problems,
    takeProblems: () => problems.splice(0, problems.length),
  };
}

/** What axe reports of one rule, as the page serialises it back. */
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

interface AxeGlobal {
  run(options: { resultTypes: string[] }): Promise<{ violations: AxeViolation[] }>;
}

const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Runs axe-core on the page and returns its serious and critical violations, one readable line
 * per offending element (empty when there are none), so that `expect(...).toEqual([])` fails with
 * the rule, the element and what to fix. axe is injected as a script: the page must belong to a
 * context opened with `bypassCSP: true`, as the console's CSP rightly refuses injected scripts.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const hint = `axe-core could not be injected into ${page.url()}: open the page with openPage(..., { bypassCSP: true })`;
  try {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  } catch (error) {
    throw new Error(`${hint} (${error instanceof Error ? error.message : String(error)})`);
  }
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe);
  if (loaded !== 'object') throw new Error(hint);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: AxeGlobal }).axe;
    const results = await axe.run({ resultTypes: ['violations'] });
    // Plain data only: axe's results hold DOM nodes that do not cross back to Node.
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target,
        html: n.html,
        failureSummary: n.failureSummary,
      })),
    }));
  });
  const path = new URL(page.url()).pathname;
  return violations
    .filter((v) => v.impact !== null && BLOCKING_IMPACTS.has(v.impact))
    .flatMap((v) =>
      v.nodes.map(
        (n) =>
          `${path}: ${v.id} (${v.impact}) ${v.help} at ${n.target.map(String).join(' ')}: ` +
          `${n.html.slice(0, 160)}${
            n.failureSummary ? ` | ${n.failureSummary.replace(/\s+/g, ' ').trim()}` : ''
          } (${v.helpUrl})`,
      ),
    );
}

/**
 * Debian's Chromium driven by playwright-core for the dashboard tests: never a downloaded browser
 * (`executablePath` is /usr/bin/chromium; without it the tests are skipped with the reason
 * printed). Each page records console errors, page errors and CSP violations, and can run axe-core
 * (injected from node_modules as source: the page's CSP does not apply to the DevTools protocol).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM)
  console.log(`[browser tests] skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`);

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab (a tab has its own sessionStorage, so its own API key). */
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Launch Chromium headless with a fresh profile directory (removed on close). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'descent-chromium-'));
  // A persistent context is how playwright takes a profile directory of ours (it refuses
  // --user-data-dir in `args`): a fresh one per launch, removed on close.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  return {
    context,
    page: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong in a page: console errors, uncaught exceptions, CSP violations. */
export interface PageWatch {
  errors: string[];
}

/** Record a page's console errors and uncaught exceptions (CSP violations are console errors too). */
export function watch(page: Page): PageWatch {
  const w: PageWatch = { errors: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`console: ${m.text()}`);
  });
  // DEBUG_STACK=1 adds the stack of an uncaught page error (the message alone rarely says where).
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}${process.env.DEBUG_STACK ? ` ${e.stack}` : ''}`));
  return w;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (id: target selectors). */
export async function axeViolations(page: Page): Promise<string[]> {
  // Through the protocol, not a <script>: the page's CSP (rightly) refuses inline scripts.
  await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const g = globalThis as any;
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      targets: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')),
    }));
  });
  return (results as { id: string; impact: string; targets: string[] }[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

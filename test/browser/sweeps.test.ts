/**
 * The sweep pages in Debian's Chromium against a real stack (issue 14, "Sweep pages"): a small grid
 * sweep and an ASHA sweep run; each sweep page is opened before its sweep's first trial trains (the
 * one worker is held by a long job) and follows it by SSE, with no reload, to the end. The leaderboard's order is the API's ranking, the parallel-coordinates plot has
 * one polyline per finished trial and visibly drew (pixel statistics of a screenshot), the
 * best-so-far curve has a point per processed result, the ASHA rungs show who was promoted, and
 * the list links to both; axe-core finds no serious or critical violation and the console stays
 * clean. `UPDATE_SCREENSHOTS=1` rewrites docs/screenshots/sweeps.png and sweep-asha.png.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, axeViolations, launchBrowser, watch, type TestBrowser } from '../helpers/browser.js';
import { startDashboardStack, type DashboardStack } from '../helpers/dashboard-stack.js';
import { decodePng, shareOf } from '../helpers/png.js';
import { REPO, until } from '../helpers/service-process.js';
import { BANDS, TRAJECTORY } from '../../ui/src/palette.js';

const SHOTS = join(REPO, 'docs', 'screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';

const IRIS = {
  model: { type: 'mlp', hidden: [8], activation: 'tanh' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.05 },
  training: { batchSize: 16, seed: 1, validationSplit: 0.2 },
};
const GRID = {
  spec: { ...IRIS, training: { ...IRIS.training, epochs: 6 } },
  space: { 'optimizer.lr': { grid: [0.01, 0.1] }, 'optimizer.momentum': { grid: [0, 0.9] } },
  searcher: { type: 'grid' },
  metric: 'valLoss',
  maxConcurrentTrials: 2,
  seed: 0,
};
const ASHA = {
  spec: IRIS,
  space: { 'optimizer.lr': { logUniform: [0.001, 1] }, 'model.hidden': { choice: [[4], [8]] } },
  searcher: { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 },
  metric: 'valAccuracy',
  mode: 'max',
  maxConcurrentTrials: 2,
  seed: 5,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe.skipIf(!HAVE_CHROMIUM)('sweep pages in a real browser', () => {
  let stack: DashboardStack;
  let b: TestBrowser;
  const get = async (path: string): Promise<Json> => (await fetch(`${stack.base}${path}`)).json();
  const create = async (body: unknown): Promise<string> => {
    const res = await fetch(`${stack.base}/v1/sweeps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    stack = await startDashboardStack();
    b = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await stack?.stop();
  });

  /**
   * Hold the stack's one worker (it trains one job at a time) with a long job, so a sweep created
   * now cannot start before its page is open; the returned function cancels it.
   */
  async function holdWorker(): Promise<() => Promise<void>> {
    const res = await fetch(`${stack.base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Long enough to outlast the page's setup on a loaded machine (it is cancelled).
      body: JSON.stringify({ ...IRIS, training: { ...IRIS.training, epochs: 100_000 } }),
    });
    const { id } = (await res.json()) as { id: string };
    await until(async () => (await get(`/v1/jobs/${id}`)).status === 'running', 60_000);
    return async () => void (await fetch(`${stack.base}/v1/jobs/${id}/cancel`, { method: 'POST' }));
  }

  /**
   * Create a sweep while the worker is held and open its page: nothing has run yet. Then let the
   * worker go and follow the page, with no reload, to the sweep's end; check it against the API.
   */
  async function followSweep(body: unknown): Promise<{ id: string; page: Page; errors: string[]; sweep: Json; trials: Json[] }> {
    const release = await holdWorker();
    const id = await create(body);
    const page = await b.page();
    const w = watch(page);
    await page.goto(`${stack.base}/ui/#/sweeps/${id}`);
    await page.locator('#leaderboard tbody tr').first().waitFor({ timeout: 60_000 });
    await page.locator('#stream-state[data-state="live"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#charts').getAttribute('data-rung-events')).toBe('0');
    expect(await page.locator('#leaderboard tbody tr[data-status="succeeded"]').count()).toBe(0);
    expect(Number(await page.locator('#parcoords').getAttribute('data-polylines'))).toBe(0);
    await release();
    // Updated by the stream with no reload, to the final refresh after `end`.
    await page.locator('#stream-state[data-final="true"]').waitFor({ timeout: 400_000 });
    const sweep = await get(`/v1/sweeps/${id}`);
    expect(sweep.status).toBe('succeeded');
    const trials = (await get(`/v1/sweeps/${id}/trials`)).data as Json[];
    // The leaderboard is the API's ranking, row for row.
    const order = await page.locator('#leaderboard tbody tr').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-trial'))));
    expect(order).toEqual(trials.map((t) => t.index));
    const statuses = await page.locator('#leaderboard tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')));
    expect(statuses).toEqual(trials.map((t) => t.status));
    // One polyline per finished trial (succeeded or stopped, with a value).
    const finished = trials.filter((t) => (t.status === 'succeeded' || t.status === 'stopped') && t.value !== null);
    expect(finished.length).toBeGreaterThan(0);
    expect(Number(await page.locator('#parcoords').getAttribute('data-polylines'))).toBe(finished.length);
    expect(await page.locator('#parcoords polyline').count()).toBe(finished.length);
    const best = await page.locator('#parcoords polyline[stroke-width="3"]').getAttribute('data-trial');
    expect(Number(best)).toBe(trials[0].index);
    // The curve: one point per processed result, as the sweep's events list them.
    const events = (await get(`/v1/sweeps/${id}/events?limit=1000`)).data as Json[];
    const rungEvents = events.filter((e) => e.type === 'rung').length;
    expect(rungEvents).toBeGreaterThan(0);
    await page.waitForTimeout(300); // the chart redraws at most every 100 ms
    expect(Number(await page.locator('#chart-best').getAttribute('data-points'))).toBe(rungEvents);
    // The plot drew: its lines' colours are on the screenshot (the best in red, the others in bands).
    const img = decodePng(await page.locator('#parcoords').screenshot());
    expect(shareOf(img, TRAJECTORY, 30)).toBeGreaterThan(0.001);
    if (finished.length > 1) expect(BANDS.reduce((s, c) => s + shareOf(img, c, 12), 0)).toBeGreaterThan(0.002);
    expect(await axeViolations(page)).toEqual([]);
    return { id, page, errors: w.errors, sweep, trials };
  }

  test('a grid sweep: leaderboard in the API order, one polyline per trial, one rung', async () => {
    const { page, errors, trials } = await followSweep(GRID);
    expect(trials).toHaveLength(4);
    expect(await page.locator('#rungs table.rung').count()).toBe(1);
    expect(Number(await page.locator('#rung-0').getAttribute('data-trials'))).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  }, 500_000);

  test('an ASHA sweep: per rung the trials that reached it and which were promoted', async () => {
    const { id, page, errors, sweep, trials } = await followSweep(ASHA);
    expect(sweep.rungs).toEqual([1, 3, 9]);
    for (let k = 0; k < sweep.rungs.length; k++) {
      const reached = trials.filter((t) => t.rung !== null && t.rung >= k);
      const promoted = trials.filter((t) => t.rung !== null && t.rung > k);
      const table = page.locator(`#rung-${k}`);
      expect(Number(await table.getAttribute('data-trials')), `rung ${k}`).toBe(reached.length);
      if (k < sweep.rungs.length - 1) {
        expect(Number(await table.getAttribute('data-promoted')), `rung ${k}`).toBe(promoted.length);
        const marked = await table.locator('tbody tr[data-promoted="true"]').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-trial'))));
        expect(marked.sort((x, y) => x - y)).toEqual(promoted.map((t) => t.index).sort((x, y) => x - y));
      }
    }
    // ASHA stopped some trials early: fewer reached the top rung than started.
    expect(Number(await page.locator('#rung-2').getAttribute('data-trials'))).toBeLessThan(trials.length);
    if (UPDATE) {
      mkdirSync(SHOTS, { recursive: true });
      writeFileSync(join(SHOTS, 'sweep-asha.png'), await page.screenshot({ fullPage: true }));
    }
    expect(errors).toEqual([]);
    await page.close();

    // The list has both sweeps, linked; axe clean.
    const list = await b.page();
    const w = watch(list);
    await list.goto(`${stack.base}/ui/#/sweeps`);
    await list.locator(`tr[data-sweep="${id}"] a`).waitFor({ timeout: 30_000 });
    expect(await list.locator('tr[data-sweep]').count()).toBe(2);
    expect(await list.locator('[data-nav="/sweeps"][aria-current="page"]').count()).toBe(1);
    expect(await axeViolations(list)).toEqual([]);
    if (UPDATE) writeFileSync(join(SHOTS, 'sweeps.png'), await list.screenshot({ fullPage: true }));
    expect(w.errors).toEqual([]);
    await list.close();
  }, 500_000);

  test('the sweep screenshots are committed and shown in the README', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const name of ['sweeps', 'sweep-asha']) {
      expect(existsSync(join(SHOTS, `${name}.png`)), name).toBe(true);
      expect(readme).toContain(`docs/screenshots/${name}.png`);
    }
  });
});

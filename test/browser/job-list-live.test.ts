/**
 * The job list follows the tenant's status feed (issue 14, "live status changes (SSE)"), in
 * Debian's Chromium against a real stack: a job's row goes queued → running → succeeded with no
 * reload and no polling; with the API killed while jobs change state, the list reconnects with
 * Last-Event-ID once the API is back and shows the changes it missed. The stack's one worker is
 * held by a long job, so "queued" is really seen before the job runs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { HAVE_CHROMIUM, axeViolations, launchBrowser, watch, type TestBrowser } from '../helpers/browser.js';
import { startDashboardStack, type DashboardStack } from '../helpers/dashboard-stack.js';
import { until } from '../helpers/service-process.js';
import { IRIS_JOB_SPEC_EXAMPLE } from '../../src/contracts/examples.js';

// The blocker must outlast the page's setup on a loaded machine (20,000 epochs once ended first); it is cancelled.
const LONG = { ...IRIS_JOB_SPEC_EXAMPLE, training: { ...IRIS_JOB_SPEC_EXAMPLE.training, epochs: 100_000 } };

describe.skipIf(!HAVE_CHROMIUM)('the job list, live by SSE', () => {
  let stack: DashboardStack;
  let b: TestBrowser;
  beforeAll(async () => {
    stack = await startDashboardStack();
    b = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await b?.close();
    await stack?.stop();
  });

  const submit = async (spec: unknown, api = stack.base): Promise<string> => {
    const res = await fetch(`${api}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const statusOf = async (id: string, api = stack.base) => ((await (await fetch(`${api}/v1/jobs/${id}`)).json()) as { status: string }).status;
  const cancel = (id: string, api = stack.base) => fetch(`${api}/v1/jobs/${id}/cancel`, { method: 'POST' });

  /** Record every status a job's row shows, in order (a MutationObserver in the page). */
  async function recordStatuses(page: Page, id: string): Promise<() => Promise<string[]>> {
    await page.evaluate((jobId) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const g = globalThis as any;
      g.__seen = g.__seen ?? {};
      const seen: string[] = (g.__seen[jobId] = []);
      const look = () => {
        const s = g.document.querySelector(`tr[data-job="${jobId}"] [data-status]`)?.getAttribute('data-status');
        if (s && seen[seen.length - 1] !== s) seen.push(s);
      };
      look();
      new g.MutationObserver(look).observe(g.document.getElementById('jobs-table'), { subtree: true, childList: true, attributes: true });
    }, id);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return () => page.evaluate((jobId) => (globalThis as any).__seen[jobId] as string[], id);
  }

  test('queued → running → succeeded in the row, with no reload and no polling; back after an API restart via Last-Event-ID', async () => {
    const blocker = await submit(LONG);
    await until(async () => (await statusOf(blocker)) === 'running', 60_000);

    const page = await b.page();
    const w = watch(page);
    const listReads: number[] = [];
    const feedResumes: (string | undefined)[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname === '/v1/jobs' && r.method() === 'GET') listReads.push(Date.now());
      if (u.pathname === '/v1/jobs/events') feedResumes.push(r.headers()['last-event-id']);
    });
    await page.goto(`${stack.base}/ui/#/jobs`);
    await page.locator('#jobs-table[data-feed="live"]').waitFor({ timeout: 30_000 });
    await page.evaluate(() => ((globalThis as { __sameDocument?: boolean }).__sameDocument = true));

    // Nothing changes: nothing is read (the old page read the list every 2 s).
    await page.waitForTimeout(500);
    const idleFrom = listReads.length;
    await page.waitForTimeout(2_500);
    expect(listReads.length, 'list reads while nothing changed').toBe(idleFrom);

    // A new job appears queued (the worker is busy), then runs and succeeds once the blocker goes.
    const job = await submit(IRIS_JOB_SPEC_EXAMPLE);
    await page
      .locator(`tr[data-job="${job}"] [data-status="queued"]`)
      .waitFor({ timeout: 30_000 })
      .catch(async (err) => {
        // Say what the page and the jobs were doing, so a failure can be read from the CI log alone.
        const table = await page.locator('#jobs-table').evaluate((el) => ({
          feed: el.getAttribute('data-feed'),
          events: el.getAttribute('data-feed-events'),
          rows: [...el.querySelectorAll('tr[data-job]')].map(
            (r) => `${r.getAttribute('data-job')}:${r.querySelector('[data-status]')?.getAttribute('data-status')}`,
          ),
        }));
        const jobs = { job: await statusOf(job), blocker: await statusOf(blocker) };
        throw new Error(
          `row never showed queued: jobs ${JSON.stringify(jobs)}, table ${JSON.stringify(table)}, list reads ${listReads.length}, errors ${JSON.stringify(w.errors)}`,
          { cause: err },
        );
      });
    const seen = await recordStatuses(page, job);
    await cancel(blocker);
    await page.locator(`tr[data-job="${job}"] [data-status="succeeded"]`).waitFor({ timeout: 120_000 });
    expect(await seen()).toEqual(['queued', 'running', 'succeeded']);
    expect(await page.locator(`tr[data-job="${blocker}"] [data-status="cancelled"]`).count()).toBe(1);
    // The finished row was read again: it has its result and no Cancel button.
    await until(async () => (await page.locator(`tr[data-job="${job}"] td`).nth(7).textContent()) !== '—', 10_000);
    expect(await page.locator(`tr[data-job="${job}"] button.cancel`).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);

    // Jobs change state while the page's API is down (a second API process on the same Redis
    // does the cancel); once it is back, the list catches up from where its feed stopped.
    const blocker2 = await submit(LONG);
    await until(async () => (await statusOf(blocker2)) === 'running', 60_000);
    const job2 = await submit(IRIS_JOB_SPEC_EXAMPLE);
    await page.locator(`tr[data-job="${job2}"] [data-status="queued"]`).waitFor({ timeout: 30_000 });
    const seen2 = await recordStatuses(page, job2);
    const events = Number(await page.locator('#jobs-table').getAttribute('data-feed-events'));
    await stack.killApi();
    await page.locator('#jobs-table[data-feed="reconnecting"]').waitFor({ timeout: 30_000 });
    const other = await stack.extraApi({});
    await cancel(blocker2, other.url);
    await until(async () => (await statusOf(job2, other.url)) === 'succeeded', 120_000);
    expect(await page.locator(`tr[data-job="${job2}"] [data-status="queued"]`).count()).toBe(1); // still down
    await stack.startApi();
    await page.locator(`tr[data-job="${job2}"] [data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    // The replayed running and succeeded arrive in one burst: the row may go straight to the last.
    expect([['queued', 'succeeded'], ['queued', 'running', 'succeeded']]).toContainEqual(await seen2());
    expect(await page.locator(`tr[data-job="${blocker2}"] [data-status="cancelled"]`).count()).toBe(1);
    // blocker2: cancelling, cancelled; job2: running, succeeded — replayed, not re-read as a list.
    expect(Number(await page.locator('#jobs-table').getAttribute('data-feed-events'))).toBe(events + 4);
    expect(Number(await page.locator('#jobs-table').getAttribute('data-reconnects'))).toBeGreaterThanOrEqual(1);
    expect(feedResumes[0]).toBeUndefined();
    expect(feedResumes.at(-1)).toMatch(/^\d+-\d+$/);
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    // The dropped connection is the browser's own console line while the API was down.
    expect(w.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_EMPTY_RESPONSE|network error/i.test(e))).toEqual([]);
    await page.close();
    other.killGroup('SIGKILL');
  }, 400_000);
});

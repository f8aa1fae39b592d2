/**
 * The dashboard with API keys and across origins, in Debian's Chromium (issue 14, acceptance 4
 * and the CORS rule): a tab holding tenant A's key lists only A's jobs and gets "not found" for
 * B's job by URL; a page on an origin listed in DESCENT_CORS_ORIGINS can call the API (JSON and
 * the SSE stream, with the bearer header), a page on another origin cannot; and the dashboard itself,
 * served on another origin with DESCENT_DASHBOARD_API_URL naming the API, works there when the API
 * allows its origin and says why it cannot otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAVE_CHROMIUM, axeViolations, launchBrowser, watch, type TestBrowser } from '../helpers/browser.js';
import { startDashboardStack, type DashboardStack } from '../helpers/dashboard-stack.js';
import { until } from '../helpers/service-process.js';
import { freePort } from '../helpers/redis.js';
import { contentSecurityPolicy } from '../../src/api/security-headers.js';
import { IRIS_JOB_SPEC_EXAMPLE } from '../../src/contracts/examples.js';

const PAGE = '<!doctype html><title>another origin</title>';
const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';

describe.skipIf(!HAVE_CHROMIUM)('dashboard: tenants and origins', () => {
  let stack: DashboardStack;
  let b: TestBrowser;
  let allowed: string;
  let refused: string;
  /** Ports of two dashboard-serving processes: the first one's origin is allowed by the API. */
  let uiAllowedPort: number;
  let uiRefusedPort: number;
  const servers: Server[] = [];
  beforeAll(async () => {
    // Two other origins (other ports), each a tiny real server of one blank page: a page there
    // calls the API on its own port. (Pages faked with page.route have no address, and Chromium's
    // local-network rules then refuse their calls to loopback whatever CORS says.)
    for (const _ of [0, 1]) {
      const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      servers.push(srv);
    }
    allowed = `http://127.0.0.1:${(servers[0].address() as AddressInfo).port}`;
    refused = `http://127.0.0.1:${(servers[1].address() as AddressInfo).port}`;
    uiAllowedPort = await freePort();
    uiRefusedPort = await freePort();
    stack = await startDashboardStack({
      DESCENT_API_KEYS: `tenant-a:${KEY_A},tenant-b:${KEY_B}`,
      DESCENT_CORS_ORIGINS: `${allowed},http://127.0.0.1:${uiAllowedPort}`,
    });
    b = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    for (const srv of servers) srv.close();
    await b?.close();
    await stack?.stop();
  });

  const submit = async (key: string, tag: string) => {
    const res = await fetch(`${stack.base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ ...IRIS_JOB_SPEC_EXAMPLE, metadata: { tenant: tag } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  test("tenant A's tab never sees tenant B's jobs: not in the list, and B's job page by URL is not found", async () => {
    const jobA = await submit(KEY_A, 'a');
    const jobB = await submit(KEY_B, 'b');
    const page = await b.page();
    const w = watch(page);
    await page.goto(`${stack.base}/ui/#/jobs`);
    // The API answers 401 without a key: the page asks for one.
    await page.locator('#api-key').waitFor({ timeout: 30_000 });
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#api-key', KEY_A);
    await page.click('button[type="submit"]');
    await page.locator(`tr[data-job="${jobA}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator(`tr[data-job="${jobB}"]`).count()).toBe(0);
    expect(await page.locator('tr[data-job]').count()).toBe(1);
    await page.goto(`${stack.base}/ui/#/jobs/${jobB}`);
    await page.locator('[role="alert"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[role="alert"]').textContent()).toMatch(/^Not found: Job job_\S+ does not exist/);
    expect(await page.locator('#status').count()).toBe(0);
    // Its own job's page works with the same key (the stream is read with the bearer header).
    await page.goto(`${stack.base}/ui/#/jobs/${jobA}`);
    await page.locator('#stream-state[data-state="ended"]').waitFor({ timeout: 120_000 });
    // The 401 before the key and the 404 for B's job are the browser's own console lines.
    expect(w.errors.filter((e) => !/status of 40[14]/.test(e))).toEqual([]);
    await page.close();
  }, 240_000);

  test('CORS: a page on an allowed origin reads jobs and the SSE stream; one on another origin is refused', async () => {
    const job = await submit(KEY_A, 'cors');
    await until(async () => {
      const r = await fetch(`${stack.base}/v1/jobs/${job}`, { headers: { authorization: `Bearer ${KEY_A}` } });
      return ((await r.json()) as { status: string }).status === 'succeeded';
    }, 120_000);
    const call = (origin: string) => async () => {
      const page = await b.page();
      await page.goto(`${origin}/`);
      const out = await page.evaluate(
        async ({ api, key, id }) => {
          try {
            const headers = { authorization: `Bearer ${key}` };
            const list = await fetch(`${api}/v1/jobs`, { headers });
            const sse = await fetch(`${api}/v1/jobs/${id}/events`, {
              headers: { ...headers, accept: 'text/event-stream' },
            });
            const text = await sse.text();
            const page = (await list.json()) as { data: unknown[] };
            return { ok: true, status: list.status, jobs: page.data.length, ends: text.includes('event: end') };
          } catch (e) {
            return { ok: false, error: String(e) };
          }
        },
        { api: stack.base, key: KEY_A, id: job },
      );
      await page.close();
      return out;
    };
    const yes = await call(allowed)();
    expect(yes).toMatchObject({ ok: true, status: 200, ends: true });
    expect(yes.jobs).toBeGreaterThan(0);
    const no = await call(refused)();
    expect(no.ok).toBe(false);
    expect(no.error).toMatch(/TypeError: Failed to fetch/);
  }, 240_000);

  test('the dashboard on another origin (DESCENT_DASHBOARD_API_URL) works against an API that allows its origin, and says why not otherwise', async () => {
    const job = await submit(KEY_A, 'elsewhere');
    // Two more processes serve the dashboard (and an API nobody calls) on their own ports: their
    // page is told to call the stack's API instead.
    const uiAllowed = await stack.extraApi({ PORT: String(uiAllowedPort), DESCENT_DASHBOARD_API_URL: stack.base });
    const uiRefused = await stack.extraApi({ PORT: String(uiRefusedPort), DESCENT_DASHBOARD_API_URL: stack.base });
    expect(uiAllowed.url).toBe(`http://127.0.0.1:${uiAllowedPort}`);

    const page = await b.page();
    const w = watch(page);
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) apiCalls.push(new URL(r.url()).origin);
    });
    const res = await page.goto(`${uiAllowed.url}/ui/#/jobs`);
    // The page may connect to the API's origin, and only to it besides its own.
    expect(res!.headers()['content-security-policy']).toBe(contentSecurityPolicy(stack.base));
    await page.locator('#api-key').waitFor({ timeout: 30_000 });
    await page.fill('#api-key', KEY_A);
    await page.click('button[type="submit"]');
    await page.locator(`tr[data-job="${job}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator('#api-base').textContent()).toBe(`API ${stack.base}`);
    expect(await axeViolations(page)).toEqual([]);
    // The job page's SSE stream comes across origins too, with the bearer header.
    await page.goto(`${uiAllowed.url}/ui/#/jobs/${job}`);
    await page.locator('#stream-state[data-state="ended"]').waitFor({ timeout: 120_000 });
    expect(apiCalls.length).toBeGreaterThan(2);
    expect(new Set(apiCalls)).toEqual(new Set([stack.base]));
    expect(w.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await page.close();

    // The same page on an origin the API does not list: the browser refuses the answers, and the
    // page names the setting that would allow it.
    const other = await b.page();
    await other.goto(`${uiRefused.url}/ui/#/jobs`);
    const alert = other.locator('[role="alert"][data-error="unreachable"]');
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toBe(
      `Error: Cannot reach the API at ${stack.base}. It is on another origin than this page, so it must allow this page's origin: set DESCENT_CORS_ORIGINS=${uiRefused.url} on the API (or check that it is running).`,
    );
    expect(await other.locator('tr[data-job]').count()).toBe(0);
    expect(await axeViolations(other)).toEqual([]);
    await other.close();
  }, 240_000);
});

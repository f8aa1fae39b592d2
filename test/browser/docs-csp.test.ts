/**
 * Swagger UI (`/docs`) under the service's one Content-Security-Policy (issue 20, point 6): the
 * page renders the API's operations in Debian's Chromium and logs no CSP violation or other
 * console error, as the dashboard's pages do (test/browser/pages.test.ts). A real API process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HAVE_CHROMIUM, launchBrowser, watch, type TestBrowser } from '../helpers/browser.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { killAllProcesses, startApiProcess } from '../helpers/processes.js';
import { CONTENT_SECURITY_POLICY } from '../../src/api/security-headers.js';

describe.skipIf(!HAVE_CHROMIUM)('Swagger UI under the one CSP', () => {
  let redis: TestRedis;
  let b: TestBrowser;
  let base: string;
  beforeAll(async () => {
    redis = await startRedis();
    base = (await startApiProcess({ REDIS_URL: redis.url, DESCENT_PREFIX: uniquePrefix('docs-csp') })).url;
    b = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await killAllProcesses();
    await redis?.stop();
  });

  test('/docs renders every tag of the document without a console error', async () => {
    const page = await b.page();
    const w = watch(page);
    const res = await page.goto(`${base}/docs/`);
    expect(res!.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    await page.locator('.swagger-ui .opblock-tag').first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    const tags = await page.locator('.swagger-ui .opblock-tag').count();
    expect(tags).toBeGreaterThanOrEqual(5);
    expect(w.errors).toEqual([]);
    await page.close();
  }, 90_000);
});

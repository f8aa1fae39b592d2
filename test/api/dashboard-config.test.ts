/**
 * Where the dashboard page finds the API: `/ui/config.json` answers `DESCENT_DASHBOARD_API_URL`
 * (or '' for this origin), the page's CSP lets it connect to that origin and to no other, and a
 * value that is not an http(s) URL fails at boot naming it. (The browser side, against a real API
 * with and without CORS for the page's origin: test/browser/tenancy-cors.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, test } from 'vitest';
import { dashboardApiFromEnv, registerDashboard } from '../../src/api/dashboard.js';
import { contentSecurityPolicy, registerSecurityHeaders } from '../../src/api/security-headers.js';

const DASHBOARD_CSP = contentSecurityPolicy();

const dir = mkdtempSync(join(tmpdir(), 'descent-ui-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(dir, 'config.json'), '{"apiBase":"https://from-the-bundle.example"}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(apiUrl: string | null) {
  const app = Fastify();
  // As buildApp does: the one policy, told the dashboard's API, then the pages.
  await registerSecurityHeaders(app, apiUrl);
  await registerDashboard(app, dir, apiUrl);
  return app;
}

describe('dashboard API base', () => {
  test('same origin by default: config.json says so (not the bundle file) and connect-src is self only', async () => {
    const app = await serve(null);
    const res = await app.inject({ url: '/ui/config.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ apiBase: '' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await app.inject({ url: '/ui/' })).headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("connect-src 'self';");
    await app.close();
  });

  test('another origin: config.json names it and the CSP allows connecting to that origin', async () => {
    const app = await serve('https://api.example.com/descent');
    expect((await app.inject({ url: '/ui/config.json' })).json()).toEqual({ apiBase: 'https://api.example.com/descent' });
    const csp = (await app.inject({ url: '/ui/' })).headers['content-security-policy'];
    expect(csp).toBe(contentSecurityPolicy('https://api.example.com/descent'));
    expect(csp).toContain("connect-src 'self' https://api.example.com;");
    expect((await app.inject({ url: '/' })).headers['content-security-policy']).toBe(csp);
    await app.close();
  });

  test('DESCENT_DASHBOARD_API_URL is checked at boot', () => {
    expect(dashboardApiFromEnv({})).toBeNull();
    expect(dashboardApiFromEnv({ DESCENT_DASHBOARD_API_URL: 'http://127.0.0.1:8080' })).toBe('http://127.0.0.1:8080');
    for (const bad of ['api.example.com', 'ftp://x.example', 'https://x.example/', 'https://x.example?a=1', 'https://u:p@x.example'])
      expect(() => dashboardApiFromEnv({ DESCENT_DASHBOARD_API_URL: bad }), bad).toThrow(
        `DESCENT_DASHBOARD_API_URL must be an http(s) URL such as https://api.example.com (no query, no trailing slash), got "${bad}"`,
      );
  });
});

/**
 * Headers and surface (issue 20, point 6): every operation of the OpenAPI document, the dashboard
 * (`/`, `/ui/`, one of its files), `/docs` and an unknown route answer with helmet's headers
 * (nosniff, frame-ancestors 'none' in the one CSP, X-Frame-Options DENY, a referrer policy), an
 * `x-request-id` (the caller's when sane, else a new one; the same id in the request's log lines),
 * no `x-powered-by`, and no CORS header unless DESCENT_CORS_ORIGINS names the origin. With Redis
 * failing, no answer carries a stack trace or a Redis error text. Real redis-server, inject.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { buildApp } from '../../src/api/app.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { CONTENT_SECURITY_POLICY } from '../../src/api/security-headers.js';
import { corsOriginsFromEnv } from '../../src/api/cors.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const KEY = 'alice-headers-00112233445566778899aabbccddeeff';
const AUTH = { authorization: `Bearer ${KEY}` };
const NO_LIMITS = { rateLimit: null, maxActiveJobs: null, jobCapRetrySeconds: 15, authThrottle: null };

let redis: TestRedis;
let t: TestApp;
let app: FastifyInstance;
let uiDir: string;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // A dashboard bundle of our own, so that /ui/ is served by the static plugin whether or not
  // dist/ui has been built.
  uiDir = mkdtempSync(join(tmpdir(), 'descent-ui-'));
  mkdirSync(join(uiDir, 'assets'));
  writeFileSync(
    join(uiDir, 'index.html'),
    '<!doctype html><title>Descent</title><script src="assets/app.js"></script>',
  );
  writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log(1)');
  t = await makeTestApp(redis.url, 'security-headers', {
    cfg: { apiKeys: parseApiKeys(`alice:${KEY}`) },
    app: { security: NO_LIMITS, dashboardDir: uiDir },
  });
  app = t.app;
});

afterAll(async () => {
  for (const a of apps) await a.close();
  await t?.close();
  await redis?.stop();
  if (uiDir) rmSync(uiDir, { recursive: true, force: true });
});

/** The headers every answer carries, whatever its status. */
function expectSecurityHeaders(res: LightMyRequestResponse, what: string) {
  const h = res.headers;
  expect(h['x-content-type-options'], what).toBe('nosniff');
  expect(h['content-security-policy'], what).toBe(CONTENT_SECURITY_POLICY);
  expect(String(h['content-security-policy']), what).toContain("frame-ancestors 'none'");
  expect(h['x-frame-options'], what).toBe('DENY');
  expect(h['referrer-policy'], what).toBe('no-referrer');
  expect(h['cross-origin-opener-policy'], what).toBe('same-origin');
  expect(h['cross-origin-resource-policy'], what).toBe('same-origin');
  expect(h['x-powered-by'], what).toBeUndefined();
  expect(String(h['x-request-id'] ?? ''), what).toMatch(/^[0-9a-f-]{36}$|^[A-Za-z0-9._:@-]{1,128}$/);
  expect(h['access-control-allow-origin'], what).toBeUndefined();
}

type Op = { method: string; path: string };
async function operations(a: FastifyInstance): Promise<Op[]> {
  const doc = (await a.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
  );
}
const concrete = (path: string) =>
  path.replace('{id}', 'job_0000000000000000000000').replace('{deliveryId}', 'dlv_0000000000000000000000');

describe('every route', () => {
  test('every operation of the OpenAPI document, with a key, without one, and from another origin', async () => {
    const ops = await operations(app);
    expect(ops.length).toBeGreaterThanOrEqual(30);
    for (const o of ops)
      for (const headers of [AUTH, {}, { ...AUTH, origin: 'https://evil.example' }]) {
        const req: InjectOptions = {
          method: o.method as InjectOptions['method'],
          url: concrete(o.path),
          headers: { accept: 'application/json', ...headers },
          ...(o.method === 'POST' ? { payload: {} } : {}),
        };
        const res = await app.inject(req);
        const what = `${o.method} ${o.path} ${JSON.stringify(headers)} → ${res.statusCode}`;
        // readiness is a 503 here: no worker runs
        if (o.path !== '/readyz') expect(res.statusCode, what).toBeLessThan(500);
        expectSecurityHeaders(res, what);
      }
  });

  test('a created job, an SSE stream and a safetensors answer carry them too', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: TINY_LINEAR_SPEC,
      headers: AUTH,
    });
    expect(created.statusCode).toBe(201);
    expectSecurityHeaders(created, 'POST /v1/jobs 201');
    const id = created.json().id;
    await app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: AUTH });
    // the SSE route writes its own head on the raw response: helmet's headers are kept
    const sse = await app.inject({
      url: `/v1/jobs/${id}/events`,
      headers: { ...AUTH, accept: 'text/event-stream' },
    });
    expect(sse.statusCode).toBe(200);
    expect(String(sse.headers['content-type'])).toMatch(/^text\/event-stream/);
    expectSecurityHeaders(sse, 'SSE');
  });

  test('the dashboard, /docs, a 404 and a malformed URL', async () => {
    const cases: [string, number][] = [
      ['/', 302],
      ['/ui/', 200],
      ['/ui/assets/app.js', 200],
      ['/ui/missing.js', 404],
      ['/docs/', 200],
      ['/docs/static/swagger-initializer.js', 200],
      ['/healthz', 200],
      ['/metrics', 200],
      ['/openapi.json', 200],
      ['/no/such/route', 404],
      ['/v1/nothing-here', 401],
    ];
    for (const [url, status] of cases) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(status);
      expectSecurityHeaders(res, url);
    }
    const nf = await app.inject({ url: '/no/such/route', headers: AUTH });
    expect(nf.headers['content-type']).toMatch(/^application\/problem\+json/);
    // router errors (bad percent-encoding) are answered before any hook: the id is set there too
    const bad = await app.inject({ url: '/v1/jobs/%E0%A4%A', headers: AUTH });
    expect(bad.statusCode).toBe(400);
    expectSecurityHeaders(bad, 'malformed URL');
    const long = await app.inject({ url: `/v1/jobs/${'j'.repeat(300)}`, headers: AUTH });
    expect(long.statusCode).toBe(400);
    expectSecurityHeaders(long, 'over-long id');
  });
});

describe('x-request-id', () => {
  test('a sane incoming id is kept; an insane one is replaced; each answer has its own', async () => {
    const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-7f3a.2:01' } });
    expect(kept.headers['x-request-id']).toBe('lb-7f3a.2:01');
    for (const insane of ['a b', 'x'.repeat(129), 'id\u00e9', '<script>', ''])
      expect(
        (await app.inject({ url: '/healthz', headers: { 'x-request-id': insane } })).headers['x-request-id'],
      ).toMatch(/^[0-9a-f-]{36}$/);
    const a = (await app.inject({ url: '/healthz' })).headers['x-request-id'];
    const b = (await app.inject({ url: '/healthz' })).headers['x-request-id'];
    expect(a).not.toBe(b);
  });

  test("the answer's id is the reqId of every log line of its request", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logged = await buildApp(t.deps, { security: NO_LIMITS, logger: { level: 'info', stream } });
    apps.push(logged);
    await logged.ready();
    const res = await logged.inject({ url: '/v1/jobs', headers: { ...AUTH, 'x-request-id': 'trace-42' } });
    expect(res.headers['x-request-id']).toBe('trace-42');
    const fresh = await logged.inject({ url: '/v1/jobs/job_0000000000000000000000', headers: AUTH });
    const id = String(fresh.headers['x-request-id']);
    const parsed = lines.map((l) => JSON.parse(l) as { reqId?: string; msg: string });
    const ofTrace = parsed.filter((l) => l.reqId === 'trace-42');
    const ofFresh = parsed.filter((l) => l.reqId === id);
    expect(ofTrace.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(ofFresh.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    // every request line has an id
    for (const l of parsed) expect(l.reqId, l.msg).toBeTruthy();
  });
});

describe('CORS', () => {
  test('off unless DESCENT_CORS_ORIGINS: no Access-Control-* on any answer, a preflight is not answered as one', async () => {
    expect(corsOriginsFromEnv({})).toEqual([]);
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/v1/jobs',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
    expectSecurityHeaders(pre, 'preflight');
  });

  test('with DESCENT_CORS_ORIGINS only the listed origin is answered, with the security headers', async () => {
    const a = await buildApp(t.deps, { security: NO_LIMITS, corsOrigins: ['https://dash.example.com'] });
    apps.push(a);
    await a.ready();
    const ok = await a.inject({ url: '/v1/jobs', headers: { ...AUTH, origin: 'https://dash.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    const other = await a.inject({ url: '/v1/jobs', headers: { ...AUTH, origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('no internals in any answer', () => {
  const LEAKS = [
    /\n\s+at /,
    /ECONNREFUSED/,
    /OOM command/,
    /maxmemory/,
    /ReplyError/,
    /ioredis/,
    /\.ts:\d+/,
    /node_modules/,
  ];
  const expectClean = (res: LightMyRequestResponse, what: string) => {
    for (const leak of LEAKS) expect(res.body, `${what}: ${res.body.slice(0, 300)}`).not.toMatch(leak);
    expect(res.headers['content-type'], what).toMatch(/^application\/(problem\+)?json/);
  };

  test('a Redis that refuses writes (OOM): 503 problem+json without the Redis error text', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      for (const req of [
        { method: 'POST' as const, url: '/v1/jobs', payload: TINY_LINEAR_SPEC },
        {
          method: 'POST' as const,
          url: '/v1/webhooks',
          payload: { url: 'https://example.com/h', events: ['job.succeeded'] },
        },
        { method: 'POST' as const, url: '/v1/datasets', payload: { x: [[1], [2]], y: [1, 2] } },
      ]) {
        const res = await app.inject({ ...req, headers: AUTH });
        const what = `${req.method} ${req.url} → ${res.statusCode}`;
        expect(res.statusCode, what).toBe(503);
        expect(res.json().code).toBe('UNAVAILABLE');
        expectClean(res, what);
        expectSecurityHeaders(res, what);
      }
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
  });

  test('a Redis that is gone: every operation answers without a stack or a Redis error text', async () => {
    const ops = await operations(app);
    await redis.kill();
    try {
      for (const o of ops) {
        const res = await app.inject({
          method: o.method as InjectOptions['method'],
          url: concrete(o.path),
          headers: { accept: 'application/json', ...AUTH },
          ...(o.method === 'POST' ? { payload: {} } : {}),
        });
        const what = `${o.method} ${o.path} → ${res.statusCode}`;
        if (o.path === '/metrics') continue; // Prometheus text, no error path
        expectClean(res, what);
        expectSecurityHeaders(res, what);
      }
    } finally {
      await redis.restart();
    }
  }, 60_000);
});

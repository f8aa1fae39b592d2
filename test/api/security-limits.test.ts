/**
 * Per-tenant rate limit and job cap (acceptance 5, second half), and their configuration. Real
 * redis-server; two apps on one Redis prefix stand for two API processes.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { buildApp } from '../../src/api/app.js';
import {
  SECURITY_DEFAULTS,
  securityConfigFromEnv,
  type SecurityConfig,
} from '../../src/api/security-config.js';
import { validateInjectedResponses } from '../helpers/openapi-validator.js';

const KEYS = 'alice:key-alice-0123456789abcdef,bob:key-bob-0123456789abcdef,carol:key-carol-0123456789abcdef';
const auth = (tenant: string) => ({ authorization: `Bearer key-${tenant}-0123456789abcdef` });
const spec = {
  model: { type: 'linear' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 2 },
};

let redis: TestRedis;
let t: TestApp;
const apps: FastifyInstance[] = [];

async function appWith(security: SecurityConfig, deps = t.deps): Promise<FastifyInstance> {
  const a = await buildApp(deps, { security });
  await a.ready();
  validateInjectedResponses(a);
  apps.push(a);
  return a;
}

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'sec-limits', { cfg: { apiKeys: parseApiKeys(KEYS) } });
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await t?.close();
  await redis?.stop();
});

function expect429(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(429);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  const retry = Number(res.headers['retry-after']);
  expect(Number.isInteger(retry) && retry >= 1).toBe(true);
  return { retry, detail: res.json().detail as string };
}

describe('rate limit (token bucket per tenant, shared through Redis)', () => {
  test('a burst beyond the bucket → 429 RATE_LIMITED with Retry-After and RateLimit headers', async () => {
    // 6 per minute: one token every 10 s, bucket of 5.
    const app = await appWith({
      rateLimit: { perMinute: 6, burst: 5 },
      maxActiveJobs: null,
      jobCapRetrySeconds: 15,
    });
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ url: '/v1/jobs', headers: auth('alice') });
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-policy']).toBe('5;w=50');
      remaining.push(Number(res.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const limited = await app.inject({ url: '/v1/jobs', headers: auth('alice') });
    const { retry, detail } = expect429(limited);
    expect(retry).toBeGreaterThanOrEqual(9);
    expect(retry).toBeLessThanOrEqual(10);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect(detail).toContain('alice');
    expect(detail).toContain('DESCENT_RATE_LIMIT_PER_MINUTE');
    // Any /v1 route counts, POSTs included; health and docs do not.
    expect429(await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: auth('alice') }));
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
    // Another tenant has its own bucket.
    expect((await app.inject({ url: '/v1/jobs', headers: auth('bob') })).statusCode).toBe(200);

    // A second API process on the same Redis draws from the same bucket.
    const other = await makeTestApp(redis.url, 'sec-limits-2', {
      cfg: { apiKeys: parseApiKeys(KEYS), prefix: t.cfg.prefix },
    });
    try {
      const app2 = await appWith(
        { rateLimit: { perMinute: 6, burst: 5 }, maxActiveJobs: null, jobCapRetrySeconds: 15 },
        other.deps,
      );
      expect429(await app2.inject({ url: '/v1/jobs', headers: auth('alice') }));
      expect((await app2.inject({ url: '/v1/jobs', headers: auth('bob') })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });

  test('the OpenAPI document declares the 429 on every /v1 operation', async () => {
    const app = await appWith({
      rateLimit: { perMinute: 600, burst: 600 },
      maxActiveJobs: 5,
      jobCapRetrySeconds: 15,
    });
    const doc = (await app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const ops = Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1'));
    expect(ops.length).toBeGreaterThan(8);
    for (const [path, byMethod] of ops)
      for (const [method, op] of Object.entries(byMethod))
        expect(op.responses, `${method} ${path}`).toHaveProperty('429');
  });

  test('a client that waits Retry-After is served again; refused requests take no token', async () => {
    const app = await appWith({
      rateLimit: { perMinute: 120, burst: 2 },
      maxActiveJobs: null,
      jobCapRetrySeconds: 15,
    });
    const h = auth('carol');
    expect((await app.inject({ url: '/v1/jobs', headers: h })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/jobs', headers: h })).statusCode).toBe(200);
    let retry = 0;
    for (let i = 0; i < 5; i++) retry = expect429(await app.inject({ url: '/v1/jobs', headers: h })).retry;
    expect(retry).toBe(1); // 2 per second: the next token is < 1 s away
    await new Promise((r) => setTimeout(r, retry * 1000 + 50));
    expect((await app.inject({ url: '/v1/jobs', headers: h })).statusCode).toBe(200);
  });

  test('a 401 takes no token from anyone', async () => {
    const fresh = await makeTestApp(redis.url, 'sec-limits-3', { cfg: { apiKeys: parseApiKeys(KEYS) } });
    try {
      const a = await appWith(
        { rateLimit: { perMinute: 60, burst: 1 }, maxActiveJobs: null, jobCapRetrySeconds: 15 },
        fresh.deps,
      );
      for (let i = 0; i < 3; i++)
        expect(
          (await a.inject({ url: '/v1/jobs', headers: { authorization: 'Bearer wrong' } })).statusCode,
        ).toBe(401);
      expect((await a.inject({ url: '/v1/jobs', headers: auth('alice') })).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe('job cap (queued + running jobs per tenant)', () => {
  test('at the cap → 429 naming the cap and the count, with Retry-After; other tenants unaffected; a finished or cancelled job frees its slot', async () => {
    const capped = await makeTestApp(redis.url, 'sec-cap', { cfg: { apiKeys: parseApiKeys(KEYS) } });
    try {
      const app = await appWith({ rateLimit: null, maxActiveJobs: 3, jobCapRetrySeconds: 7 }, capped.deps);
      const post = (tenant: string, body: unknown = spec) =>
        app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object, headers: auth(tenant) });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await post('alice');
        expect(res.statusCode, res.body).toBe(201);
        ids.push(res.json().id);
      }
      const over = await post('alice');
      const { retry, detail } = expect429(over);
      expect(retry).toBe(7);
      expect(detail).toMatch(/has 3 queued or running jobs; the limit is 3/);
      expect(detail).toContain('DESCENT_MAX_ACTIVE_JOBS');
      // Validation still comes first: a bad spec is a 400, not a 429.
      expect((await post('alice', { ...spec, loss: 'nope' })).statusCode).toBe(400);
      // Dry runs do not count.
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/jobs/validate',
            payload: spec,
            headers: auth('alice'),
          })
        ).statusCode,
      ).toBe(200);
      expect((await post('bob')).statusCode).toBe(201);

      // A cancelled (queued) job frees its slot at once.
      expect(
        (
          await app.inject({ method: 'POST', url: `/v1/jobs/${ids[0]}/cancel`, headers: auth('alice') })
        ).json().status,
      ).toBe('cancelled');
      const next = await post('alice');
      expect(next.statusCode, next.body).toBe(201);
      expect429(await post('alice'));
      // So does one that finishes (here: a simulated worker run), and one that fails.
      await simulateRun(capped.deps, ids[1]);
      expect((await post('alice')).statusCode).toBe(201);
      await simulateRun(capped.deps, ids[2], { fail: true });
      expect((await post('alice')).statusCode).toBe(201);
      const again = expect429(await post('alice'));
      expect(again.detail).toMatch(/has 3 queued or running jobs/);
    } finally {
      await capped.close();
    }
  });

  test('concurrent submissions cannot overshoot the cap (the reservation is atomic)', async () => {
    const capped = await makeTestApp(redis.url, 'sec-cap-race', { cfg: { apiKeys: parseApiKeys(KEYS) } });
    try {
      const app = await appWith({ rateLimit: null, maxActiveJobs: 4, jobCapRetrySeconds: 15 }, capped.deps);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: auth('carol') }),
        ),
      );
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes.filter((c) => c === 201)).toHaveLength(4);
      expect(codes.filter((c) => c === 429)).toHaveLength(16);
      expect(
        (await app.inject({ url: '/v1/jobs?limit=100', headers: auth('carol') })).json().data,
      ).toHaveLength(4);
    } finally {
      await capped.close();
    }
  });

  test('an idempotent replay does not take a second slot', async () => {
    const capped = await makeTestApp(redis.url, 'sec-cap-idem', { cfg: { apiKeys: parseApiKeys(KEYS) } });
    try {
      const app = await appWith({ rateLimit: null, maxActiveJobs: 2, jobCapRetrySeconds: 15 }, capped.deps);
      const h = { ...auth('alice'), 'idempotency-key': 'k1' };
      const first = await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: h });
      expect(first.statusCode).toBe(201);
      for (let i = 0; i < 3; i++) {
        const replay = await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: h });
        expect(replay.statusCode).toBe(200);
        expect(replay.json().id).toBe(first.json().id);
      }
      expect(
        (await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: auth('alice') }))
          .statusCode,
      ).toBe(201);
      expect429(await app.inject({ method: 'POST', url: '/v1/jobs', payload: spec, headers: auth('alice') }));
    } finally {
      await capped.close();
    }
  });
});

describe('Redis down', () => {
  test('with the limits on, requests answer 503 UNAVAILABLE fast, not 429 or 500', async () => {
    const r2 = await startRedis();
    const t2 = await makeTestApp(r2.url, 'sec-limits-down', { cfg: { apiKeys: parseApiKeys(KEYS) } });
    try {
      const app = await appWith(
        { rateLimit: { perMinute: 600, burst: 100 }, maxActiveJobs: 5, jobCapRetrySeconds: 15 },
        t2.deps,
      );
      expect((await app.inject({ url: '/v1/jobs', headers: auth('alice') })).statusCode).toBe(200);
      await r2.stop();
      const t0 = Date.now();
      for (const req of [
        { url: '/v1/jobs', headers: auth('alice') },
        { method: 'POST' as const, url: '/v1/jobs', payload: spec, headers: auth('alice') },
      ]) {
        const res = await app.inject(req);
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json().code).toBe('UNAVAILABLE');
      }
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t2.close();
    }
  });
});

describe('configuration', () => {
  test('defaults: on with API keys, off without; env overrides; 0 turns a limit off; typos fail at boot', () => {
    expect(securityConfigFromEnv({}, true)).toEqual({
      rateLimit: { perMinute: SECURITY_DEFAULTS.ratePerMinute, burst: SECURITY_DEFAULTS.rateBurst },
      maxActiveJobs: SECURITY_DEFAULTS.maxActiveJobs,
      jobCapRetrySeconds: SECURITY_DEFAULTS.jobCapRetrySeconds,
      authThrottle: { failures: 10, windowSeconds: 300 },
    });
    expect(SECURITY_DEFAULTS).toMatchObject({
      ratePerMinute: 600,
      rateBurst: 120,
      maxActiveJobs: 20,
      jobCapRetrySeconds: 15,
    });
    expect(securityConfigFromEnv({}, false)).toMatchObject({ rateLimit: null, maxActiveJobs: null });
    expect(
      securityConfigFromEnv(
        {
          DESCENT_RATE_LIMIT_PER_MINUTE: '30',
          DESCENT_MAX_ACTIVE_JOBS: '2',
          DESCENT_JOB_CAP_RETRY_SECONDS: '5',
        },
        false,
      ),
    ).toEqual({
      rateLimit: { perMinute: 30, burst: 30 },
      maxActiveJobs: 2,
      jobCapRetrySeconds: 5,
      authThrottle: null,
    });
    expect(
      securityConfigFromEnv({ DESCENT_RATE_LIMIT_PER_MINUTE: '0', DESCENT_MAX_ACTIVE_JOBS: '0' }, true),
    ).toMatchObject({
      rateLimit: null,
      maxActiveJobs: null,
    });
    expect(() => securityConfigFromEnv({ DESCENT_RATE_LIMIT_BURST: 'ten' }, true)).toThrow(
      /DESCENT_RATE_LIMIT_BURST/,
    );
    expect(() => securityConfigFromEnv({ DESCENT_MAX_ACTIVE_JOBS: '-1' }, true)).toThrow(
      /DESCENT_MAX_ACTIVE_JOBS/,
    );
  });
});

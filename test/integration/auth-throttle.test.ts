/**
 * Failed-auth throttling (issue 20, point 2). Two real API processes on one Redis: 50 wrong keys
 * from one address, sent to both in turn, are refused with 401 up to the threshold and 429 with
 * Retry-After after it — the count is the two processes' together — while a right key from
 * another address answers 200 throughout; /metrics counts failures and throttled requests. The
 * two addresses are X-Forwarded-For values (addresses from the documentation ranges, never
 * contacted) that the API believes because DESCENT_TRUST_PROXY names loopback; in-process: the
 * header is ignored without it, a missing header is not a failure, and the window ends.
 */
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { killAllProcesses, startApiProcess } from '../helpers/processes.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { buildApp } from '../../src/api/app.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { securityConfigFromEnv, trustProxyFromEnv } from '../../src/api/security-config.js';

const KEY = 'alice-0123456789abcdef0123456789abcdef';
const ATTACKER = '203.0.113.7';
const CLIENT = '198.51.100.9';
const LIMIT = 10;

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await killAllProcesses();
  await redis?.stop();
});

/** A counter's value in a Prometheus text page (0 when absent). */
const counter = (text: string, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

describe('two API processes, one Redis', () => {
  test(`50 wrong keys from one address: 401 up to ${LIMIT} failures counted across both processes, then 429 with Retry-After; a right key from another address is 200 throughout`, async () => {
    const env = {
      REDIS_URL: redis.url,
      DESCENT_PREFIX: uniquePrefix('auth-throttle'),
      DESCENT_API_KEYS: `alice:${KEY}`,
      DESCENT_TRUST_PROXY: 'loopback',
      DESCENT_AUTH_FAILURE_LIMIT: String(LIMIT),
      DESCENT_AUTH_FAILURE_WINDOW_SECONDS: '600',
    };
    const apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    const wrong: number[] = [];
    for (let i = 0; i < 50; i++) {
      const api = apis[i % 2];
      const bad = await fetch(`${api.url}/v1/jobs`, {
        headers: { authorization: `Bearer wrong-key-${i}`, 'x-forwarded-for': ATTACKER },
      });
      wrong.push(bad.status);
      const body = (await bad.json()) as { code: string; detail: string };
      if (bad.status === 429) {
        expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(body.code).toBe('RATE_LIMITED');
        expect(body.detail).toContain(`the limit is ${LIMIT}`);
        expect(body.detail).toContain('DESCENT_AUTH_FAILURE_LIMIT');
        const retry = Number(bad.headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(retry).toBeLessThanOrEqual(600);
      }
      // the other address, with its right key, to the other process and to the same one
      for (const other of [apis[(i + 1) % 2], api]) {
        const ok = await fetch(`${other.url}/v1/jobs`, {
          headers: { authorization: `Bearer ${KEY}`, 'x-forwarded-for': CLIENT },
        });
        expect(ok.status, `request ${i}`).toBe(200);
        await ok.arrayBuffer();
      }
    }
    // Shared: process 1 saw only 5 of the first 10 failures, yet refused the 11th attempt.
    expect(wrong.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(wrong.slice(LIMIT)).toEqual(Array(50 - LIMIT).fill(429));

    // While blocked, the address is refused even with the right key: it cannot go on guessing.
    const blockedRight = await fetch(`${apis[0].url}/v1/jobs`, {
      headers: { authorization: `Bearer ${KEY}`, 'x-forwarded-for': ATTACKER },
    });
    expect(blockedRight.status).toBe(429);

    // /metrics of each process counts its own; together they are the whole story.
    const pages = await Promise.all(apis.map(async (a) => (await fetch(`${a.url}/metrics`)).text()));
    const sum = (name: string) => pages.reduce((s, p) => s + counter(p, name), 0);
    expect(sum('descent_auth_failures_total')).toBe(LIMIT);
    expect(sum('descent_auth_throttled_total')).toBe(50 - LIMIT + 1);
    for (const p of pages) expect(counter(p, 'descent_auth_failures_total')).toBe(LIMIT / 2);
  }, 120_000);
});

/** A GET over a socket bound to `localAddress` (any 127/8 address is this machine's loopback). */
function getFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a real process without DESCENT_TRUST_PROXY', () => {
  test('the socket address is the client: a forged X-Forwarded-For per guess does not dodge the throttle; another address is served', async () => {
    const api = await startApiProcess({
      REDIS_URL: redis.url,
      DESCENT_PREFIX: uniquePrefix('auth-throttle-socket'),
      DESCENT_API_KEYS: `alice:${KEY}`,
      DESCENT_AUTH_FAILURE_LIMIT: '5',
      DESCENT_AUTH_FAILURE_WINDOW_SECONDS: '600',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await getFrom('127.0.0.2', `${api.url}/v1/jobs`, {
        authorization: `Bearer guess-${i}`,
        'x-forwarded-for': `192.0.2.${i + 1}`,
      });
      statuses.push(r.status);
      const ok = await getFrom('127.0.0.3', `${api.url}/v1/jobs`, { authorization: `Bearer ${KEY}` });
      expect(ok.status).toBe(200);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
  }, 60_000);
});

describe('in-process', () => {
  let t: TestApp;
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    t = await makeTestApp(redis.url, 'auth-throttle-inproc', {
      cfg: { apiKeys: parseApiKeys(`alice:${KEY}`) },
    });
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await t?.close();
  });
  const appWith = async (failures: number, windowSeconds: number, trustProxy: false | string[] = false) => {
    const a = await buildApp(t.deps, {
      security: {
        rateLimit: null,
        maxActiveJobs: null,
        jobCapRetrySeconds: 15,
        authThrottle: { failures, windowSeconds },
      },
      trustProxy,
    });
    await a.ready();
    apps.push(a);
    return a;
  };

  test('without DESCENT_TRUST_PROXY an X-Forwarded-For header changes nothing: the socket address is counted', async () => {
    const a = await appWith(3, 600);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (
          await a.inject({
            url: '/v1/jobs',
            remoteAddress: '127.0.0.11',
            headers: { authorization: 'Bearer nope', 'x-forwarded-for': `192.0.2.${i}` },
          })
        ).statusCode,
      );
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // another socket address is served
    const ok = await a.inject({
      url: '/v1/jobs',
      remoteAddress: '127.0.0.12',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(ok.statusCode).toBe(200);
  });

  test('a request without Authorization is not a guess and does not count', async () => {
    const a = await appWith(2, 600);
    for (let i = 0; i < 5; i++)
      expect((await a.inject({ url: '/v1/jobs', remoteAddress: '127.0.0.21' })).statusCode).toBe(401);
    expect(
      (
        await a.inject({
          url: '/v1/jobs',
          remoteAddress: '127.0.0.21',
          headers: { authorization: `Bearer ${KEY}` },
        })
      ).statusCode,
    ).toBe(200);
  });

  test('the address is served again once its window has closed', async () => {
    const a = await appWith(2, 1);
    const bad = () =>
      a.inject({ url: '/v1/jobs', remoteAddress: '127.0.0.31', headers: { authorization: 'Bearer nope' } });
    expect((await bad()).statusCode).toBe(401);
    expect((await bad()).statusCode).toBe(401);
    const refused = await bad();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    await new Promise((r) => setTimeout(r, 1200));
    const right = await a.inject({
      url: '/v1/jobs',
      remoteAddress: '127.0.0.31',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(right.statusCode).toBe(200);
  });

  test('open routes (health, metrics) are never throttled', async () => {
    const a = await appWith(1, 600);
    await a.inject({
      url: '/v1/jobs',
      remoteAddress: '127.0.0.41',
      headers: { authorization: 'Bearer nope' },
    });
    expect((await a.inject({ url: '/v1/jobs', remoteAddress: '127.0.0.41' })).statusCode).toBe(429);
    expect((await a.inject({ url: '/healthz', remoteAddress: '127.0.0.41' })).statusCode).toBe(200);
  });
});

describe('configuration', () => {
  test('defaults with keys, off without, 0 turns it off; malformed values fail at boot naming the variable', () => {
    expect(securityConfigFromEnv({}, true).authThrottle).toEqual({ failures: 10, windowSeconds: 300 });
    expect(securityConfigFromEnv({}, false).authThrottle).toBeNull();
    expect(securityConfigFromEnv({ DESCENT_AUTH_FAILURE_LIMIT: '0' }, true).authThrottle).toBeNull();
    expect(
      securityConfigFromEnv(
        { DESCENT_AUTH_FAILURE_LIMIT: '5', DESCENT_AUTH_FAILURE_WINDOW_SECONDS: '30' },
        true,
      ).authThrottle,
    ).toEqual({ failures: 5, windowSeconds: 30 });
    expect(() => securityConfigFromEnv({ DESCENT_AUTH_FAILURE_LIMIT: 'ten' }, true)).toThrow(
      /DESCENT_AUTH_FAILURE_LIMIT/,
    );
    expect(() => securityConfigFromEnv({ DESCENT_AUTH_FAILURE_LIMIT: '2.5' }, true)).toThrow(
      /DESCENT_AUTH_FAILURE_LIMIT=2.5 is not a whole number/,
    );
    expect(() => securityConfigFromEnv({ DESCENT_AUTH_FAILURE_WINDOW_SECONDS: '0' }, true)).toThrow(
      /DESCENT_AUTH_FAILURE_WINDOW_SECONDS=0 must be between 1 and 86400/,
    );
  });

  test('DESCENT_TRUST_PROXY: proxy addresses, ranges and keywords; no hop counts, no "true"', () => {
    expect(trustProxyFromEnv({})).toBe(false);
    expect(trustProxyFromEnv({ DESCENT_TRUST_PROXY: '0' })).toBe(false);
    expect(trustProxyFromEnv({ DESCENT_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' })).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
    ]);
    for (const bad of ['1', 'true', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/2'])
      expect(() => trustProxyFromEnv({ DESCENT_TRUST_PROXY: bad }), bad).toThrow(/DESCENT_TRUST_PROXY/);
  });
});

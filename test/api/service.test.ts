/** OpenAPI document, docs, health, readiness, Prometheus metrics, API keys and Redis outages. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { parseApiKeys } from '../../src/queue/config.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-service');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

type Op = {
  operationId?: string;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
};

describe('OpenAPI', () => {
  test('/openapi.json is an OpenAPI 3 document listing every route with its schemas', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, Op>>;
      components?: { schemas?: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('Descent');
    expect(typeof doc.info.version).toBe('string');
    const expected: [string, string][] = [
      ['post', '/v1/jobs'],
      ['post', '/v1/jobs/validate'],
      ['get', '/v1/jobs'],
      ['get', '/v1/jobs/{id}'],
      ['post', '/v1/jobs/{id}/cancel'],
      ['get', '/v1/jobs/{id}/events'],
      ['get', '/v1/jobs/{id}/metrics'],
      ['get', '/v1/jobs/{id}/weights'],
      ['post', '/v1/jobs/{id}/predict'],
      ['post', '/v1/datasets'],
      ['get', '/v1/datasets/builtin'],
      ['get', '/v1/datasets/{id}'],
      ['delete', '/v1/datasets/{id}'],
      ['get', '/healthz'],
      ['get', '/readyz'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(op.operationId).toBeTruthy();
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
    // Request bodies come from the zod schemas (following $refs into components).
    const deref = (v: unknown, depth = 0): string => {
      const s = JSON.stringify(v);
      if (depth > 3) return s;
      const refs = [...s.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) =>
        deref(doc.components?.schemas?.[m[1]], depth + 1),
      );
      return s + refs.join('');
    };
    const create = deref(doc.paths['/v1/jobs'].post.requestBody!.content['application/json'].schema);
    expect(create).toContain('optimizer');
    expect(create).toContain('adam');
    expect(create).toContain('batchSize');
    expect(deref(doc.paths['/v1/jobs/validate'].post.requestBody)).toContain('optimizer');
    expect(deref(doc.paths['/v1/jobs/{id}/predict'].post.requestBody)).toContain('inputs');
    expect(Object.keys(doc.paths['/v1/datasets'].post.requestBody!.content)).toEqual(
      expect.arrayContaining(['application/json', 'text/csv']),
    );
    // Path and query parameters.
    expect(doc.paths['/v1/jobs/{id}'].get.parameters!.some((p) => p.name === 'id' && p.in === 'path')).toBe(
      true,
    );
    expect(doc.paths['/v1/jobs'].get.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'limit', 'after']),
    );
    // Responses reference the Job and Problem schemas.
    const text = JSON.stringify(doc);
    expect(text).toMatch(/Job/);
    expect(text).toMatch(/Problem/);
    // OpenAPI 3.0 rules a validator would check: every response has a description, every
    // parameter a schema, path parameters are required, and no JSON-Schema-2020 keywords leak in.
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        for (const [code, r] of Object.entries(op.responses))
          expect((r as { description?: string }).description, `${method} ${path} ${code}`).toBeTruthy();
        for (const prm of op.parameters ?? []) {
          expect((prm as { schema?: unknown }).schema).toBeDefined();
          if (prm.in === 'path') expect((prm as { required?: boolean }).required).toBe(true);
        }
      }
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        // Names of properties, paths and components are data, not keywords.
        if (['properties', 'schemas', 'content', 'responses'].includes(k) && x && typeof x === 'object') {
          Object.values(x).forEach(walk);
          continue;
        }
        expect(['const', '$schema', 'prefixItems', '$defs', 'unevaluatedProperties']).not.toContain(k);
        if (k === 'type') expect(typeof x).toBe('string');
        if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') expect(typeof x).toBe('boolean');
        walk(x);
      }
    };
    walk(doc.paths);
    walk(doc.components);
    // Every $ref resolves.
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components?.schemas?.[m[1]], m[1]).toBeDefined();
  });

  test('/docs serves Swagger UI', async () => {
    const res = await t.app.inject({ url: '/docs' });
    expect([200, 302]).toContain(res.statusCode);
    const page = res.statusCode === 302 ? await t.app.inject({ url: res.headers.location as string }) : res;
    expect(page.body).toMatch(/swagger/i);
  });
});

describe('health, readiness, metrics', () => {
  test('/healthz is 200; /readyz is 503 without a worker, 200 with a fresh heartbeat and names its backend', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const not = await t.app.inject({ url: '/readyz' });
    expect(not.statusCode).toBe(503);
    expect(not.json()).toMatchObject({ status: 'not_ready', redis: 'ok', workers: 0 });
    await t.deps.heartbeats.beat({
      id: 'w_test',
      pid: 1,
      host: 'h',
      backend: 'wasm',
      startedAt: new Date().toISOString(),
    });
    const ok = await t.app.inject({ url: '/readyz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ready', workers: 1, backends: ['wasm'] });
    await t.deps.heartbeats.remove('w_test');
  });

  test('/metrics is Prometheus text with request and queue series', async () => {
    await t.app.inject({ url: '/healthz' });
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toContain('descent_http_requests_total');
    expect(res.body).toContain('descent_queue_jobs');
    expect(res.body).toContain('descent_sse_clients');
  });
});

describe('API keys', () => {
  test('with DESCENT_API_KEYS: 401 without a key, tenants see only their own jobs (404 otherwise)', async () => {
    const t2 = await makeTestApp(redis.url, 'api-keys', {
      cfg: { apiKeys: parseApiKeys('alice:ka,bob:kb') },
    });
    try {
      const spec = {
        model: { type: 'linear' },
        data: { builtin: 'iris' },
        loss: 'cross_entropy',
        optimizer: { type: 'sgd', lr: 0.1 },
      };
      const anon = await t2.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
      expect(anon.statusCode).toBe(401);
      expect(anon.json().code).toBe('UNAUTHORIZED');
      expect(
        (await t2.app.inject({ url: '/v1/jobs', headers: { authorization: 'Bearer nope' } })).statusCode,
      ).toBe(401);
      const a = await t2.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: spec,
        headers: { authorization: 'Bearer ka' },
      });
      expect(a.statusCode).toBe(201);
      const id = a.json().id;
      expect(
        (await t2.app.inject({ url: `/v1/jobs/${id}`, headers: { authorization: 'Bearer ka' } })).statusCode,
      ).toBe(200);
      expect(
        (await t2.app.inject({ url: `/v1/jobs/${id}`, headers: { authorization: 'Bearer kb' } })).statusCode,
      ).toBe(404);
      expect(
        (await t2.app.inject({ url: '/v1/jobs', headers: { authorization: 'Bearer kb' } })).json().data,
      ).toEqual([]);
      expect((await t2.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t2.close();
    }
  });
});

describe('Redis outage', () => {
  test('requests fail fast with 503 UNAVAILABLE, /readyz says so, /healthz stays 200', async () => {
    const r2 = await startRedis();
    const t2 = await makeTestApp(r2.url, 'api-outage');
    try {
      await r2.stop();
      const t0 = Date.now();
      const res = await t2.app.inject({ url: '/v1/jobs' });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('UNAVAILABLE');
      expect(Date.now() - t0).toBeLessThan(5000);
      const ready = await t2.app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().redis).toBe('unreachable');
      expect((await t2.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t2.close();
    }
  });
});

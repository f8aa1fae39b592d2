/**
 * OWASP API3 (broken object property level authorization), both directions: a client cannot write
 * a property the server owns (mass assignment: `id`, `status`, `tenant`, timestamps, a webhook's
 * `secret`) — the request schemas are strict, so such a body is a 400 naming each property — and a
 * response carries only the properties its schema declares (the zod serializer drops the rest), so
 * the owning tenant and internal hash fields never leave the server, and a webhook's secret is shown
 * once, at creation. Real redis-server, fastify.inject, with API keys on.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const KEY = 'ka-5e0c1b2a3d4f45a6b7c8d9e0f1a2b3c4';
const A = { authorization: `Bearer ${KEY}` };

let redis: TestRedis;
let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'object-props', {
    cfg: { apiKeys: parseApiKeys(`alice:${KEY}`) },
    app: { security: { rateLimit: null, maxActiveJobs: null, jobCapRetrySeconds: 15 } },
  });
  app = t.app;
});

afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

function refusedAt(res: LightMyRequestResponse): string[] {
  expect(res.statusCode, res.body.slice(0, 400)).toBe(400);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json() as { code: string; errors: Array<{ path: string; message: string }> };
  expect(p.code).toBe('VALIDATION_ERROR');
  return p.errors.map((e) => `${e.path} ${e.message}`);
}

/** The properties the OpenAPI document declares for a component schema. */
function declared(component: string): Set<string> {
  const doc = app.swagger() as { components: { schemas: Record<string, { properties?: object }> } };
  const schema = doc.components.schemas[component];
  expect(schema?.properties, `${component} in the OpenAPI document`).toBeDefined();
  return new Set(Object.keys(schema!.properties!));
}

describe('a client cannot set a property the server owns', () => {
  test('a JobSpec carrying id, status, tenant or createdAt is refused, naming each property', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: A,
      payload: { ...TINY_LINEAR_SPEC, id: 'job_mine', status: 'succeeded', tenant: 'bob', createdAt: 0 },
    });
    const errors = refusedAt(res).join('\n');
    for (const key of ['id', 'status', 'tenant', 'createdAt'])
      expect(errors).toContain(`Unknown key "${key}"`);
    // and nothing was created
    expect((await app.inject({ url: '/v1/jobs', headers: A })).json().data).toEqual([]);
  });

  test("a webhook endpoint's secret, id or failure state cannot be chosen by the client", async () => {
    for (const extra of [{ secret: 'whsec_chosen' }, { id: 'wh_mine' }, { failingSince: null }]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: A,
        payload: { url: 'https://example.com/hook', events: ['job.succeeded'], ...extra },
      });
      expect(refusedAt(res).join('\n')).toContain(`"${Object.keys(extra)[0]}"`);
    }
  });
});

describe('a response carries only the properties its schema declares', () => {
  test('a job, a dataset and the job list carry no tenant and nothing undeclared', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: A,
      payload: TINY_LINEAR_SPEC,
    });
    expect(created.statusCode, created.body).toBe(201);
    const job = (await app.inject({ url: `/v1/jobs/${created.json().id}`, headers: A })).json() as object;
    const ds = await app.inject({
      method: 'POST',
      url: '/v1/datasets?target=y',
      headers: { ...A, 'content-type': 'text/csv' },
      payload: 'a,y\n1,2\n3,4\n',
    });
    expect(ds.statusCode, ds.body).toBe(201);
    const dataset = (await app.inject({ url: `/v1/datasets/${ds.json().id}`, headers: A })).json() as object;
    const list = (await app.inject({ url: '/v1/jobs', headers: A })).json() as { data: object[] };

    const jobProps = declared('Job');
    for (const body of [created.json() as object, job, ...list.data])
      expect(Object.keys(body).filter((k) => !jobProps.has(k))).toEqual([]);
    expect(Object.keys(dataset).filter((k) => !declared('Dataset').has(k))).toEqual([]);
    for (const body of [job, dataset, list]) {
      expect(JSON.stringify(body)).not.toMatch(/"tenant"/);
      expect(JSON.stringify(body)).not.toContain('alice');
    }
  });

  test("a webhook endpoint's secret is in the creation answer only", async () => {
    const ep = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: A,
      payload: { url: 'https://example.com/hook', events: ['job.succeeded'] },
    });
    expect(ep.statusCode, ep.body).toBe(201);
    const { id, secret } = ep.json() as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const got = await app.inject({ url: `/v1/webhooks/${id}`, headers: A });
    const listed = await app.inject({ url: '/v1/webhooks', headers: A });
    for (const r of [got, listed]) {
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toContain(secret);
      expect(r.body).not.toMatch(/"secret"/);
    }
  });
});

/**
 * Tenancy and authentication with DESCENT_API_KEYS (acceptance 5, first half): every endpoint that
 * takes an id answers 404 to another tenant, exactly as for an id that does not exist; no key or a
 * wrong key answers 401 problem+json with `WWW-Authenticate: Bearer`; the key never reaches a log.
 * Real redis-server, fastify.inject.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { buildApp, type BuildAppOptions } from '../../src/api/app.js';
import { createKeyRing } from '../../src/api/key-store.js';
import { envKeyEntries } from '../../src/api/key-file.js';
import { validateInjectedResponses } from '../helpers/openapi-validator.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

const KEY_A = 'ka-3f9a1c0d7e5b42a8b6c1d2e3f4a5b6c7';
const KEY_B = 'kb-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const A = { authorization: `Bearer ${KEY_A}` };
const B = { authorization: `Bearer ${KEY_B}` };
const NO_LIMITS = { rateLimit: null, maxActiveJobs: null, jobCapRetrySeconds: 15 };

let redis: TestRedis;
let t: TestApp;
let app: FastifyInstance;
let jobA: string; // succeeded, with weights, events, metrics
let queuedA: string; // still queued (cancel target)
let dsA: string;

const linearSpec = TINY_LINEAR_SPEC;

async function appWith(opts: BuildAppOptions): Promise<FastifyInstance> {
  const a = await buildApp(t.deps, opts);
  await a.ready();
  validateInjectedResponses(a);
  return a;
}

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'sec-tenancy', {
    cfg: { apiKeys: parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`) },
  });
  app = await appWith({ security: NO_LIMITS });
  const created = await app.inject({ method: 'POST', url: '/v1/jobs', payload: linearSpec, headers: A });
  expect(created.statusCode, created.body).toBe(201);
  jobA = created.json().id;
  await simulateRun(t.deps, jobA, { steps: 10, perEpoch: 5, checkpointAt: 5 });
  queuedA = (await app.inject({ method: 'POST', url: '/v1/jobs', payload: linearSpec, headers: A })).json()
    .id;
  const ds = await app.inject({
    method: 'POST',
    url: '/v1/datasets?target=y',
    headers: { ...A, 'content-type': 'text/csv' },
    payload: 'a,b,y\n1,2,3\n4,5,9\n7,8,15\n',
  });
  expect(ds.statusCode, ds.body).toBe(201);
  dsA = ds.json().id;
});

afterAll(async () => {
  await app?.close();
  await t?.close();
  await redis?.stop();
});

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, `${res.statusCode} ${res.body.slice(0, 300)}`).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json();
  expect(p).toMatchObject({ status, code });
  return p as { detail: string; errors?: { path: string }[] };
}

/**
 * One row per endpoint that names a resource: the request, and what tenant A (the owner) gets.
 * `{id}` / `{ds}` are replaced by A's job / dataset, or by an unknown id.
 */
type Case = {
  name: string;
  route: string;
  req: (id: string, ds: string) => InjectOptions;
  ownerStatus: number;
};
const CASES: Case[] = [
  { name: 'get job', route: 'GET /v1/jobs/{id}', req: (id) => ({ url: `/v1/jobs/${id}` }), ownerStatus: 200 },
  {
    name: 'events (JSON page)',
    route: 'GET /v1/jobs/{id}/events',
    req: (id) => ({ url: `/v1/jobs/${id}/events`, headers: { accept: 'application/json' } }),
    ownerStatus: 200,
  },
  {
    name: 'events (SSE)',
    route: 'GET /v1/jobs/{id}/events',
    req: (id) => ({ url: `/v1/jobs/${id}/events`, headers: { accept: 'text/event-stream' } }),
    ownerStatus: 200,
  },
  {
    name: 'metrics',
    route: 'GET /v1/jobs/{id}/metrics',
    req: (id) => ({ url: `/v1/jobs/${id}/metrics` }),
    ownerStatus: 200,
  },
  {
    name: 'weights (JSON)',
    route: 'GET /v1/jobs/{id}/weights',
    req: (id) => ({ url: `/v1/jobs/${id}/weights` }),
    ownerStatus: 200,
  },
  {
    name: 'weights (safetensors)',
    route: 'GET /v1/jobs/{id}/weights',
    req: (id) => ({ url: `/v1/jobs/${id}/weights?format=safetensors` }),
    ownerStatus: 200,
  },
  {
    name: 'model (ONNX)',
    route: 'GET /v1/jobs/{id}/model',
    req: (id) => ({ url: `/v1/jobs/${id}/model?format=onnx` }),
    ownerStatus: 200,
  },
  {
    name: 'model (torch)',
    route: 'GET /v1/jobs/{id}/model',
    req: (id) => ({ url: `/v1/jobs/${id}/model?format=torch` }),
    ownerStatus: 200,
  },
  {
    name: 'predict',
    route: 'POST /v1/jobs/{id}/predict',
    req: (id) => ({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [[1, 2]] } }),
    ownerStatus: 200,
  },
  {
    name: 'gradients',
    route: 'POST /v1/jobs/{id}/gradients',
    req: (id) => ({ method: 'POST', url: `/v1/jobs/${id}/gradients`, payload: { inputs: [[1, 2]] } }),
    ownerStatus: 200,
  },
  {
    name: 'evaluate',
    route: 'POST /v1/jobs/{id}/evaluate',
    req: (id) => ({
      method: 'POST',
      url: `/v1/jobs/${id}/evaluate`,
      payload: { inputs: [[1, 2]], targets: [1] },
    }),
    ownerStatus: 200,
  },
  {
    name: 'checkpoints',
    route: 'GET /v1/jobs/{id}/checkpoints',
    req: (id) => ({ url: `/v1/jobs/${id}/checkpoints` }),
    ownerStatus: 200,
  },
  // Not a two-variable minimize job: 409 for its owner, still a 404 for anyone else.
  {
    name: 'contour',
    route: 'GET /v1/jobs/{id}/contour',
    req: (id) => ({ url: `/v1/jobs/${id}/contour` }),
    ownerStatus: 409,
  },
  {
    name: 'fork',
    route: 'POST /v1/jobs/{id}/fork',
    req: (id) => ({ method: 'POST', url: `/v1/jobs/${id}/fork`, payload: { fromCheckpoint: 5 } }),
    ownerStatus: 201,
  },
  // Cancel of a finished job answers it unchanged (200); the queued one is tested below.
  {
    name: 'cancel',
    route: 'POST /v1/jobs/{id}/cancel',
    req: (id) => ({ method: 'POST', url: `/v1/jobs/${id}/cancel` }),
    ownerStatus: 200,
  },
  {
    name: 'get dataset',
    route: 'GET /v1/datasets/{id}',
    req: (_id, ds) => ({ url: `/v1/datasets/${ds}` }),
    ownerStatus: 200,
  },
];

const UNKNOWN_JOB = 'job_0000000000000000000000';
const UNKNOWN_DS = 'ds_0000000000000000000000';

describe('another tenant gets 404, the same answer as for an unknown id', () => {
  test.each(CASES)('$name: owner $ownerStatus, other tenant 404', async (c) => {
    const own = await app.inject({ ...c.req(jobA, dsA), headers: { ...c.req(jobA, dsA).headers, ...A } });
    expect(own.statusCode, own.body.slice(0, 300)).toBe(c.ownerStatus);

    const other = await app.inject({ ...c.req(jobA, dsA), headers: { ...c.req(jobA, dsA).headers, ...B } });
    const p = expectProblem(other, 404, 'NOT_FOUND');
    // No oracle: bob's answer for alice's id reads exactly like one for an id nobody has.
    const unknown = await app.inject({
      ...c.req(UNKNOWN_JOB, UNKNOWN_DS),
      headers: { ...c.req(UNKNOWN_JOB, UNKNOWN_DS).headers, ...B },
    });
    const q = expectProblem(unknown, 404, 'NOT_FOUND');
    expect(p.detail.replace(jobA, 'ID').replace(dsA, 'ID')).toBe(
      q.detail.replace(UNKNOWN_JOB, 'ID').replace(UNKNOWN_DS, 'ID'),
    );
  });

  test('every route that takes an id is in the table above (the OpenAPI document lists them)', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, object> };
    const withId = Object.entries(doc.paths)
      .filter(([p]) => p.includes('{id}'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const covered = new Set([
      ...CASES.map((c) => c.route),
      'DELETE /v1/datasets/{id}',
      'DELETE /v1/jobs/{id}',
      // The webhook routes: the describe block below. The sweep routes' tenancy: test/api/sweeps.test.ts ("tenancy: …").
      'GET /v1/webhooks/{id}',
      'DELETE /v1/webhooks/{id}',
      'POST /v1/webhooks/{id}/rotate-secret',
      'GET /v1/webhooks/{id}/deliveries',
      'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      'GET /v1/sweeps/{id}',
      'GET /v1/sweeps/{id}/trials',
      'GET /v1/sweeps/{id}/events',
      'POST /v1/sweeps/{id}/cancel',
    ]);
    expect(withId.length).toBeGreaterThanOrEqual(10);
    for (const r of withId) expect(covered, `${r} has no tenancy case`).toContain(r);
  });

  test('cancel by another tenant leaves the job queued; the owner can cancel it', async () => {
    expectProblem(
      await app.inject({ method: 'POST', url: `/v1/jobs/${queuedA}/cancel`, headers: B }),
      404,
      'NOT_FOUND',
    );
    expect((await app.inject({ url: `/v1/jobs/${queuedA}`, headers: A })).json().status).toBe('queued');
    const own = await app.inject({ method: 'POST', url: `/v1/jobs/${queuedA}/cancel`, headers: A });
    expect(own.statusCode).toBe(200);
    expect(own.json().status).toBe('cancelled');
  });

  test('delete by another tenant is 404 and the dataset survives; the owner deletes it', async () => {
    const ds = await app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { ...A, 'content-type': 'application/json' },
      payload: { x: [[1], [2]], y: [1, 2] },
    });
    const id = ds.json().id as string;
    expectProblem(
      await app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: B }),
      404,
      'NOT_FOUND',
    );
    expect((await app.inject({ url: `/v1/datasets/${id}`, headers: A })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: A })).statusCode).toBe(
      204,
    );
    expectProblem(await app.inject({ url: `/v1/datasets/${id}`, headers: A }), 404, 'NOT_FOUND');
  });

  test('job delete by another tenant is 404 like an unknown id and the job survives; the owner deletes it', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/jobs', payload: linearSpec, headers: A });
    const id = created.json().id as string;
    await simulateRun(t.deps, id);
    const other = expectProblem(
      await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers: B }),
      404,
      'NOT_FOUND',
    );
    const unknown = expectProblem(
      await app.inject({ method: 'DELETE', url: `/v1/jobs/${UNKNOWN_JOB}`, headers: B }),
      404,
      'NOT_FOUND',
    );
    expect(other.detail.replace(id, 'ID')).toBe(unknown.detail.replace(UNKNOWN_JOB, 'ID'));
    expect((await app.inject({ url: `/v1/jobs/${id}`, headers: A })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers: A })).statusCode).toBe(204);
    expectProblem(await app.inject({ url: `/v1/jobs/${id}`, headers: A }), 404, 'NOT_FOUND');
  });

  test("a job spec naming another tenant's datasetId is refused exactly as an unknown dataset", async () => {
    const spec = (ds: string) => ({ ...linearSpec, data: { datasetId: ds } });
    const own = await app.inject({
      method: 'POST',
      url: '/v1/jobs/validate',
      payload: spec(dsA),
      headers: A,
    });
    expect(own.statusCode, own.body).toBe(200);
    for (const url of ['/v1/jobs', '/v1/jobs/validate']) {
      const other = await app.inject({ method: 'POST', url, payload: spec(dsA), headers: B });
      const unknown = await app.inject({ method: 'POST', url, payload: spec(UNKNOWN_DS), headers: B });
      expect(other.statusCode).toBeGreaterThanOrEqual(400);
      expect(other.statusCode).toBeLessThan(500);
      const p = expectProblem(other, unknown.statusCode, unknown.json().code);
      expect(p.errors?.[0].path).toBe('/data/datasetId');
      expect(p.detail.replace(dsA, 'ID')).toBe(unknown.json().detail.replace(UNKNOWN_DS, 'ID'));
    }
    // and bob's job list stays empty: nothing was created
    expect((await app.inject({ url: '/v1/jobs', headers: B })).json().data).toEqual([]);
  });

  test('lists are per tenant; an Idempotency-Key is per tenant too', async () => {
    const a = (await app.inject({ url: '/v1/jobs?limit=100', headers: A }))
      .json()
      .data.map((j: { id: string }) => j.id);
    expect(a).toContain(jobA);
    const key = { 'idempotency-key': 'same-key-both-tenants' };
    const ja = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: linearSpec,
      headers: { ...A, ...key },
    });
    const jb = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: linearSpec,
      headers: { ...B, ...key },
    });
    expect(ja.statusCode).toBe(201);
    expect(jb.statusCode).toBe(201);
    expect(jb.json().id).not.toBe(ja.json().id);
    const b = (await app.inject({ url: '/v1/jobs?limit=100', headers: B }))
      .json()
      .data.map((j: { id: string }) => j.id);
    expect(b).toEqual([jb.json().id]);
  });
});

describe('401 without a valid key', () => {
  const ROUTES: InjectOptions[] = [
    { url: '/v1/jobs' },
    { method: 'POST', url: '/v1/jobs', payload: linearSpec },
    { method: 'POST', url: '/v1/jobs/validate', payload: linearSpec },
    { url: '/v1/jobs/job_x' },
    { url: '/v1/jobs/job_x/events', headers: { accept: 'text/event-stream' } },
    { url: '/v1/jobs/job_x/events' },
    { url: '/v1/jobs/job_x/metrics' },
    { url: '/v1/jobs/job_x/weights' },
    { url: '/v1/jobs/job_x/model' },
    { url: '/v1/jobs/job_x/checkpoints' },
    { method: 'POST', url: '/v1/jobs/job_x/predict', payload: { inputs: [[1]] } },
    { method: 'POST', url: '/v1/jobs/job_x/gradients', payload: { inputs: [[1]] } },
    { method: 'POST', url: '/v1/jobs/job_x/evaluate', payload: { inputs: [[1]], targets: [1] } },
    { method: 'POST', url: '/v1/jobs/job_x/cancel' },
    { method: 'DELETE', url: '/v1/jobs/job_x' },
    { method: 'POST', url: '/v1/datasets', payload: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } },
    { url: '/v1/datasets/builtin' },
    { url: '/v1/datasets' },
    { url: '/v1/datasets/ds_x' },
    { method: 'DELETE', url: '/v1/datasets/ds_x' },
    // The router percent-decodes paths: this reaches GET /v1/jobs and must not skip the key check.
    { url: '/%761/jobs' },
    { url: '/v%31/jobs' },
  ];
  const BAD: [string, Record<string, string>][] = [
    ['no Authorization', {}],
    ['a wrong key', { authorization: 'Bearer nope' }],
    ['a wrong key of the right length', { authorization: `Bearer ${KEY_A.slice(0, -1)}x` }],
    ['a prefix of a key', { authorization: `Bearer ${KEY_A.slice(0, 10)}` }],
    ['a key with a suffix', { authorization: `Bearer ${KEY_A}x` }],
    ['Basic scheme', { authorization: `Basic ${Buffer.from(`alice:${KEY_A}`).toString('base64')}` }],
    ['the key without a scheme', { authorization: KEY_A }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a tenant name', { authorization: 'Bearer alice' }],
  ];

  test.each(BAD)('%s → 401 on every /v1 route', async (_name, headers) => {
    for (const r of ROUTES) {
      const res = await app.inject({ ...r, headers: { ...r.headers, ...headers } });
      expectProblem(res, 401, 'UNAUTHORIZED');
      expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer\b/);
    }
  });

  test('health, readiness, metrics and the API description stay open', async () => {
    for (const url of ['/healthz', '/openapi.json', '/metrics'])
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).not.toBe(401);
  });

  test('the OpenAPI document declares 401 on /v1 operations and no security on the open ones', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as {
      security: unknown[];
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
    };
    expect(doc.security).toEqual([{ bearer: [] }]);
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        if (path.startsWith('/v1')) expect(op.responses, `${method} ${path}`).toHaveProperty('401');
        else expect(op.security, `${method} ${path}`).toEqual([]);
      }
  });

  test('the key ring matches whole keys only, compared as fixed-length digests', () => {
    const ring = createKeyRing(envKeyEntries(parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`)));
    expect(ring.verify(KEY_A)).toEqual({ tenant: 'alice', scope: 'write' });
    expect(ring.verify(KEY_B)).toEqual({ tenant: 'bob', scope: 'write' });
    for (const k of ['', 'alice', KEY_A.slice(1), `${KEY_A} `, KEY_A.toUpperCase(), 'x'.repeat(10_000)])
      expect(ring.verify(k)).toBeNull();
  });
});

describe('the key never reaches a log line', () => {
  test('requests, 401s and errors logged at trace level carry no Authorization value', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    // A serializer that logs every header, as a careless deployment might: redaction must still hold.
    const logged = await appWith({
      security: NO_LIMITS,
      logger: {
        level: 'trace',
        stream,
        serializers: {
          req: (r: { method: string; url: string; headers: unknown }) => ({
            method: r.method,
            url: r.url,
            headers: r.headers,
          }),
        },
      },
    });
    try {
      await logged.inject({ url: `/v1/jobs/${jobA}`, headers: A });
      await logged.inject({ url: '/v1/jobs', headers: { authorization: `Bearer ${KEY_A}wrong` } });
      await logged.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: '{bad json',
        headers: { ...A, 'content-type': 'application/json' },
      });
      await logged.inject({ url: `/v1/jobs/${jobA}/events`, headers: { ...B, accept: 'text/event-stream' } });
    } finally {
      await logged.close();
    }
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(4);
    expect(text).toContain('"headers"'); // the serializer did log headers…
    expect(text).toContain('[redacted]'); // …with Authorization censored
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain(KEY_B);
    expect(text).not.toContain(KEY_A.slice(0, 12));
  });
});

describe("another tenant's webhook endpoint is a 404, the same answer as for an unknown id", () => {
  const UNKNOWN_WH = 'wh_0000000000000000000000';
  const routes: [string, (id: string) => { method?: 'GET' | 'POST' | 'DELETE'; url: string }][] = [
    ['GET /v1/webhooks/{id}', (id) => ({ url: `/v1/webhooks/${id}` })],
    ['GET /v1/webhooks/{id}/deliveries', (id) => ({ url: `/v1/webhooks/${id}/deliveries` })],
    ['POST /v1/webhooks/{id}/rotate-secret', (id) => ({ method: 'POST', url: `/v1/webhooks/${id}/rotate-secret` })],
    [
      'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      (id) => ({ method: 'POST', url: `/v1/webhooks/${id}/deliveries/dlv_0000000000000000000000/redeliver` }),
    ],
    ['DELETE /v1/webhooks/{id}', (id) => ({ method: 'DELETE', url: `/v1/webhooks/${id}` })],
  ];
  test.each(routes)('%s', async (_route, req) => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: A,
      payload: { url: 'https://example.com/hooks/descent', events: ['job.succeeded'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const wh = created.json().id as string;
    const p = expectProblem(await app.inject({ ...req(wh), headers: B }), 404, 'NOT_FOUND');
    const q = expectProblem(await app.inject({ ...req(UNKNOWN_WH), headers: B }), 404, 'NOT_FOUND');
    expect(p.detail.replace(wh, 'ID')).toBe(q.detail.replace(UNKNOWN_WH, 'ID'));
    // bob's attempt changed nothing: alice still has her endpoint
    expect((await app.inject({ url: `/v1/webhooks/${wh}`, headers: A })).statusCode).toBe(200);
  });
});

describe("an admin key's reach across tenants, route by route", () => {
  const KEY_ADMIN = 'kadmin-5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
  const ADMIN = { authorization: `Bearer ${KEY_ADMIN}` };
  let adminApp: FastifyInstance;
  beforeAll(async () => {
    const ring = createKeyRing([
      ...envKeyEntries(parseApiKeys(`alice:${KEY_A},bob:${KEY_B}`)),
      { key: KEY_ADMIN, tenant: 'ops', scope: 'admin' },
    ]);
    adminApp = await appWith({
      security: NO_LIMITS,
      keyStore: { ring: () => ring, enabled: true, reload: () => true, close() {} },
    });
  });
  afterAll(async () => {
    await adminApp?.close();
  });

  // GETs and cancel reach any tenant's job; everything else stays within the admin's own tenant.
  test.each(CASES)("$name: admin gets the owner's answer on a GET or cancel, 404 otherwise", async (c) => {
    const req = c.req(jobA, dsA);
    const res = await adminApp.inject({ ...req, headers: { ...req.headers, ...ADMIN } });
    const crossTenant = c.route.startsWith('GET /v1/jobs/') || c.route === 'POST /v1/jobs/{id}/cancel';
    if (crossTenant) expect(res.statusCode, res.body.slice(0, 300)).toBe(c.ownerStatus);
    else expectProblem(res, 404, 'NOT_FOUND');
  });

  test("delete of another tenant's job or dataset is a 404 for an admin key too", async () => {
    expectProblem(
      await adminApp.inject({ method: 'DELETE', url: `/v1/jobs/${jobA}`, headers: ADMIN }),
      404,
      'NOT_FOUND',
    );
    expectProblem(
      await adminApp.inject({ method: 'DELETE', url: `/v1/datasets/${dsA}`, headers: ADMIN }),
      404,
      'NOT_FOUND',
    );
    expect((await app.inject({ url: `/v1/jobs/${jobA}`, headers: A })).statusCode).toBe(200);
  });
});

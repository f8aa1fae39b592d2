/** The job endpoints and their error paths, through fastify.inject against a throwaway Redis. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';

let redis: TestRedis;
let t: TestApp;

const irisSpec = {
  model: { type: 'mlp', hidden: [8], activation: 'relu' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 5, batchSize: 16 },
};

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-jobs', { cfg: { bodyLimit: 64 * 1024 } });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = res.json() as Record<string, unknown>;
  expect(p).toMatchObject({ status, code });
  expect(typeof p.type).toBe('string');
  expect(typeof p.title).toBe('string');
  expect(typeof p.detail).toBe('string');
  expect(JSON.stringify(p)).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
  return p as { errors?: { path: string; message: string }[]; detail: string };
}

describe('POST /v1/jobs', () => {
  test('creates a queued job with the normalized spec', async () => {
    const res = await post('/v1/jobs', { ...irisSpec, metadata: { owner: 'me' } });
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(job.id).toMatch(/^job_[0-9a-z]+$/);
    expect(job).toMatchObject({
      object: 'job',
      status: 'queued',
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      error: null,
      attempt: 0,
    });
    expect(job.metadata).toEqual({ owner: 'me' });
    expect(job.spec.optimizer).toMatchObject({ type: 'adam', lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
    expect(job.spec.training.shuffle).toBe(true);
    expect(res.headers.location).toBe(`/v1/jobs/${job.id}`);
  });

  test('bad spec → 400 VALIDATION_ERROR with JSON-pointer field paths', async () => {
    const res = await post('/v1/jobs', {
      ...irisSpec,
      optimizer: { type: 'adam', lr: -1 },
      training: { epochs: 0 },
    });
    const p = expectProblem(res, 400, 'VALIDATION_ERROR');
    const paths = p.errors!.map((e) => e.path);
    expect(paths).toContain('/optimizer/lr');
    expect(paths).toContain('/training/epochs');
  });

  test('unknown keys, wrong types, missing fields, limits → 400 naming the field', async () => {
    const typo = expectProblem(
      await post('/v1/jobs', { ...irisSpec, optimizer: { type: 'adam', learningRate: 0.1 } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(JSON.stringify(typo.errors)).toContain('learningRate');
    const missing = expectProblem(
      await post('/v1/jobs', { model: { type: 'linear' }, loss: 'mse', optimizer: { type: 'sgd', lr: 0.1 } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(missing.errors!.some((e) => e.path.startsWith('/data'))).toBe(true);
    const wrongType = expectProblem(
      await post('/v1/jobs', { ...irisSpec, training: { epochs: 'many' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(wrongType.errors![0].path).toBe('/training/epochs');
    const limit = expectProblem(
      await post('/v1/jobs', { ...irisSpec, model: { type: 'mlp', hidden: Array(40).fill(4) } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(limit.errors![0].message).toMatch(/limit/);
    expectProblem(await post('/v1/jobs', [1, 2, 3]), 400, 'VALIDATION_ERROR');
  });

  test('malformed JSON and an empty body → 400, never 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '{"model": ',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'VALIDATION_ERROR');
    const empty = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(empty, 400, 'VALIDATION_ERROR');
    const proto = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '{"__proto__": {"x": 1}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(proto.statusCode).toBe(400);
  });

  test('unsupported media type → 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '<xml/>',
      headers: { 'content-type': 'application/xml' },
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('oversized body → 413 PAYLOAD_TOO_LARGE', async () => {
    const x = Array.from({ length: 5000 }, (_, i) => [i, i + 1, i + 2]);
    const res = await post('/v1/jobs', { ...irisSpec, data: { inline: { x, y: x.map(() => 0) } } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('Idempotency-Key: same body → the same job (200); another body → 409', async () => {
    const key = `k-${Math.random()}`;
    const a = await post('/v1/jobs', irisSpec, { 'idempotency-key': key });
    expect(a.statusCode).toBe(201);
    const b = await post('/v1/jobs', irisSpec, { 'idempotency-key': key });
    expect(b.statusCode).toBe(200);
    expect(b.json().id).toBe(a.json().id);
    const c = await post('/v1/jobs', { ...irisSpec, training: { epochs: 6 } }, { 'idempotency-key': key });
    expectProblem(c, 409, 'CONFLICT');
    // Concurrent duplicates create one job.
    const key2 = `k2-${Math.random()}`;
    const many = await Promise.all(
      Array.from({ length: 5 }, () => post('/v1/jobs', irisSpec, { 'idempotency-key': key2 })),
    );
    expect(new Set(many.map((r) => r.json().id)).size).toBe(1);
    expect(many.filter((r) => r.statusCode === 201)).toHaveLength(1);
  });

  test('an unknown datasetId → 400 at /data/datasetId', async () => {
    const res = await post('/v1/jobs', { ...irisSpec, data: { datasetId: 'ds_doesnotexist' } });
    const p = expectProblem(res, 400, 'VALIDATION_ERROR');
    expect(p.errors![0].path).toBe('/data/datasetId');
  });
});

describe('POST /v1/jobs/validate', () => {
  test('returns the normalized spec and an estimate; creates nothing', async () => {
    const before = (await t.app.inject({ url: '/v1/jobs?limit=100' })).json().data.length;
    const res = await post('/v1/jobs/validate', irisSpec);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.valid).toBe(true);
    expect(body.spec.training.batchSize).toBe(16);
    // 4·8+8 + 8·3+3 = 67 parameters; 150 rows / 16 = 10 steps per epoch.
    expect(body.estimate).toMatchObject({ parameters: 67, stepsPerEpoch: 10, totalSteps: 50 });
    expect(body.estimate.bytes).toBeGreaterThan(0);
    const after = (await t.app.inject({ url: '/v1/jobs?limit=100' })).json().data.length;
    expect(after).toBe(before);
  });

  test('invalid spec → 400 with paths', async () => {
    const p = expectProblem(
      await post('/v1/jobs/validate', { ...irisSpec, loss: 'hinge' }),
      400,
      'VALIDATION_ERROR',
    );
    expect(p.errors![0].path).toBe('/loss');
  });
});

describe('GET /v1/jobs and /v1/jobs/{id}', () => {
  test('lists newest first with cursor pages and a status filter', async () => {
    const t2 = await makeTestApp(redis.url, 'api-list');
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++)
        ids.push((await t2.app.inject({ method: 'POST', url: '/v1/jobs', payload: irisSpec })).json().id);
      await t2.deps.jobs.requestCancel(ids[2]);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { data: { id: string }[]; hasMore: boolean; nextCursor: string | null } = (
          await t2.app.inject({ url: `/v1/jobs?limit=3${after ? `&after=${after}` : ''}` })
        ).json();
        seen.push(...page.data.map((j: { id: string }) => j.id));
        expect(page.data.length).toBeLessThanOrEqual(3);
        if (!page.hasMore) {
          expect(page.nextCursor).toBeNull();
          break;
        }
        after = page.nextCursor;
      }
      expect(seen).toEqual([...ids].reverse());
      const cancelling = (await t2.app.inject({ url: '/v1/jobs?status=cancelling' })).json();
      expect(cancelling.data.map((j: { id: string }) => j.id)).toEqual([ids[2]]);
      const queued = (await t2.app.inject({ url: '/v1/jobs?status=queued&limit=100' })).json();
      expect(queued.data).toHaveLength(6);
    } finally {
      await t2.close();
    }
  });

  test('bad query → 400; unknown id → 404', async () => {
    expectProblem(await t.app.inject({ url: '/v1/jobs?limit=0' }), 400, 'VALIDATION_ERROR');
    expectProblem(await t.app.inject({ url: '/v1/jobs?status=done' }), 400, 'VALIDATION_ERROR');
    expectProblem(await t.app.inject({ url: '/v1/jobs/job_0000000000000000000000' }), 404, 'NOT_FOUND');
    expectProblem(await t.app.inject({ url: '/v1/nothing-here' }), 404, 'NOT_FOUND');
  });

  test('get returns the job', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    const res = await t.app.inject({ url: `/v1/jobs/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(id);
  });
});

describe('POST /v1/jobs/{id}/cancel', () => {
  test('a queued job is cancelled at once, idempotently; unknown → 404', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    const a = await post(`/v1/jobs/${id}/cancel`, {});
    expect(a.statusCode).toBe(200);
    expect(a.json().status).toBe('cancelled');
    expect(a.json().finishedAt).not.toBeNull();
    const b = await post(`/v1/jobs/${id}/cancel`, {});
    expect(b.json().status).toBe('cancelled');
    expectProblem(await post('/v1/jobs/job_0000000000000000000000/cancel', {}), 404, 'NOT_FOUND');
  });

  test('a running job goes to cancelling and its cancel is published', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    // Play a worker: take the job out of the queue and start it.
    await t.deps.redis.del(`${t.cfg.prefix}:${t.cfg.queueName}:wait`);
    const sub = t.deps.redis.duplicate({ enableOfflineQueue: true });
    const got = new Promise<string>((resolve) => sub.on('message', (_c, m) => resolve(m)));
    await sub.subscribe(t.deps.keys.cancelChannel);
    await t.deps.jobs.start(id);
    await t.deps.redis.set(`${t.cfg.prefix}:${t.cfg.queueName}:${id}:lock`, 'token');
    const res = await post(`/v1/jobs/${id}/cancel`, {});
    expect(res.json().status).toBe('cancelling');
    expect(await got).toBe(id);
    sub.disconnect();
  });

  test('cancelling a finished job returns it unchanged', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    await simulateRun(t.deps, id);
    const res = await post(`/v1/jobs/${id}/cancel`, {});
    expect(res.json().status).toBe('succeeded');
  });
});

describe('GET /v1/jobs/{id}/events (JSON pages and SSE)', () => {
  test('JSON pages share the stream id as cursor', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    await simulateRun(t.deps, id, { steps: 6, perEpoch: 3 });
    const all = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=1000` })).json();
    expect(all.hasMore).toBe(false);
    const types = all.data.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('status');
    expect(types.at(-1)).toBe('end');
    const p1 = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=4` })).json();
    expect(p1.hasMore).toBe(true);
    const p2 = (await t.app.inject({ url: `/v1/jobs/${id}/events?limit=4&after=${p1.nextCursor}` })).json();
    expect([...p1.data, ...p2.data].map((e: { id: string }) => e.id)).toEqual(
      all.data.slice(0, 8).map((e: { id: string }) => e.id),
    );
  });

  test('SSE of a finished job replays through end and closes; Last-Event-ID resumes after it', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    await simulateRun(t.deps, id, { steps: 4, perEpoch: 2 });
    const res = await t.app.inject({
      url: `/v1/jobs/${id}/events`,
      headers: { accept: 'text/event-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['cache-control']).toMatch(/no-cache/);
    const ids = [...res.body.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    const names = [...res.body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(names.at(-1)).toBe('end');
    const resumed = await t.app.inject({
      url: `/v1/jobs/${id}/events`,
      headers: { accept: 'text/event-stream', 'last-event-id': ids[3] },
    });
    expect([...resumed.body.matchAll(/^id: (.+)$/gm)].map((m) => m[1])).toEqual(ids.slice(4));
  });

  test('unknown job → 404 problem before any SSE header; bad cursors → 400', async () => {
    const res = await t.app.inject({
      url: '/v1/jobs/job_0000000000000000000000/events',
      headers: { accept: 'text/event-stream' },
    });
    expectProblem(res, 404, 'NOT_FOUND');
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    expectProblem(await t.app.inject({ url: `/v1/jobs/${id}/events?after=nope` }), 400, 'VALIDATION_ERROR');
    expectProblem(
      await t.app.inject({
        url: `/v1/jobs/${id}/events`,
        headers: { accept: 'text/event-stream', 'last-event-id': 'x' },
      }),
      400,
      'VALIDATION_ERROR',
    );
  });
});

describe('GET /v1/jobs/{id}/metrics', () => {
  test('columnar history with maxPoints downsampling (first and last kept)', async () => {
    const id = (await post('/v1/jobs', irisSpec)).json().id;
    await simulateRun(t.deps, id, { steps: 50, perEpoch: 10 });
    const full = (await t.app.inject({ url: `/v1/jobs/${id}/metrics` })).json();
    expect(full.total).toBe(50);
    expect(full.step).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const col of ['epoch', 'loss', 'lr', 'gradNorm', 'valLoss', 'time'])
      expect(full[col]).toHaveLength(50);
    expect(full.valLoss[0]).toBeNull();
    expect(full.valLoss[10]).toBeCloseTo(2 / 10);
    expect(full.epochs.epoch).toEqual([1, 2, 3, 4, 5]);
    expect(full.epochs.metrics.accuracy).toHaveLength(5);
    const small = (await t.app.inject({ url: `/v1/jobs/${id}/metrics?maxPoints=5` })).json();
    expect(small.points).toBe(5);
    expect(small.step[0]).toBe(1);
    expect(small.step.at(-1)).toBe(50);
    expect(small.step).toEqual([...small.step].sort((a: number, b: number) => a - b));
    expectProblem(await t.app.inject({ url: `/v1/jobs/${id}/metrics?maxPoints=1` }), 400, 'VALIDATION_ERROR');
    expectProblem(
      await t.app.inject({ url: '/v1/jobs/job_0000000000000000000000/metrics' }),
      404,
      'NOT_FOUND',
    );
  });
});

test('GET /v1/jobs?after=garbage (a malformed cursor) is a 400 naming the parameter (issue 10.7)', async () => {
  const res = await t.app.inject({ url: '/v1/jobs?after=garbage' });
  expect(res.statusCode, res.body).toBe(400);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(JSON.stringify(res.json().errors)).toContain('after');
});

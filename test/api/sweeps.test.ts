/**
 * The sweep routes on a real redis-server, without workers (issue 13, acceptance 5 and the
 * service contract): creating a sweep validates every trial and queues the first
 * maxConcurrentTrials trial jobs; the sweep, its leaderboard, its events, the list, cancel and
 * validate answer what the OpenAPI document says; bad input is a 400 problem+json naming the path;
 * another tenant sees 404; a sweep counts against the job cap. An ASHA sweep driven here by
 * hand (each trial's segment started and paused as a worker would) promotes, stops and ends.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { buildApp } from '../../src/api/app.js';
import { validateInjectedResponses } from '../helpers/openapi-validator.js';
import { parseApiKeys } from '../../src/queue/config.js';
import { trialJobId } from '../../src/queue/ids.js';

let redis: TestRedis;
let t: TestApp;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'sweeps-api');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const spec = {
  model: { type: 'mlp', hidden: [8], activation: 'relu' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0 },
  training: { epochs: 4, batchSize: 16, validationSplit: 0.2, seed: 0 },
};
const grid = {
  spec,
  space: { 'optimizer.lr': { grid: [0.01, 0.1] }, 'optimizer.momentum': { grid: [0, 0.9] } },
  searcher: { type: 'grid' },
  maxConcurrentTrials: 2,
};

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies */
const post = (app: FastifyInstance, url: string, payload: unknown, headers = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

test('a grid sweep: trial jobs queued up to maxConcurrentTrials, leaderboard, events, list, cancel', async () => {
  const res = await post(t.app, '/v1/sweeps', grid);
  expect(res.statusCode, res.body).toBe(201);
  const sw = res.json();
  expect(res.headers.location).toBe(`/v1/sweeps/${sw.id}`);
  expect(sw).toMatchObject({
    object: 'sweep',
    status: 'running',
    metric: 'valLoss',
    mode: 'min',
    rungs: [4],
  });
  expect(sw.counts.total).toBe(4);
  expect(sw.budget).toEqual({ epochsUsed: 0, epochsMax: 16 });

  const trials = (await t.app.inject({ url: `/v1/sweeps/${sw.id}/trials` })).json().data as any[];
  expect(
    trials.map((x) => x.params).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  ).toEqual(
    [
      { 'optimizer.lr': 0.01, 'optimizer.momentum': 0 },
      { 'optimizer.lr': 0.01, 'optimizer.momentum': 0.9 },
      { 'optimizer.lr': 0.1, 'optimizer.momentum': 0 },
      { 'optimizer.lr': 0.1, 'optimizer.momentum': 0.9 },
    ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
  const launched = trials.filter((x) => x.jobId);
  expect(launched).toHaveLength(2);
  for (const tr of launched) {
    const job = (await t.app.inject({ url: `/v1/jobs/${tr.jobId}` })).json();
    expect(job).toMatchObject({ status: 'queued', sweepId: sw.id, trialId: tr.trialId });
    expect(job.spec.optimizer.lr).toBe(tr.params['optimizer.lr']);
    expect(job.spec.optimizer.momentum).toBe(tr.params['optimizer.momentum']);
  }

  const events = (await t.app.inject({ url: `/v1/sweeps/${sw.id}/events` })).json();
  expect(events.data.length).toBeGreaterThan(0);
  expect(events.data[0].sweepId).toBe(sw.id);

  const list = (await t.app.inject({ url: '/v1/sweeps?limit=100' })).json();
  expect(list.data.map((s: any) => s.id)).toContain(sw.id);

  const cancelled = await post(t.app, `/v1/sweeps/${sw.id}/cancel`, undefined);
  expect(cancelled.statusCode, cancelled.body).toBe(200);
  expect(cancelled.json().status).toBe('cancelled');
  for (const tr of launched)
    expect((await t.app.inject({ url: `/v1/jobs/${tr.jobId}` })).json().status).toBe('cancelled');
  // Idempotent, and nothing launched after the cancel.
  expect((await post(t.app, `/v1/sweeps/${sw.id}/cancel`, undefined)).json().status).toBe('cancelled');
  const after = (await t.app.inject({ url: `/v1/sweeps/${sw.id}/trials` })).json().data as any[];
  expect(after.filter((x) => x.jobId)).toHaveLength(2);
  const ended = (await t.app.inject({ url: `/v1/sweeps/${sw.id}/events?limit=1000` })).json().data as any[];
  expect(ended.at(-1)).toMatchObject({ type: 'end', status: 'cancelled' });
  // An SSE client of a finished sweep gets its history and the stream closes after `end`.
  const sse = await t.app.inject({
    url: `/v1/sweeps/${sw.id}/events`,
    headers: { accept: 'text/event-stream' },
  });
  expect(sse.statusCode).toBe(200);
  expect(sse.body).toContain('event: end');
});

test('Idempotency-Key: a retried create is the same sweep (200), no second set of trials; another body → 409', async () => {
  const key = { 'idempotency-key': 'sweep-retry-1' };
  const first = await post(t.app, '/v1/sweeps', grid, key);
  expect(first.statusCode, first.body).toBe(201);
  const again = await post(t.app, '/v1/sweeps', grid, key);
  expect(again.statusCode, again.body).toBe(200);
  expect(again.json().id).toBe(first.json().id);
  expect(again.headers.location).toBeUndefined();
  const list = (await t.app.inject({ url: '/v1/sweeps?limit=100' })).json().data as any[];
  expect(list.filter((s) => s.id === first.json().id)).toHaveLength(1);
  const other = await post(t.app, '/v1/sweeps', { ...grid, seed: 99 }, key);
  expect(other.statusCode).toBe(409);
  expect(other.json().detail).toContain(`sweep ${first.json().id}`);
  // Sweeps keep their keys apart from jobs': the same key makes a job.
  const job = await post(t.app, '/v1/jobs', spec, key);
  expect(job.statusCode, job.body).toBe(201);
  await post(t.app, `/v1/sweeps/${first.json().id}/cancel`, {});
});

test('POST /v1/sweeps/validate: trials, rungs and the worst-case epochs; nothing is created', async () => {
  const res = await post(t.app, '/v1/sweeps/validate', grid);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ trials: 4, epochsMax: 16, rungs: [4] });
  const asha = await post(t.app, '/v1/sweeps/validate', {
    ...grid,
    space: { 'optimizer.lr': { logUniform: [0.001, 1] } },
    searcher: { type: 'asha', trials: 27, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 },
  });
  expect(asha.statusCode, asha.body).toBe(200);
  expect(asha.json().trials).toBe(27);
  expect(asha.json().rungs).toEqual([1, 3, 9]);
});

describe('bad input is a 400 problem+json naming the path', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'an unknown path',
      { ...grid, space: { 'optimizer.nope': { grid: [1, 2] } } },
      /^\/space\/optimizer\.nope/,
    ],
    [
      'an empty choice',
      { ...grid, searcher: { type: 'random', trials: 2 }, space: { 'optimizer.lr': { choice: [] } } },
      /^\/space\/optimizer\.lr/,
    ],
    [
      'a logUniform bound ≤ 0',
      { ...grid, searcher: { type: 'random', trials: 2 }, space: { 'optimizer.lr': { logUniform: [0, 1] } } },
      /^\/space\/optimizer\.lr/,
    ],
    [
      'trials above the limit',
      {
        ...grid,
        searcher: { type: 'random', trials: 100_000 },
        space: { 'optimizer.lr': { uniform: [0.01, 0.1] } },
      },
      /^\/searcher\/trials/,
    ],
    [
      'a grid that explodes',
      {
        ...grid,
        space: Object.fromEntries(
          ['lr', 'momentum', 'dampening', 'weightDecay'].map((k) => [
            `optimizer.${k}`,
            { grid: Array.from({ length: 10 }, (_, i) => i / 100) },
          ]),
        ),
      },
      /^\/(space|searcher)/,
    ],
    [
      'a value the JobSpec refuses',
      { ...grid, space: { 'optimizer.lr': { grid: [0.1, -5] } } },
      /^\/space\/optimizer\.lr/,
    ],
  ];
  for (const [what, body, path] of cases)
    test(what, async () => {
      const res = await post(t.app, '/v1/sweeps', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const p = res.json();
      expect(p.code).toBe('VALIDATION_ERROR');
      expect(p.errors.map((e: any) => e.path).join(' '), res.body).toMatch(path);
      // Refused before anything is queued: /validate answers the same.
      expect((await post(t.app, '/v1/sweeps/validate', body)).statusCode).toBe(400);
    });
});

test('tenancy: another tenant’s sweep answers 404 on every route, as a missing one', async () => {
  const keyed = await makeTestApp(redis.url, 'sweeps-tenancy', {
    cfg: { apiKeys: parseApiKeys('alice:key-alice-0123456789abcdef,bob:key-bob-0123456789abcdef0') },
  });
  try {
    const A = { authorization: 'Bearer key-alice-0123456789abcdef' };
    const B = { authorization: 'Bearer key-bob-0123456789abcdef0' };
    const created = await post(keyed.app, '/v1/sweeps', grid, A);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    for (const url of [`/v1/sweeps/${id}`, `/v1/sweeps/${id}/trials`, `/v1/sweeps/${id}/events`]) {
      expect((await keyed.app.inject({ url, headers: B })).statusCode, url).toBe(404);
      expect((await keyed.app.inject({ url, headers: A })).statusCode, url).toBe(200);
    }
    expect((await post(keyed.app, `/v1/sweeps/${id}/cancel`, undefined, B)).statusCode).toBe(404);
    expect((await keyed.app.inject({ url: '/v1/sweeps', headers: B })).json().data).toEqual([]);
    const trial = trialJobId(id, 0);
    expect((await keyed.app.inject({ url: `/v1/jobs/${trial}`, headers: B })).statusCode).toBe(404);
    expect((await keyed.app.inject({ url: `/v1/jobs/${trial}`, headers: A })).statusCode).toBe(200);
    expect((await keyed.app.inject({ url: '/v1/sweeps' })).statusCode).toBe(401);
    await post(keyed.app, `/v1/sweeps/${id}/cancel`, undefined, A);
  } finally {
    await keyed.close();
  }
});

test('job cap: a sweep needs maxConcurrentTrials free slots, and its trials hold them', async () => {
  const capped = await makeTestApp(redis.url, 'sweeps-cap');
  const app = await buildApp(capped.deps, {
    security: { rateLimit: null, maxActiveJobs: 3, jobCapRetrySeconds: 7 },
  });
  await app.ready();
  validateInjectedResponses(app);
  try {
    const tooMany = await post(app, '/v1/sweeps', { ...grid, maxConcurrentTrials: 4 });
    expect(tooMany.statusCode, tooMany.body).toBe(429);
    expect(tooMany.headers['retry-after']).toBe('7');
    expect(tooMany.json().detail).toMatch(/maxConcurrentTrials 4/);
    const ok = await post(app, '/v1/sweeps', grid);
    expect(ok.statusCode, ok.body).toBe(201);
    // Its 2 queued trials hold 2 of the 3 slots: one job fits, a second does not.
    const job = { ...spec, training: { ...spec.training, epochs: 1 } };
    expect((await post(app, '/v1/jobs', job)).statusCode).toBe(201);
    expect((await post(app, '/v1/jobs', job)).statusCode).toBe(429);
  } finally {
    await app.close();
    await capped.close();
  }
});

test('ASHA driven by hand: segments pause, the best are promoted and resume, the rest stop, the sweep ends', async () => {
  const res = await post(t.app, '/v1/sweeps', {
    spec,
    space: { 'optimizer.lr': { logUniform: [0.001, 1] } },
    searcher: { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 },
    maxConcurrentTrials: 3,
    seed: 5,
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  const { jobs } = t.deps;
  // A stand-in worker: take every queued trial job, "train" its segment (valLoss from its lr,
  // best near lr = 0.05), pause it (or succeed at the last rung), and tell the sweep.
  for (let round = 0; round < 200; round++) {
    const sw = (await t.app.inject({ url: `/v1/sweeps/${id}` })).json();
    if (sw.status !== 'running') break;
    const rows = (await t.app.inject({ url: `/v1/sweeps/${id}/trials` })).json().data as any[];
    for (const row of rows.filter((x) => x.jobId)) {
      const h = (await jobs.getHash(row.jobId))!;
      if (h.status !== 'queued') continue;
      const { attempt } = await jobs.start(row.jobId, 'w_hand');
      const until = Number(h.untilEpoch);
      const lr = row.params['optimizer.lr'] as number;
      const result = {
        loss: 1,
        valLoss: Math.abs(Math.log(lr / 0.05)) + 1 / until,
        metrics: {},
        parameters: 67,
        durationMs: 1,
        epochs: until,
      };
      const weights = Buffer.from(`weights of ${row.jobId} at ${until}`);
      if (until < 9) await jobs.pause(row.jobId, attempt, { result, weights, weightsSha256: 'x' });
      else await jobs.finish(row.jobId, attempt, 'succeeded', { result, weights, weightsSha256: 'x' });
      await t.deps.sweepExec.reconcile(id);
    }
  }
  const sw = (await t.app.inject({ url: `/v1/sweeps/${id}` })).json();
  expect(sw.status).toBe('succeeded');
  expect(sw.counts.total).toBe(9);
  expect(sw.counts.stopped + sw.counts.succeeded).toBe(9);
  expect(sw.counts.succeeded).toBeGreaterThanOrEqual(1);
  expect(sw.budget.epochsUsed).toBeLessThan(9 * 9);
  const rows = (await t.app.inject({ url: `/v1/sweeps/${id}/trials` })).json().data as any[];
  // Best first; the best trial trained the most.
  expect(rows[0].trialId).toBe(sw.best.trialId);
  expect(rows[0].epochs).toBe(9);
  for (const row of rows) {
    const job = (await t.app.inject({ url: `/v1/jobs/${row.jobId}` })).json();
    expect(job.status, row.jobId).toBe('succeeded');
    expect(job.result.epochs).toBe(row.epochs);
    const events = (await t.app.inject({ url: `/v1/jobs/${row.jobId}/events?limit=1000` })).json()
      .data as any[];
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  }
  const ev = (await t.app.inject({ url: `/v1/sweeps/${id}/events?limit=1000` })).json().data as any[];
  expect(ev.filter((e) => e.type === 'rung').length).toBeGreaterThanOrEqual(9);
  expect(ev.some((e) => e.type === 'best')).toBe(true);
  expect(ev.at(-1)).toMatchObject({ type: 'end', status: 'succeeded' });
});

test('a sweep whose API process died right after deciding is carried out by the next reconcile', async () => {
  // What POST /v1/sweeps stores before it acts: the sweep and its first decision (one MULTI).
  // Then the process "dies": nothing is executed. Any other process's reconcile finishes the job.
  const { planSweep } = await import('../../src/sweep/plan.js');
  const { startScheduler } = await import('../../src/sweep/scheduler.js');
  const { createSweepRequestSchema } = await import('../../src/contracts/sweep.js');
  const { DEFAULT_LIMITS } = await import('../../src/contracts/limits.js');
  const { createSweepStore } = await import('../../src/queue/sweep-store.js');
  const { createSweepExecutor } = await import('../../src/queue/sweep-executor.js');
  const { sweepScheduler } = await import('../../src/queue/sweep-scheduler.js');
  const request = createSweepRequestSchema(DEFAULT_LIMITS).parse(grid);
  const planned = planSweep(request, DEFAULT_LIMITS);
  if (!planned.ok) throw new Error(JSON.stringify(planned.issues));
  const first = startScheduler(planned.plan);
  const id = 'swp_0mxdiedafterdecide00001';
  // An executor whose queue never answers stands in for the process that died mid-way.
  const dying = createSweepExecutor({
    ...t.deps,
    queue: { enqueue: () => new Promise(() => {}), removeWaiting: async () => 1 },
    scheduler: sweepScheduler,
  });
  void dying.begin(
    {
      id,
      tenant: 'default',
      request: { ...request, metric: planned.plan.metric, mode: planned.plan.mode },
      rungs: planned.plan.rungs,
      epochsMax: planned.plan.epochsMax,
      params: planned.plan.trials.map((x) => x.params),
      specs: planned.plan.trials.map((x) => x.spec),
    },
    first,
  );
  const sweeps = createSweepStore(t.deps.redis, t.deps.keys, t.cfg);
  for (let i = 0; i < 100 && (await sweeps.get(id)) === null; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect((await sweeps.pending(id)).length).toBe(2);
  // The next process (a worker's timer, or the API at its start) reconciles every active sweep.
  await t.deps.sweepExec.reconcileAll();
  expect(await sweeps.pending(id)).toEqual([]);
  const rows = (await t.app.inject({ url: `/v1/sweeps/${id}/trials` })).json().data as any[];
  const launched = rows.filter((x) => x.jobId);
  expect(launched).toHaveLength(2);
  for (const row of launched)
    expect((await t.app.inject({ url: `/v1/jobs/${row.jobId}` })).json().status).toBe('queued');
  const cancelled = await post(t.app, `/v1/sweeps/${id}/cancel`, undefined);
  expect(cancelled.json().status).toBe('cancelled');
});

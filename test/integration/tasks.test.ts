/**
 * The minimize and reinforce tasks through the real worker path (sandboxed processor, real
 * runners): events, result, weights, and JSON-safe checkpoints.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'tasks', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

async function run(spec: unknown) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec as object });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  for (let i = 0; i < 800; i++) {
    const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('job did not finish');
}

test('minimize: Himmelblau from (1, 1) with Newton reaches a minimum; the point is the weights', async () => {
  const job = await run({
    task: 'minimize',
    objective: { builtin: 'himmelblau' },
    start: { x: 1, y: 1 },
    steps: 30,
    optimizer: { type: 'newton' },
  });
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  expect(job.result.loss).toBeLessThan(1e-8);
  expect(job.result.classification).toBe('minimum');
  const w = (await t.app.inject({ url: `/v1/jobs/${job.id}/weights` })).json();
  expect(w.weights.x).toBeCloseTo(3, 6);
  expect(w.weights.y).toBeCloseTo(2, 6);
  const events = (await t.app.inject({ url: `/v1/jobs/${job.id}/events?limit=1000` })).json().data;
  const progress = events.filter((e: { type: string }) => e.type === 'progress');
  expect(progress.length).toBeGreaterThan(0);
  expect(progress[0].point).toEqual({ x: 1, y: 1 });
  expect(events.at(-1).type).toBe('end');
});

test('reinforce: a bandit policy trains and its network is the weights', async () => {
  const job = await run({
    task: 'reinforce',
    env: { type: 'bandit', arms: 3 },
    episodes: 200,
    policy: { hidden: [4] },
    optimizer: { type: 'adam', lr: 0.05 },
  });
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  expect(job.result.steps).toBe(200);
  expect(typeof job.result.metrics.meanReturn100).toBe('number');
  const w = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
  expect(w.statusCode).toBe(200);
  const events = (await t.app.inject({ url: `/v1/jobs/${job.id}/events?limit=1000` })).json().data;
  const progress = events.filter((e: { type: string }) => e.type === 'progress');
  expect(progress.length).toBeGreaterThan(0);
  expect(typeof progress[0].return).toBe('number');
  // /predict on a policy returns its action probabilities for an observation
  const p = await t.app.inject({
    method: 'POST',
    url: `/v1/jobs/${job.id}/predict`,
    payload: { inputs: [[0]] },
  });
  expect(p.statusCode, p.body).toBe(200);
  const probs = p.json().outputs[0] as number[];
  expect(probs).toHaveLength(3);
  expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  expect(p.json().classes).toHaveLength(1);
});

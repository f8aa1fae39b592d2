/**
 * No numerical drift through the service: a job with inline data, init.weights, float64, full
 * batch and no shuffling, trained by a real worker (sandboxed processor, real trainer), returns
 * the weights of PyTorch's trajectory (test/golden/fixtures/optim.json, made by
 * scripts/fixtures/optim_fixtures.py) to 1e-10.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

interface Trajectory {
  name: string;
  type: string;
  hp: Record<string, unknown>;
  dtype: string;
  steps: number;
  params: number[][][];
  schedule?: unknown;
}
const fixture = JSON.parse(
  readFileSync(new URL('../golden/fixtures/optim.json', import.meta.url), 'utf8'),
) as {
  problem: { x: number[][]; y: number[][]; paramNames: string[]; shapes: number[][]; initial: number[][] };
  trajectories: Trajectory[];
};
const P = fixture.problem;
const f32 = (a: number[][]) => a.map((r) => r.map((v) => Math.fround(v)));

/** Flat row-major values → nested arrays of `shape`. */
function nested(flat: number[], shape: number[]): unknown {
  if (shape.length === 1) return flat.map((v) => Math.fround(v));
  const [rows, cols] = shape;
  return Array.from({ length: rows }, (_, i) =>
    flat.slice(i * cols, (i + 1) * cols).map((v) => Math.fround(v)),
  );
}

const CASES = [
  'sgd_plain',
  'sgd_nesterov',
  'adagrad_default',
  'rmsprop_centered_momentum',
  'adam_default',
  'adamw_default',
];

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'no-drift', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});

afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

test.each(CASES)('%s: service weights equal the PyTorch trajectory (≤ 1e-10)', async (name) => {
  const traj = fixture.trajectories.find((x) => x.name === name)!;
  expect(traj.dtype).toBe('float64');
  const init: Record<string, unknown> = {};
  P.paramNames.forEach((n, i) => (init[n] = nested(P.initial[i], P.shapes[i])));
  // Inputs were float32 values in torch: send them exactly (fround), then train in float64.
  const spec = {
    model: { type: 'mlp', hidden: [4], activation: 'tanh' },
    data: { inline: { x: f32(P.x), y: f32(P.y) } },
    loss: 'mse',
    optimizer: { type: traj.type, ...traj.hp },
    training: { epochs: traj.steps, batchSize: 'full', shuffle: false, dtype: 'float64', validationSplit: 0 },
    init: { weights: init },
  };
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id;
  let job;
  for (let i = 0; i < 600; i++) {
    job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  const w = (await t.app.inject({ url: `/v1/jobs/${id}/weights` })).json();
  expect(w.dtype).toBe('float64');
  const expected = traj.params[traj.steps - 1];
  let maxErr = 0;
  P.paramNames.forEach((n, i) => {
    const got = (w.weights[n] as number[] | number[][]).flat();
    expect(got).toHaveLength(expected[i].length);
    got.forEach((v, j) => (maxErr = Math.max(maxErr, Math.abs(v - expected[i][j]))));
  });
  console.log(`${name}: max |service − torch| = ${maxErr.toExponential(2)}`);
  expect(maxErr).toBeLessThanOrEqual(1e-10);
});

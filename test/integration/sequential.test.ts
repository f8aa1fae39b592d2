/**
 * A sequential job with dropout through the real worker path (sandboxed processor, Redis): it
 * trains to the weights of an in-process run bit for bit, its weights download as JSON and
 * safetensors under torch.nn.Sequential names, and /predict and /gradients answer in eval mode.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { bitDifferences, referenceWeights } from '../helpers/optimizer-jobs.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'sequential', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

const SPEC = {
  model: {
    type: 'sequential',
    input: [2, 2],
    layers: [
      { type: 'linear', out: 8 },
      { type: 'relu' },
      { type: 'flatten' },
      { type: 'dropout', p: 0.2 },
      { type: 'linear' },
    ],
  },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.02 },
  training: { epochs: 20, batchSize: 16, seed: 7, validationSplit: 0.2 },
};

async function run(spec: unknown) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec as object });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  for (let i = 0; i < 1200; i++) {
    const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('job did not finish');
}

test('a sequential job with dropout trains, matches an in-process run bit for bit, and predicts', async () => {
  const job = await run(SPEC);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  expect(job.result.metrics.accuracy).toBeGreaterThan(0.6);

  const bin = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
  expect(bin.statusCode).toBe(200);
  expect(bitDifferences(bin.rawPayload, await referenceWeights(SPEC))).toEqual([]);

  const json = (await t.app.inject({ url: `/v1/jobs/${job.id}/weights` })).json();
  expect(json.shapes).toEqual({ '0.weight': [8, 2], '0.bias': [8], '4.weight': [3, 16], '4.bias': [3] });

  const inputs = [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ];
  const p = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/predict`, payload: { inputs } });
  expect(p.statusCode, p.body).toBe(200);
  const outputs = p.json().outputs as number[][];
  expect(outputs).toHaveLength(2);
  for (const row of outputs) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  // Eval mode: dropout is off, so the same inputs give the same outputs.
  const again = await t.app.inject({
    method: 'POST',
    url: `/v1/jobs/${job.id}/predict`,
    payload: { inputs },
  });
  expect(again.json().outputs).toEqual(outputs);

  const g = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/gradients`, payload: { inputs } });
  expect(g.statusCode, g.body).toBe(200);
  const jac = g.json().jacobian as number[][][];
  expect(jac).toHaveLength(2);
  expect(jac[0]).toHaveLength(3);
  expect(jac[0][0]).toHaveLength(4);

  const wrong = await t.app.inject({
    method: 'POST',
    url: `/v1/jobs/${job.id}/predict`,
    payload: { inputs: [[1, 2, 3]] },
  });
  expect(wrong.statusCode).toBe(400);
  expect(wrong.json().errors[0]).toEqual({
    path: '/inputs/0',
    message: 'expected 4 finite numbers, got 3',
  });
});

test('batchnorm: running statistics come back in the weights (num_batches_tracked as I64), bit for bit', async () => {
  const spec = {
    ...SPEC,
    model: {
      type: 'sequential',
      input: [4],
      layers: [{ type: 'linear', out: 6 }, { type: 'batchnorm1d' }, { type: 'relu' }, { type: 'linear' }],
    },
    training: { epochs: 5, batchSize: 30, seed: 1 },
  };
  const job = await run(spec);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  const bin = await t.app.inject({ url: `/v1/jobs/${job.id}/weights?format=safetensors` });
  const ref = await referenceWeights(spec);
  expect(Object.keys(ref)).toContain('1.num_batches_tracked');
  expect(Array.from(ref['1.num_batches_tracked'].data)).toEqual([25]); // 5 epochs × 5 batches
  expect(bitDifferences(bin.rawPayload, ref)).toEqual([]);
  const json = (await t.app.inject({ url: `/v1/jobs/${job.id}/weights` })).json();
  expect(json.weights['1.num_batches_tracked']).toBe(25);
  const p = await t.app.inject({
    method: 'POST',
    url: `/v1/jobs/${job.id}/predict`,
    payload: { inputs: [[5.1, 3.5, 1.4, 0.2]] },
  });
  expect(p.statusCode, p.body).toBe(200);
});

/**
 * A typed upload end to end (real redis-server and worker): a CSV with a categorical feature, a
 * missing numeric value and a string target trains through the fitted preprocessing (one-hot,
 * mean imputation, classes in code-point order); /predict answers records with labels; /evaluate
 * scores the dataset itself.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

const COLORS = ['red', 'green', 'blue'];
const ROWS = Array.from({ length: 45 }, (_, i) => ({
  size: i % 9 === 4 ? '' : String((i % 5) + 1),
  color: COLORS[i % 3],
  kind: COLORS[i % 3] === 'red' ? 'fox' : i % 2 ? 'cat' : 'dog',
}));
const CSV = 'size,color,kind\n' + ROWS.map((r) => `${r.size},${r.color},${r.kind}`).join('\n') + '\n';

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object });

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'tables-typed', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
});
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

test('categorical feature, missing value and string target: trained, predicted by records, evaluated', async () => {
  const up = await t.app.inject({
    method: 'POST',
    url: '/v1/datasets?target=kind',
    headers: { 'content-type': 'text/csv' },
    payload: CSV,
  });
  expect(up.statusCode, up.body).toBe(201);
  const datasetId = up.json().id as string;
  const created = await post('/v1/jobs', {
    model: { type: 'linear' },
    data: { datasetId },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.1 },
    training: { epochs: 40, testSplit: 0.2, validationSplit: 0.2, seed: 5 },
    preprocess: { missing: 'mean' },
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  let job;
  for (let i = 0; i < 1200; i++) {
    job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  const p = job.result.preprocessing;
  expect(p.featureNames).toEqual(['size', 'color_blue', 'color_green', 'color_red']);
  expect(p.classes).toEqual(['cat', 'dog', 'fox']);
  expect(p.columns[0].fill).toBeTypeOf('number');
  expect(job.result.test.rows).toBe(9);
  expect(job.result.test.perClass.map((s: { label: string }) => s.label)).toEqual(['cat', 'dog', 'fox']);

  const pred = await post(`/v1/jobs/${id}/predict`, {
    records: [
      { size: 2, color: 'red' },
      { size: null, color: 'blue' },
    ],
  });
  expect(pred.statusCode, pred.body).toBe(200);
  expect(pred.json().labels).toEqual(pred.json().classes.map((c: number) => p.classes[c]));
  const unknown = await post(`/v1/jobs/${id}/predict`, { records: [{ size: 2, color: 'mauve' }] });
  expect(unknown.statusCode).toBe(400);
  expect(unknown.json().errors[0].path).toBe('/records/0/color');

  const byDataset = await post(`/v1/jobs/${id}/evaluate`, { datasetId });
  expect(byDataset.statusCode, byDataset.body).toBe(200);
  expect(byDataset.json().rows).toBe(45);
  const records = ROWS.map((r) => ({
    size: r.size === '' ? null : Number(r.size),
    color: r.color,
    kind: r.kind,
  }));
  const byRecords = await post(`/v1/jobs/${id}/evaluate`, { records });
  expect(byRecords.statusCode, byRecords.body).toBe(200);
  expect(byRecords.json().confusionMatrix).toEqual(byDataset.json().confusionMatrix);
}, 60_000);

test('data.features and data.target choose the columns; a name that is no column is a 400 naming it', async () => {
  const up = await t.app.inject({
    method: 'POST',
    url: '/v1/datasets?target=kind',
    headers: { 'content-type': 'text/csv' },
    payload: CSV,
  });
  const datasetId = up.json().id as string;
  const base = {
    model: { type: 'linear' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.1 },
    training: { epochs: 5, seed: 1 },
  };
  const bad = await post('/v1/jobs', { ...base, data: { datasetId, features: ['colour'] } });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().errors[0].path).toBe('/data/features/0');
  expect(bad.json().detail).toContain('"colour"');
  const badTarget = await post('/v1/jobs', { ...base, data: { datasetId, target: 'species' } });
  expect(badTarget.statusCode).toBe(400);
  expect(badTarget.json().errors[0].path).toBe('/data/target');

  const created = await post('/v1/jobs', { ...base, data: { datasetId, features: ['color'] } });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  let job;
  for (let i = 0; i < 1200; i++) {
    job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  expect(job.result.preprocessing.featureNames).toEqual(['color_blue', 'color_green', 'color_red']);
  // the target chosen by name: color from kind and size (the missing size filled)
  const other = await post('/v1/jobs', {
    ...base,
    data: { datasetId, target: 'color', features: ['size', 'kind'] },
    preprocess: { missing: 'median' },
  });
  expect(other.statusCode, other.body).toBe(201);
}, 60_000);

/**
 * Records through a stored categorical fit (the form h-tables' typed uploads will train into):
 * one-hot columns at /predict, an unknown category refused naming column and value or encoded as
 * zeros with unknownCategory "ignore", `labels` from the job's class names, and class names as
 * /evaluate targets. The job is finished by hand with that `result.preprocessing`.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { predictWithModels } from '../../src/api/server.js';
import { encodeSafetensors, sha256Hex } from '../../src/queue/safetensors.js';
import type { PreprocessingResult } from '../../src/contracts/evaluation.js';

let redis: TestRedis;
let t: TestApp;

const CLASSES = ['cat', 'dog', 'fox'];
const fitted = (unknownCategory: 'error' | 'ignore'): PreprocessingResult => ({
  columns: [
    { name: 'age', type: 'numeric', missing: 'error', scaling: 'none' },
    {
      name: 'color',
      type: 'categorical',
      missing: 'error',
      encoding: 'onehot',
      categories: ['blue', 'green', 'red'],
    },
  ],
  unknownCategory,
  featureNames: ['age', 'color_blue', 'color_green', 'color_red'],
  fittedRows: 10,
  droppedRows: 0,
  classes: CLASSES,
  targets: ['kind'],
});

/** A succeeded cross_entropy job with 4 inputs, 3 classes and the given fit. */
async function finishedJob(preprocessing: PreprocessingResult): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'linear' },
      data: {
        inline: {
          x: [
            [0, 1, 0, 0],
            [1, 0, 1, 0],
            [2, 0, 0, 1],
          ],
          y: [0, 1, 2],
        },
      },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  const { attempt } = await t.deps.jobs.start(id);
  const weights = {
    weight: { shape: [3, 4], data: Float64Array.of(0.5, 2, -1, 0, -0.2, 0, 1.5, -1, 0.1, -1, 0, 2) },
    bias: { shape: [3], data: Float64Array.of(0.1, 0, -0.1) },
  };
  const bytes = encodeSafetensors(weights, { jobId: id });
  await t.deps.jobs.finish(id, attempt, 'succeeded', {
    result: { loss: 0.1, valLoss: null, metrics: {}, parameters: 15, durationMs: 5, preprocessing },
    weights: bytes,
    weightsSha256: sha256Hex(bytes),
  });
  return id;
}

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object });

let strict: string;
let lenient: string;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'tables-records', { predict: predictWithModels });
  strict = await finishedJob(fitted('error'));
  lenient = await finishedJob(fitted('ignore'));
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

test('records are one-hot encoded with the stored categories; labels name the classes', async () => {
  const records = [
    { age: 1, color: 'red' },
    { age: 3, color: 'blue' },
  ];
  const byRecords = await post(`/v1/jobs/${strict}/predict`, { records });
  const byInputs = await post(`/v1/jobs/${strict}/predict`, {
    inputs: [
      [1, 0, 0, 1],
      [3, 1, 0, 0],
    ],
  });
  expect(byRecords.statusCode, byRecords.body).toBe(200);
  expect(byRecords.json().outputs).toEqual(byInputs.json().outputs);
  const { classes, labels } = byRecords.json();
  expect(labels).toEqual(classes.map((c: number) => CLASSES[c]));
  expect(byInputs.json().labels).toEqual(labels);
});

test('an unknown category: 400 naming column and value at /records/{row}/{column}; "ignore" encodes zeros', async () => {
  const records = [
    { age: 1, color: 'red' },
    { age: 2, color: 'purple' },
  ];
  const refused = await post(`/v1/jobs/${strict}/predict`, { records });
  expect(refused.statusCode).toBe(400);
  expect(refused.json().errors[0].path).toBe('/records/1/color');
  expect(refused.json().detail).toContain('purple');
  expect(refused.json().detail).toContain('color');
  const ignored = await post(`/v1/jobs/${lenient}/predict`, { records });
  expect(ignored.statusCode, ignored.body).toBe(200);
  const zeros = await post(`/v1/jobs/${lenient}/predict`, {
    inputs: [
      [1, 0, 0, 1],
      [2, 0, 0, 0],
    ],
  });
  expect(ignored.json().outputs).toEqual(zeros.json().outputs);
});

test('/evaluate takes class names as targets (records and targets) and labels perClass', async () => {
  const records = [
    { age: 1, color: 'red', kind: 'fox' },
    { age: 3, color: 'blue', kind: 'cat' },
    { age: 0, color: 'green', kind: 'dog' },
  ];
  const byRecords = await post(`/v1/jobs/${strict}/evaluate`, { records });
  expect(byRecords.statusCode, byRecords.body).toBe(200);
  const inputs = [
    [1, 0, 0, 1],
    [3, 1, 0, 0],
    [0, 0, 1, 0],
  ];
  const byNames = await post(`/v1/jobs/${strict}/evaluate`, { inputs, targets: ['fox', 'cat', 'dog'] });
  const byIndex = await post(`/v1/jobs/${strict}/evaluate`, { inputs, targets: [2, 0, 1] });
  expect(byNames.json()).toEqual(byIndex.json());
  expect(byRecords.json()).toEqual(byIndex.json());
  expect(byIndex.json().perClass.map((s: { label: string }) => s.label)).toEqual(CLASSES);

  const unknown = await post(`/v1/jobs/${strict}/evaluate`, {
    records: [{ age: 1, color: 'red', kind: 'emu' }],
  });
  expect(unknown.statusCode).toBe(400);
  expect(unknown.json().errors[0].path).toBe('/records/0/kind');
  expect(unknown.json().detail).toContain('emu');
});

test('a body of neither form names the field it lacks (the branch whose keys were sent)', async () => {
  const noTargets = await post(`/v1/jobs/${strict}/evaluate`, { inputs: [[1, 0, 0, 1]] });
  expect(noTargets.statusCode).toBe(400);
  expect(noTargets.json().errors[0].path).toBe('/targets');
  const badRecords = await post(`/v1/jobs/${strict}/predict`, { records: [] });
  expect(badRecords.statusCode).toBe(400);
  expect(badRecords.json().errors[0].path).toBe('/records');
});

/**
 * Tables end to end over a real redis-server and worker (real trainer): an uploaded CSV trained
 * with `training.testSplit` and standardize; the job's result holds the fitted statistics and the
 * test / validation reports; /predict takes records; /evaluate scores a dataset, records or
 * inputs + targets with the numbers of the metrics module; bad input is a 400 naming the field.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { predictWithModels } from '../../src/api/server.js';
import { classificationMetrics } from '../../src/models/evaluation/report.js';

let redis: TestRedis;
let t: TestApp;
let worker: RunningWorker;

/** 60 rows: two numeric features on different scales and a 0/1 label. */
const ROWS = Array.from({ length: 60 }, (_, i) => {
  const a = i / 10;
  const b = 100 + ((i * 37) % 11) * 50;
  return { a, b, label: a + (b - 350) / 500 > 3 ? 1 : 0 };
});
const CSV = 'a,b,label\n' + ROWS.map((r) => `${r.a},${r.b},${r.label}`).join('\n') + '\n';

const spec = (
  datasetId: string,
  training: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  model: { type: 'linear' },
  data: { datasetId },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.1 },
  training: { epochs: 30, testSplit: 0.2, validationSplit: 0.25, seed: 3, ...training },
  preprocess: { numeric: 'standardize' },
  ...extra,
});

const post = (url: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url, payload: payload as object });

async function upload(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/datasets?target=label',
    headers: { 'content-type': 'text/csv' },
    payload: CSV,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function run(body: unknown) {
  const res = await post('/v1/jobs', body);
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  for (let i = 0; i < 1200; i++) {
    const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('job did not finish');
}

let datasetId: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let job: any;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'tables-evaluate', { predict: predictWithModels });
  worker = await startWorker(t.cfg, { backend: 'test', log: () => {} });
  datasetId = await upload();
  job = await run(spec(datasetId));
}, 60_000);
afterAll(async () => {
  await worker?.close(2000);
  await t?.close();
  await redis?.stop();
});

describe('test split and stored preprocessing', () => {
  test('60 rows: ⌈60·0.2⌉ = 12 test, ⌈60·0.25⌉ = 15 validation, the statistics fitted on the 33 training rows', () => {
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.result.test.rows).toBe(12);
    expect(job.result.validation.rows).toBe(15);
    expect(job.result.preprocessing.fittedRows).toBe(33);
    expect(job.result.preprocessing.featureNames).toEqual(['a', 'b']);
    expect(job.result.preprocessing.targets).toEqual(['label']);
    expect(Object.keys(job.result.test.metrics).sort()).toEqual(
      expect.arrayContaining(['accuracy', 'logLoss', 'macroF1', 'weightedF1']),
    );
    expect(job.result.test.confusionMatrix.flat().reduce((s: number, v: number) => s + v, 0)).toBe(12);
  });

  test('the same spec trains to the same test report and statistics; another seed holds out other rows', async () => {
    const again = await run(spec(datasetId));
    expect(again.result.test).toEqual(job.result.test);
    expect(again.result.preprocessing).toEqual(job.result.preprocessing);
    const other = await run(spec(datasetId, { seed: 4 }));
    expect(other.result.preprocessing.columns[0].mean).not.toBe(job.result.preprocessing.columns[0].mean);
  }, 60_000);
});

describe('/predict with records', () => {
  test('records are standardized with the stored statistics: same outputs as the inputs done by hand', async () => {
    const [ca, cb] = job.result.preprocessing.columns;
    const records = ROWS.slice(0, 5).map(({ a, b }) => ({ a, b }));
    const inputs = records.map((r) => [(r.a - ca.mean) / ca.std, (r.b - cb.mean) / cb.std]);
    const byRecords = await post(`/v1/jobs/${job.id}/predict`, { records });
    const byInputs = await post(`/v1/jobs/${job.id}/predict`, { inputs });
    expect(byRecords.statusCode, byRecords.body).toBe(200);
    expect(byRecords.json().classes).toEqual(byInputs.json().classes);
    byRecords
      .json()
      .outputs.forEach((row: number[], i: number) =>
        row.forEach((v, k) => expect(v).toBeCloseTo(byInputs.json().outputs[i][k], 12)),
      );
    const grads = await post(`/v1/jobs/${job.id}/gradients`, { records });
    expect(grads.statusCode, grads.body).toBe(200);
  });

  test('a record without a column or with a wrong type is a 400 pointing at /records/{row}/{column}', async () => {
    const missing = await post(`/v1/jobs/${job.id}/predict`, { records: [{ a: 1, b: 2 }, { a: 1 }] });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].path).toBe('/records/1/b');
    expect(missing.json().detail).toContain('"b"');
    const wrong = await post(`/v1/jobs/${job.id}/predict`, { records: [{ a: 'x', b: 2 }] });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0].path).toBe('/records/0/a');
    expect(wrong.json().detail).toContain('"x"');
  });

  test('records for a job trained on inline arrays: 400 saying to send inputs', async () => {
    const inline = await run({
      model: { type: 'linear' },
      data: { inline: { x: [[1], [2], [3], [4]], y: [1, 2, 3, 4] } },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 0.1 },
    });
    expect(inline.result.preprocessing).toBeUndefined();
    const res = await post(`/v1/jobs/${inline.id}/predict`, { records: [{ x0: 1 }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('/records');
    expect(res.json().detail).toContain('inputs');
  }, 30_000);
});

describe('/evaluate', () => {
  test("inputs + targets: the metrics module on /predict's probabilities", async () => {
    const [ca, cb] = job.result.preprocessing.columns;
    const inputs = ROWS.map((r) => [(r.a - ca.mean) / ca.std, (r.b - cb.mean) / cb.std]);
    const targets = ROWS.map((r) => r.label);
    const res = await post(`/v1/jobs/${job.id}/evaluate`, { inputs, targets });
    expect(res.statusCode, res.body).toBe(200);
    const proba = Float64Array.from(
      (await post(`/v1/jobs/${job.id}/predict`, { inputs })).json().outputs.flat(),
    );
    const m = classificationMetrics(targets, proba, 2);
    const body = res.json();
    expect(body.rows).toBe(60);
    expect(body.metrics.accuracy).toBe(m.accuracy);
    expect(body.metrics.logLoss).toBe(m.logLoss);
    expect(body.metrics.macroF1).toBe(m.macroF1);
    expect(body.metrics.weightedF1).toBe(m.weightedF1);
    expect(body.metrics.rocAuc).toBe(m.rocAuc);
    expect(body.loss).toBe(m.logLoss);
    expect(body.confusionMatrix).toEqual(m.confusionMatrix);
    expect(body.perClass).toEqual(m.perClass);
  });

  test('datasetId and records (with the target column) give the same numbers as inputs + targets', async () => {
    const [ca, cb] = job.result.preprocessing.columns;
    const inputs = ROWS.map((r) => [(r.a - ca.mean) / ca.std, (r.b - cb.mean) / cb.std]);
    const byInputs = (
      await post(`/v1/jobs/${job.id}/evaluate`, { inputs, targets: ROWS.map((r) => r.label) })
    ).json();
    const byDataset = await post(`/v1/jobs/${job.id}/evaluate`, { datasetId });
    const byRecords = await post(`/v1/jobs/${job.id}/evaluate`, { records: ROWS });
    expect(byDataset.statusCode, byDataset.body).toBe(200);
    expect(byRecords.statusCode, byRecords.body).toBe(200);
    for (const b of [byDataset.json(), byRecords.json()]) {
      expect(b.rows).toBe(60);
      expect(b.confusionMatrix).toEqual(byInputs.confusionMatrix);
      expect(b.metrics.accuracy).toBe(byInputs.metrics.accuracy);
      expect(b.metrics.logLoss).toBeCloseTo(byInputs.metrics.logLoss, 12);
    }
  });

  test('400s name the field: unknown dataset, wrong width, target count, class out of range, record without target', async () => {
    const cases: [unknown, string, string][] = [
      [{ datasetId: 'ds_nope' }, '/datasetId', 'ds_nope'],
      [{ inputs: [[1, 2, 3]], targets: [0] }, '/inputs/0', '3 features'],
      [{ inputs: [[1, 2]], targets: [0, 1] }, '/targets', '2 values for 1 inputs'],
      [{ inputs: [[1, 2]], targets: [5] }, '/targets/0', 'targets[0] is 5'],
      [{ records: [{ a: 1, b: 2 }] }, '/records/0/label', '"label"'],
    ];
    for (const [body, path, text] of cases) {
      const res = await post(`/v1/jobs/${job.id}/evaluate`, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors[0].path).toBe(path);
      expect(res.json().detail).toContain(text);
    }
  });

  test('a job that did not succeed is a 409 (as /predict); a job unknown is a 404', async () => {
    // perColumn naming no column: the worker's fit refuses it and the job fails (DATA_ERROR)
    const failed = await run(
      spec(datasetId, {}, { preprocess: { perColumn: { nope: { numeric: 'minmax' } } } }),
    );
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('DATA_ERROR');
    expect(failed.error.message).toContain('nope');
    expect((await post(`/v1/jobs/${failed.id}/evaluate`, { datasetId })).statusCode).toBe(409);
    expect((await post('/v1/jobs/job_00000000000000000000/evaluate', { datasetId })).statusCode).toBe(404);
  }, 30_000);
});

/** Dataset upload (CSV and JSON), describe, delete, built-ins, and jobs that use an upload. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-datasets', { cfg: { datasetBodyLimit: 64 * 1024 } });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const csv = 'a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n';

describe('POST /v1/datasets', () => {
  test('CSV with ?target= → 201 with shape and sha256', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets?target=label',
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d.id).toMatch(/^ds_/);
    expect(d).toMatchObject({
      rows: 4,
      features: 2,
      targets: 1,
      featureNames: ['a', 'b'],
      targetNames: ['label'],
    });
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof d.createdAt).toBe('string');
    const other = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets?target=a',
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(other.json()).toMatchObject({ features: 2, featureNames: ['b', 'label'], targetNames: ['a'] });
    expect(other.json().sha256).not.toBe(d.sha256);
  });

  test('JSON {x, y} → 201', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: {
        x: [
          [1, 2],
          [3, 4],
        ],
        y: [
          [1, 0],
          [0, 1],
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ rows: 2, features: 2, targets: 2 });
  });

  test('bad data → 400 naming the place; oversized → 413; unknown media type → 415', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      // A stray string in a numeric column (a string-only column is categorical since typed tables).
      payload: 'a,b\n1,x\n3,4\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_ERROR');
    expect(bad.json().detail).toMatch(/line 2/);
    const noTarget = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets?target=zzz',
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(noTarget.statusCode).toBe(400);
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: { x: [[1, 2], [3]], y: [1, 2] },
    });
    expect(badJson.statusCode).toBe(400);
    const extra = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: { x: [[1]], y: [1], z: 1 },
    });
    expect(extra.statusCode).toBe(400);
    const big = 'a,b\n' + '1,2\n'.repeat(20_000);
    const tooBig = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: big,
      headers: { 'content-type': 'text/csv' },
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().code).toBe('PAYLOAD_TOO_LARGE');
    const xml = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
  });
});

describe('GET/DELETE /v1/datasets/{id}, GET /v1/datasets/builtin', () => {
  test('describe, delete (204), then 404', async () => {
    const id = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/datasets?target=label',
        payload: csv,
        headers: { 'content-type': 'text/csv' },
      })
    ).json().id;
    const got = await t.app.inject({ url: `/v1/datasets/${id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id, rows: 4, labels: { integer: true, min: 0, max: 2 } });
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ url: `/v1/datasets/${id}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(404);
  });

  test('built-ins list shapes and task', async () => {
    const res = await t.app.inject({ url: '/v1/datasets/builtin' });
    expect(res.statusCode).toBe(200);
    const iris = res.json().data.find((d: { name: string }) => d.name === 'iris');
    expect(iris).toMatchObject({ rows: 150, features: 4, targets: 1, task: 'classification', classes: 3 });
    const byName = Object.fromEntries(res.json().data.map((d: { name: string }) => [d.name, d]));
    expect(byName.digits).toMatchObject({
      rows: 1797,
      features: 64,
      classes: 10,
      input: [1, 8, 8],
      license: 'CC BY 4.0',
    });
    expect(byName.sine_forecast).toMatchObject({
      rows: 1000,
      features: 20,
      task: 'regression',
      input: [20, 1],
    });
    expect(byName.sunspots).toMatchObject({
      rows: 289,
      features: 20,
      input: [20, 1],
      license: 'public domain',
    });
    expect(byName.contains_101).toMatchObject({ rows: 1000, features: 16, classes: 2, input: [16, 1] });
    expect(byName.sorted_tokens).toMatchObject({ rows: 1000, features: 8, classes: 2, input: [8] });
    for (const d of res.json().data) expect(d.license && d.source, d.name).toBeTruthy();
  });

  test('a job on a new built-in validates like one on iris', async () => {
    for (const [builtin, loss, outputs] of [
      ['digits', 'cross_entropy', 10],
      ['sunspots', 'mse', 1],
      ['sorted_tokens', 'cross_entropy', 2],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/jobs/validate',
        payload: { model: { type: 'linear' }, data: { builtin }, loss, optimizer: { type: 'sgd', lr: 0.1 } },
      });
      expect(res.statusCode, res.body).toBe(200);
      const features = { digits: 64, sunspots: 20, sorted_tokens: 8 }[builtin];
      expect(res.json().estimate.parameters, builtin).toBe(features * outputs + outputs);
    }
  });

  test('a job on an uploaded dataset is checked against its shape', async () => {
    const id = (
      await t.app.inject({
        method: 'POST',
        url: '/v1/datasets?target=label',
        payload: csv,
        headers: { 'content-type': 'text/csv' },
      })
    ).json().id;
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs/validate',
      payload: {
        model: { type: 'linear' },
        data: { datasetId: id },
        loss: 'cross_entropy',
        optimizer: { type: 'sgd', lr: 0.1 },
        training: { batchSize: 2, epochs: 3 },
      },
    });
    expect(ok.statusCode).toBe(200);
    // 2 features → 3 classes: 2·3 + 3 = 9 parameters; 4 rows / 2 = 2 steps per epoch.
    expect(ok.json().estimate).toMatchObject({ parameters: 9, stepsPerEpoch: 2, totalSteps: 6 });
    const bce = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        model: { type: 'linear' },
        data: { datasetId: id },
        loss: 'bce',
        optimizer: { type: 'sgd', lr: 0.1 },
      },
    });
    expect(bce.statusCode).toBe(400);
    expect(bce.json().errors[0].path).toMatch(/^\/(data|loss)/);
  });
});

/** Weights (JSON and safetensors) and predict, including the 409 before success. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { parseSafetensors } from '../helpers/safetensors-parser.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

let redis: TestRedis;
let t: TestApp;
const spec = TINY_LINEAR_SPEC;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-results');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function newJob() {
  return (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
}

describe('before success', () => {
  test('weights and predict → 409 CONFLICT while queued, running or failed; 404 when unknown', async () => {
    const id = await newJob();
    for (const res of [
      await t.app.inject({ url: `/v1/jobs/${id}/weights` }),
      await t.app.inject({ url: `/v1/jobs/${id}/weights?format=safetensors` }),
      await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [[1, 2]] } }),
    ]) {
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json().code).toBe('CONFLICT');
    }
    const failed = await newJob();
    await simulateRun(t.deps, failed, { fail: true });
    expect((await t.app.inject({ url: `/v1/jobs/${failed}/weights` })).statusCode).toBe(409);
    expect((await t.app.inject({ url: '/v1/jobs/job_0000000000000000000000/weights' })).statusCode).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/jobs/job_0000000000000000000000/predict',
          payload: { inputs: [[1, 2]] },
        })
      ).statusCode,
    ).toBe(404);
  });
});

describe('after success', () => {
  let id: string;
  beforeAll(async () => {
    id = await newJob();
    await simulateRun(t.deps, id);
  });

  test('JSON weights: nested arrays by torch names, ETag = sha256 of the body, Content-Length', async () => {
    const res = await t.app.inject({ url: `/v1/jobs/${id}/weights` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.json();
    expect(body).toEqual({
      jobId: id,
      dtype: 'float32',
      shapes: { weight: [1, 2], bias: [1] },
      weights: { weight: [[0.5, -0.25]], bias: [0.125] },
    });
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(res.rawPayload).digest('hex')}"`);
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
  });

  test('safetensors: valid file, ETag = sha256 of the bytes, Content-Length, also by Accept', async () => {
    const res = await t.app.inject({ url: `/v1/jobs/${id}/weights?format=safetensors` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-disposition']).toContain('.safetensors');
    const bytes = res.rawPayload;
    expect(Number(res.headers['content-length'])).toBe(bytes.length);
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    const job = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    expect(job.status).toBe('succeeded');

    const st = parseSafetensors(bytes);
    expect(Object.keys(st.tensors)).toEqual(['weight', 'bias']);
    expect(st.tensors.weight).toMatchObject({ dtype: 'F32', shape: [1, 2] });
    expect(Array.from(st.tensors.weight.values)).toEqual([0.5, -0.25]);
    expect(Array.from(st.tensors.bias.values)).toEqual([0.125]);
    expect(st.metadata.jobId).toBe(id);

    const byAccept = await t.app.inject({
      url: `/v1/jobs/${id}/weights`,
      headers: { accept: 'application/octet-stream' },
    });
    expect(byAccept.rawPayload.equals(bytes)).toBe(true);
    const notModified = await t.app.inject({
      url: `/v1/jobs/${id}/weights?format=safetensors`,
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(notModified.statusCode).toBe(304);
    expect((await t.app.inject({ url: `/v1/jobs/${id}/weights?format=onnx` })).statusCode).toBe(400);
  });

  test('float64 weights are stored as F64 and survive exactly', async () => {
    const j = await newJob();
    const w = new Float64Array([Math.PI, -Math.E]);
    await simulateRun(t.deps, j, {
      weights: { weight: { shape: [1, 2], data: w }, bias: { shape: [1], data: new Float64Array([1e-300]) } },
    });
    const st = parseSafetensors(
      (await t.app.inject({ url: `/v1/jobs/${j}/weights?format=safetensors` })).rawPayload,
    );
    expect(st.tensors.weight.dtype).toBe('F64');
    expect(Array.from(st.tensors.weight.values)).toEqual([Math.PI, -Math.E]);
    const json = (await t.app.inject({ url: `/v1/jobs/${j}/weights` })).json();
    expect(json.dtype).toBe('float64');
    expect(json.weights.bias).toEqual([1e-300]);
  });

  test('predict: outputs for each row; bad inputs → 400 with the row path', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/predict`,
      payload: {
        inputs: [
          [2, 4],
          [0, 0],
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ outputs: [[0.125], [0.125]] });
    const wrongWidth = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/predict`,
      payload: {
        inputs: [
          [1, 2],
          [1, 2, 3],
        ],
      },
    });
    expect(wrongWidth.statusCode).toBe(400);
    expect(wrongWidth.json().errors[0].path).toBe('/inputs/1');
    const notNumbers = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/predict`,
      payload: { inputs: [['a', 2]] },
    });
    expect(notNumbers.statusCode).toBe(400);
    expect(notNumbers.json().errors[0].path).toBe('/inputs/0/0');
    const empty = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/predict`,
      payload: { inputs: [] },
    });
    expect(empty.statusCode).toBe(400);
  });
});

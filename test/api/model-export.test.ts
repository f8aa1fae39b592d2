/**
 * `GET /v1/jobs/{id}/model` as a route (issue 16, export): 404 for an unknown job, 409 before
 * success, then an ONNX file (`?format=onnx`, the default, or `Accept: application/onnx`) or a
 * Python file (`?format=torch` or `Accept: text/x-python`), each with the sha256 of its bytes as
 * ETag, an exact Content-Length and 304 on If-None-Match; an unknown format is a 400. The ONNX file
 * of a linear model with known weights computes x·Wᵀ + b in ONNX Runtime.
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-model-export');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const newJob = async () =>
  (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: TINY_LINEAR_SPEC })).json().id as string;

describe('GET /v1/jobs/{id}/model', () => {
  test('404 unknown, 409 queued or failed (problem+json naming the status)', async () => {
    expect((await t.app.inject({ url: '/v1/jobs/job_0000000000000000000000/model' })).statusCode).toBe(404);
    const id = await newJob();
    for (const format of ['onnx', 'torch']) {
      const res = await t.app.inject({ url: `/v1/jobs/${id}/model?format=${format}` });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json().detail).toMatch(/is queued; weights exist only once it has succeeded/);
    }
    const failed = await newJob();
    await simulateRun(t.deps, failed, { fail: true });
    expect((await t.app.inject({ url: `/v1/jobs/${failed}/model` })).statusCode).toBe(409);
  });

  test('ONNX: x·Wᵀ + b in ONNX Runtime, ETag = sha256, Content-Length, Accept, 304', async () => {
    const id = await newJob();
    await simulateRun(t.deps, id, {
      weights: {
        weight: { shape: [1, 2], data: new Float32Array([0.5, -0.25]) },
        bias: { shape: [1], data: new Float32Array([0.125]) },
      },
    });
    const res = await t.app.inject({ url: `/v1/jobs/${id}/model` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/onnx');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${id}.onnx"`);
    const bytes = res.rawPayload;
    expect(Number(res.headers['content-length'])).toBe(bytes.length);
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({
      input: new ort.Tensor('float32', Float32Array.from([2, 4, -1, 1]), [2, 2]),
    });
    expect(out.output.dims).toEqual([2, 1]);
    expect(Array.from(out.output.data as Float32Array)).toEqual([0.125, -0.625]);

    const byAccept = await t.app.inject({
      url: `/v1/jobs/${id}/model`,
      headers: { accept: 'application/onnx' },
    });
    expect(byAccept.rawPayload.equals(bytes)).toBe(true);
    const notModified = await t.app.inject({
      url: `/v1/jobs/${id}/model?format=onnx`,
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(notModified.statusCode).toBe(304);

    const py = await t.app.inject({ url: `/v1/jobs/${id}/model`, headers: { accept: 'text/x-python' } });
    expect(py.statusCode).toBe(200);
    expect(py.headers['content-type']).toBe('text/x-python; charset=utf-8');
    expect(py.headers['content-disposition']).toBe(`attachment; filename="${id}.py"`);
    expect(Number(py.headers['content-length'])).toBe(py.rawPayload.length);
    expect(py.body).toContain('class Model(nn.Module)');
    expect(py.body).toContain(`JOB_ID = "${id}"`);
    expect(py.headers.etag).toBe(`"${createHash('sha256').update(py.rawPayload).digest('hex')}"`);
    const torch = await t.app.inject({ url: `/v1/jobs/${id}/model?format=torch` });
    expect(torch.rawPayload.equals(py.rawPayload)).toBe(true);

    const bad = await t.app.inject({ url: `/v1/jobs/${id}/model?format=keras` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('format');
  });

  test('weights that do not fit the model → 409 naming the missing tensor, not a broken file', async () => {
    const id = await newJob();
    await simulateRun(t.deps, id, {
      weights: { weight: { shape: [1, 2], data: new Float32Array([1, 2]) } },
    });
    const res = await t.app.inject({ url: `/v1/jobs/${id}/model?format=onnx` });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toMatch(/weights lack bias of shape \[1\]/);
  });
});

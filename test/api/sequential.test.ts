/**
 * Sequential models over HTTP: `POST /v1/jobs/validate` reports the layers (index, type, output
 * shape, parameters) for sequential and mlp models, and a layer that does not fit the data's
 * shape is a 400 problem+json at `/model/layers/i`, at /v1/jobs and /v1/jobs/validate alike.
 * Request handling only: the real app over in-memory stores (test/helpers/fake-deps.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';

let t: FakeApp;
let small: FakeApp;
beforeAll(async () => {
  t = await makeFakeApp();
  small = await makeFakeApp({ limits: { ...DEFAULT_LIMITS, maxParameters: 50 } });
});
afterAll(async () => {
  await t?.close();
  await small?.close();
});

/** iris (4 features, 3 classes) as one [2, 2] sample per row. */
const spec = (layers: unknown[], input = [2, 2]) => ({
  model: { type: 'sequential', input, layers },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 2 },
});

async function post(app: FakeApp, url: string, body: unknown) {
  const res = await app.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() };
}

describe('POST /v1/jobs/validate: layers', () => {
  test('a sequential model: each layer with its output shape and parameters; the estimate counts them', async () => {
    const r = await post(
      t,
      '/v1/jobs/validate',
      spec([
        { type: 'linear', out: 5 },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dropout', p: 0.2 },
        { type: 'linear' },
      ]),
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.layers).toEqual([
      { index: 0, type: 'linear', outputShape: [2, 5], parameters: 15 },
      { index: 1, type: 'relu', outputShape: [2, 5], parameters: 0 },
      { index: 2, type: 'flatten', outputShape: [10], parameters: 0 },
      { index: 3, type: 'dropout', outputShape: [10], parameters: 0 },
      { index: 4, type: 'linear', outputShape: [3], parameters: 33 },
    ]);
    expect(r.body.estimate.parameters).toBe(48);
    expect(r.body.spec.model.layers[3]).toEqual({ type: 'dropout', p: 0.2 });
  });

  test('an mlp is reported as the torch.nn.Sequential it is', async () => {
    const r = await post(t, '/v1/jobs/validate', {
      ...spec([]),
      model: { type: 'mlp', hidden: [8], dropout: 0.1 },
    });
    expect(r.status).toBe(200);
    expect(r.body.layers).toEqual([
      { index: 0, type: 'linear', outputShape: [8], parameters: 40 },
      { index: 1, type: 'relu', outputShape: [8], parameters: 0 },
      { index: 2, type: 'dropout', outputShape: [8], parameters: 0 },
      { index: 3, type: 'linear', outputShape: [3], parameters: 27 },
    ]);
  });
});

describe('shape errors: 400 problem+json naming the layer', () => {
  const wrongOutput = spec([{ type: 'linear', out: 4 }, { type: 'relu' }]);
  for (const url of ['/v1/jobs', '/v1/jobs/validate']) {
    test(`${url}: an output that is not [classes] names the last layer`, async () => {
      const r = await post(t, url, wrongOutput);
      expect(r.status).toBe(400);
      expect(r.type).toMatch(/^application\/problem\+json/);
      const message =
        '/model/layers/1: the model gives [2, 4] per sample; the loss and the data need [3] (end with flatten or mean_pool and a linear layer whose out is 3, or leave out unset)';
      expect(r.body.errors).toEqual([{ path: '/model/layers/1', message }]);
    });
  }

  test('a convolution whose kernel does not fit the sample is a 400 at its path', async () => {
    // iris rows as [1, 2, 2] images: a 3×3 kernel without padding does not fit.
    const r = await post(
      t,
      '/v1/jobs/validate',
      spec([{ type: 'conv2d', out: 2, kernel: 3 }, { type: 'flatten' }, { type: 'linear' }], [1, 2, 2]),
    );
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('/model/layers/0');
    expect(r.body.errors[0].message).toMatch(
      /^\/model\/layers\/0: conv2d kernel 3×3 does not fit the input 1×2×2/,
    );
  });

  test('input that does not hold the features, and the parameter limit', async () => {
    const bad = await post(t, '/v1/jobs', spec([{ type: 'flatten' }, { type: 'linear' }], [3, 2]));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      {
        path: '/model/input',
        message: 'model.input [3, 2] takes 6 values per row; dataset iris has 4 features',
      },
    ]);
    const big = await post(small, '/v1/jobs/validate', spec([{ type: 'flatten' }, { type: 'linear', out: 16 }, { type: 'linear' }])); // prettier-ignore
    expect(big.status).toBe(400);
    expect(big.body.errors).toEqual([
      {
        path: '/model',
        message: 'the model has 131 parameters; the limit is 50 (DESCENT_LIMIT_MAX_PARAMETERS raises it)',
      },
    ]);
  });
});

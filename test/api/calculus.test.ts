/**
 * The calculus endpoints and checks of issue 6 through the API: objectives parsed at submission
 * (400 naming the position; never evaluated as JavaScript), init.weights checked against the
 * model, and POST /v1/jobs/{id}/gradients returning the per-sample Jacobian.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { simulateRun } from '../helpers/simulate.js';
import { TINY_LINEAR_SPEC } from '../helpers/specs.js';

let redis: TestRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'api-calculus');
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const minimize = (objective: string, start: Record<string, number> = { x: 0, y: 0 }) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { task: 'minimize', objective, start, optimizer: { type: 'sgd', lr: 0.01 }, steps: 10 },
  });

describe('objective expressions are parsed at submission', () => {
  test('a valid expression is accepted', async () => {
    expect((await minimize('(1-x)^2 + 100*(y-x^2)^2')).statusCode).toBe(201);
  });

  for (const [src, where] of [
    ['x + process.exit()', /process|property/],
    ['constructor', /constructor/],
    ['x; y', /;/],
    ['x = 1', /=/],
    ['`x`', /backtick/],
    ['x.constructor', /property|\./],
    ['x + foo(y)', /foo/],
    ['(x + y', /end|\)/],
    ['x +* y', /\*/],
  ] as const) {
    test(`refuses ${JSON.stringify(src)} with a 400 naming the position`, async () => {
      const res = await minimize(src);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const body = res.json();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.errors[0].path).toBe('/objective');
      expect(body.errors[0].message).toMatch(/position \d+/);
      expect(body.errors[0].message).toMatch(where);
    });
  }

  test('refuses an over-long expression', async () => {
    const res = await minimize('x+'.repeat(5000) + 'x');
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toMatch(/2000|limit/);
  });

  test('refuses over-deep nesting', async () => {
    const res = await minimize('('.repeat(300) + 'x' + ')'.repeat(300));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].message).toMatch(/deep|nest/i);
  });
});

test('init.weights of the wrong shape is a 400 at submission, naming both shapes', async () => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: {
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
      init: { weights: { weight: [[1, 2]] } },
    },
  });
  expect(res.statusCode).toBe(400);
  expect(res.json().errors[0]).toEqual({
    path: '/init/weights/weight',
    message: 'init.weights.weight has shape [1, 2]; the model needs [3, 4]',
  });
});

describe('POST /v1/jobs/{id}/gradients', () => {
  const spec = TINY_LINEAR_SPEC;

  test('409 before success, then the Jacobian of a linear model is its weight matrix for every row', async () => {
    const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: spec })).json().id as string;
    const before = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/gradients`,
      payload: { inputs: [[1, 1]] },
    });
    expect(before.statusCode).toBe(409);
    await simulateRun(t.deps, id, {
      weights: {
        weight: { shape: [1, 2], data: new Float32Array([0.5, -0.25]) },
        bias: { shape: [1], data: new Float32Array([0.125]) },
      },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/gradients`,
      payload: {
        inputs: [
          [1, 1],
          [2, -3],
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.jacobian).toEqual([[[0.5, -0.25]], [[0.5, -0.25]]]);
    expect(body.outputs).toEqual([[0.375], [1.875]]);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/gradients`,
      payload: { inputs: [[1, 1, 1]] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/inputs/0');
  });

  test('404 for an unknown job', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs/job_0000000000000000000000/gradients',
      payload: { inputs: [[1]] },
    });
    expect(res.statusCode).toBe(404);
  });
});

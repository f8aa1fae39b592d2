/**
 * Issue 10.5 and 10.6 — validation messages a person can act on, over HTTP:
 * did-you-mean for unknown keys and enum values, "Required" for missing fields, the variants of a
 * union that nothing matched, a 415 that names the content types the route takes, limit messages
 * that name their DESCENT_LIMIT_* variable, a job refused when it cannot finish in its wall-time
 * limit at this build's measured speed — and an empty JSON body accepted where a route takes none.
 *
 * All of it is request handling, so it runs on the real app over in-memory stores
 * (test/helpers/fake-deps.ts), with no Redis; the stores themselves are tested against a real one.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeFakeApp, type FakeApp } from '../helpers/fake-deps.js';
import { measuredSpeed } from '../../src/train/speed.js';
import type { StepSpeed } from '../../src/contracts/speed.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';

let t: FakeApp;
let timed: FakeApp;
/** A fixed speed, so the wall-time refusal is exact: 100 µs a step and 1 GFLOP/s. */
const SLOW: StepSpeed = { overheadSeconds: 1e-4, flopsPerSecond: 1e9, kernels: 'test' };

beforeAll(async () => {
  t = await makeFakeApp();
  timed = await makeFakeApp({
    speed: async () => SLOW,
    limits: { ...DEFAULT_LIMITS, maxWallSeconds: 3600 },
  });
});
afterAll(async () => {
  await t?.close();
  await timed?.close();
});

const iris = {
  model: { type: 'mlp', hidden: [16] },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs: 5 },
};

async function post(app: FakeApp, body: unknown, url = '/v1/jobs', contentType = 'application/json') {
  const res = await app.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() };
}

/** [path, message] of every issue of a 400. */
async function issues(body: unknown): Promise<[string, string][]> {
  const r = await post(t, body);
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.type).toMatch(/^application\/problem\+json/);
  return r.body.errors.map((e: { path: string; message: string }) => [e.path, e.message]);
}

describe('unknown keys suggest the nearest valid one', () => {
  test('"optimiser" → did you mean "optimizer"', async () => {
    const { optimizer, ...rest } = iris;
    expect(await issues({ ...rest, optimiser: optimizer })).toEqual([
      ['/', 'Unknown key "optimiser": did you mean "optimizer"?'],
    ]);
  });
  test('"learning_rate" → "lr", "batch_size" → "batchSize"', async () => {
    expect(await issues({ ...iris, optimizer: { type: 'adam', learning_rate: 0.01 } })).toEqual([
      ['/optimizer', 'Unknown key "learning_rate": did you mean "lr"?'],
    ]);
    expect(await issues({ ...iris, training: { epochs: 5, batch_size: 8 } })).toEqual([
      ['/training', 'Unknown key "batch_size": did you mean "batchSize"?'],
    ]);
  });
  test('no close match: the keys allowed there are listed', async () => {
    const [[path, message]] = await issues({ ...iris, training: { epochs: 5, zzz: 1 } });
    expect(path).toBe('/training');
    expect(message).toMatch(/^Unknown key "zzz" \(allowed here: epochs, batchSize, .*maxWallSeconds\)$/);
  });
  test('an unknown enum value or variant suggests the nearest', async () => {
    const [[path, message]] = await issues({ ...iris, optimizer: { type: 'adamm' } });
    expect(path).toBe('/optimizer/type');
    expect(message).toMatch(/^string \("adamm"\) is not one of "sgd", .*; did you mean "adam"\?$/);
    const [[p2, m2]] = await issues({ ...iris, loss: 'cross_entropie' });
    expect(p2).toBe('/loss');
    expect(m2).toMatch(/did you mean "cross_entropy"\?$/);
  });
});

describe('missing fields say Required', () => {
  test('a missing loss', async () => {
    const { loss: _, ...rest } = iris;
    expect(await issues(rest)).toEqual([
      ['/loss', 'Required: one of "mse", "mae", "huber", "bce", "cross_entropy"'],
    ]);
  });
  test('a missing discriminator', async () => {
    const [[path, message]] = await issues({ ...iris, optimizer: { lr: 0.1 } });
    expect(path).toBe('/optimizer/type');
    expect(message).toMatch(/^Required: one of "sgd", "adagrad", /);
  });
  test('a missing array', async () => {
    const body = { ...iris, data: { inline: { x: [[1], [2]] } } };
    expect(await issues(body)).toEqual([['/data/inline/y', 'Required: expected array']]);
  });
});

test('a union that no variant matches says what each expected and what came', async () => {
  const body = { ...iris, data: { inline: { x: [[1], [2]], y: ['cat', 'dog'] } } };
  expect(await issues(body)).toEqual([
    ['/data/inline/y/0', 'Invalid input: expected number or array, received string ("cat")'],
    ['/data/inline/y/1', 'Invalid input: expected number or array, received string ("dog")'],
  ]);
  const up = await post(t, { x: [[1]], y: ['cat'] }, '/v1/datasets');
  expect(up.status).toBe(400);
  expect(up.body.detail).toBe(
    'The body is invalid: /y/0 Invalid input: expected number or array, received string ("cat")',
  );
});

test('limit messages name the DESCENT_LIMIT_* variable that raises them', async () => {
  expect(await issues({ ...iris, training: { epochs: 1e9 } })).toEqual([
    ['/training/epochs', 'epochs is 1000000000; the limit is 100000 (DESCENT_LIMIT_MAX_EPOCHS raises it)'],
  ]);
  const [[, m]] = await issues({ ...iris, model: { type: 'mlp', hidden: [8000, 8000] } });
  expect(m).toMatch(/; the limit is 5000000 \(DESCENT_LIMIT_MAX_PARAMETERS raises it\)$/);
});

describe('415 names the content types the route takes', () => {
  test('POST /v1/jobs with text/plain or application/xml', async () => {
    for (const type of ['text/plain', 'application/xml', 'text/csv']) {
      const r = await post(t, 'a,b\n1,2\n', '/v1/jobs', type);
      expect(r.status).toBe(415);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(r.body.detail).toBe(`POST /v1/jobs takes application/json; the request sent ${type}`);
      expect(r.body.errors[0].path).toBe('/headers/content-type');
    }
  });
  test('POST /v1/datasets takes JSON, CSV or Parquet, and says so', async () => {
    const r = await post(t, 'a,b\n1,2\n', '/v1/datasets', 'text/plain');
    expect(r.status).toBe(415);
    expect(r.body.detail).toBe(
      'POST /v1/datasets takes application/json, text/csv or application/vnd.apache.parquet; the request sent text/plain',
    );
    expect((await post(t, 'a,b\n1,2\n3,4\n', '/v1/datasets', 'text/csv; charset=utf-8')).status).toBe(201);
  });
});

describe('work the service cannot finish is refused at validation', () => {
  // iris: 150 rows, batch 1 → 150 steps an epoch; 100 000 epochs → 15 M steps of a 4-256-256-3 MLP
  // (67 843 parameters). At SLOW: 15e6 × (1e-4 + 6 · 67 843 / 1e9) s = 7606 s ≈ 2.1 h.
  const big = {
    ...iris,
    model: { type: 'mlp', hidden: [256, 256] },
    training: { epochs: 100_000, batchSize: 1 },
  };

  test("over the server's wall-time limit: 400 at training.epochs with the estimate, the speed and the variable", async () => {
    const r = await post(timed, big);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.errors).toEqual([
      {
        path: '/training/epochs',
        message:
          "the job needs about 15000000 steps of a 67843-parameter model, at least 2.1 h at this server's measured speed " +
          '(test kernels: 1.0 GFLOP/s, 100 µs per step); the wall-time limit is 60.0 min, ' +
          "the server's (DESCENT_LIMIT_MAX_WALL_SECONDS). Fewer epochs, a larger batchSize or a smaller model fit",
      },
    ]);
  });

  test("over the job's own maxWallSeconds: 400 at training.maxWallSeconds", async () => {
    const r = await post(timed, { ...big, training: { ...big.training, maxWallSeconds: 600 } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe('/training/maxWallSeconds');
    expect(r.body.errors[0].message).toMatch(/the wall-time limit is 10\.0 min, training\.maxWallSeconds\./);
  });

  test('a job that fits is accepted, and validate reports its estimated seconds', async () => {
    const fits = { ...big, training: { epochs: 10, batchSize: 1 } };
    const r = await post(timed, fits, '/v1/jobs/validate');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    // 1500 steps × 5.07058e-4 s.
    expect(r.body.estimate.seconds).toBe(0.8);
    expect(r.body.estimate.flopsPerStep).toBe(6 * 67843);
  });

  test("with this build's measured speed: sane figures, and the 15 M-step job does not fit in 5 minutes", async () => {
    const speed = (await measuredSpeed())!;
    console.log(
      `measured: ${speed.kernels} kernels, ${(speed.overheadSeconds * 1e6).toFixed(0)} µs/step overhead, ` +
        `${(speed.flopsPerSecond / 1e9).toFixed(2)} GFLOP/s`,
    );
    expect(speed.overheadSeconds).toBeGreaterThan(1e-6);
    expect(speed.overheadSeconds).toBeLessThan(0.05);
    expect(speed.flopsPerSecond).toBeGreaterThan(1e7);
    expect(speed.flopsPerSecond).toBeLessThan(1e13);
    const real = await makeFakeApp({ speed: measuredSpeed });
    try {
      const r = await post(real, { ...big, training: { ...big.training, maxWallSeconds: 300 } });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.errors[0].path).toBe('/training/maxWallSeconds');
      expect((await post(real, iris)).status).toBe(201);
    } finally {
      await real.close();
    }
  });
});

describe('an empty body where the route takes none', () => {
  test('POST /cancel with Content-Type: application/json and no body is accepted', async () => {
    const created = await post(t, iris);
    expect(created.status).toBe(201);
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/jobs/${created.body.id}/cancel`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('cancelled');
    expect(t.deps.enqueued.map((d) => d.jobId)).not.toContain(created.body.id);
  });
  test('a route that takes a body still refuses an empty one', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('The body is empty; send a JSON document.');
  });
});

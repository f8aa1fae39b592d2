/**
 * Fuzzed sweep bodies (issue 13, acceptance 5): random spaces (real and made-up dotted paths, every
 * distribution with good and bad bounds, hostile values), searchers (grid, random, ASHA with any
 * numbers), metrics, modes and concurrency, sent to POST /v1/sweeps/validate and POST /v1/sweeps.
 * None may answer 5xx; every refusal is a 4xx problem+json with a code and, for a 400, an issue
 * path; every acceptance is a sweep the service then serves (GET, trials, cancel).
 * Deterministic (fixed fast-check seed; `DESCENT_FUZZ_SEED=<n>` explores another sequence).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../src/contracts/limits.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';

const RUNS = 400;
const SEED = Number(process.env.DESCENT_FUZZ_SEED ?? 1313);

// Small limits, so that the fuzzer reaches them.
const L: Limits = {
  ...DEFAULT_LIMITS,
  maxSweepTrials: 40,
  maxSweepEpochs: 400,
  maxConcurrentTrials: 4,
  maxSpaceDims: 4,
};

let redis: TestRedis;
let t: TestApp;
beforeAll(async () => {
  redis = await startRedis();
  t = await makeTestApp(redis.url, 'sweeps-fuzz', { limits: L });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const SPEC = {
  model: { type: 'mlp', hidden: [4], activation: 'relu' },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0 },
  training: { epochs: 3, batchSize: 16, validationSplit: 0.2 },
};

const PATHS = [
  'optimizer.lr',
  'optimizer.momentum',
  'optimizer.type',
  'optimizer.nesterov',
  'model.hidden.0',
  'model.hidden.7',
  'model.activation',
  'model',
  'training.epochs',
  'training.batchSize',
  'training.seed',
  'training.validationSplit',
  'loss',
  'data.builtin',
  'nope',
  'optimizer.nope.deeper',
  '__proto__.x',
  'constructor',
  'a..b',
  '',
  '0',
];

const hostile = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('adam', 'relu', 'tanh', 'iris', 'mse', 'full'),
  fc.array(fc.integer({ min: -3, max: 40 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const num = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: -10, max: 100 }),
  fc.constantFrom(0, 1e-9, 1e308, -1),
);

const dimension = fc.oneof(
  fc.record({ choice: fc.array(hostile, { maxLength: 5 }) }),
  fc.record({ grid: fc.array(hostile, { maxLength: 12 }) }),
  fc.record({ uniform: fc.tuple(num, num) }),
  fc.record({ logUniform: fc.tuple(num, num) }),
  fc.record({ intUniform: fc.tuple(fc.integer({ min: -5, max: 50 }), fc.integer({ min: -5, max: 50 })) }),
  fc.record({ uniform: fc.array(num, { maxLength: 3 }) }),
  fc.record({ choice: fc.constant([]), grid: fc.constant([1]) }),
  hostile,
);

const searcher = fc.oneof(
  fc.constant({ type: 'grid' }),
  fc.record({ type: fc.constant('random'), trials: fc.oneof(fc.integer({ min: -2, max: 60 }), hostile) }),
  fc.record({
    type: fc.constant('asha'),
    trials: fc.integer({ min: -1, max: 50 }),
    minEpochs: fc.integer({ min: -1, max: 12 }),
    maxEpochs: fc.integer({ min: -1, max: 30 }),
    reductionFactor: fc.oneof(fc.integer({ min: -1, max: 20 }), hostile),
  }),
  fc.record({ type: fc.constantFrom('bayes', 'hyperband') }),
  hostile,
);

const body = fc.record(
  {
    spec: fc.oneof(fc.constant(SPEC), fc.constant({ ...SPEC, training: { epochs: 2 } }), hostile),
    space: fc.oneof(fc.dictionary(fc.constantFrom(...PATHS), dimension, { maxKeys: 5 }), hostile),
    searcher,
    metric: fc.constantFrom('valLoss', 'loss', 'valAccuracy', 'accuracy', 'r2', 'nope', ''),
    mode: fc.constantFrom('min', 'max', 'sideways'),
    maxConcurrentTrials: fc.oneof(fc.integer({ min: -1, max: 6 }), hostile),
    seed: fc.oneof(fc.integer({ min: -1, max: 2 ** 31 }), hostile),
    metadata: fc.oneof(
      fc.constant({}),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
    ),
  },
  { requiredKeys: ['spec', 'space', 'searcher'] },
);

/** Bodies near the valid ones (real paths, sane bounds), so that acceptances are fuzzed too. */
const plausible = fc.record({
  spec: fc.constant(SPEC),
  space: fc.oneof(
    fc.record({
      'optimizer.lr': fc.oneof(
        fc.record({
          logUniform: fc.tuple(
            fc.double({ min: -0.1, max: 0.05, noNaN: true }),
            fc.double({ min: 0.01, max: 2, noNaN: true }),
          ),
        }),
        fc.record({
          grid: fc.array(fc.double({ min: -0.5, max: 3, noNaN: true }), { minLength: 0, maxLength: 4 }),
        }),
      ),
    }),
    fc.record({
      'optimizer.momentum': fc.record({
        uniform: fc.tuple(
          fc.double({ min: -0.5, max: 0.5, noNaN: true }),
          fc.double({ min: 0.2, max: 1.5, noNaN: true }),
        ),
      }),
      'model.hidden.0': fc.record({
        intUniform: fc.tuple(fc.integer({ min: -2, max: 6 }), fc.integer({ min: 1, max: 12 })),
      }),
    }),
    fc.record({
      'training.batchSize': fc.record({
        choice: fc.array(fc.oneof(fc.integer({ min: -1, max: 64 }), fc.constant('full')), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
    }),
  ),
  searcher: fc.oneof(
    fc.constant({ type: 'grid' }),
    fc.record({ type: fc.constant('random'), trials: fc.integer({ min: 1, max: 12 }) }),
    fc.record({
      type: fc.constant('asha'),
      trials: fc.integer({ min: 1, max: 10 }),
      minEpochs: fc.integer({ min: 1, max: 3 }),
      maxEpochs: fc.integer({ min: 1, max: 9 }),
      reductionFactor: fc.integer({ min: 2, max: 4 }),
    }),
  ),
  maxConcurrentTrials: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer({ min: 0, max: 1000 }),
});

test(`${RUNS} fuzzed sweep bodies: never a 5xx; refusals are problem+json naming a path`, async () => {
  const seen = { accepted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(fc.oneof(body, plausible), fc.boolean(), async (b, create) => {
      const res = await t.app.inject({
        method: 'POST',
        url: create ? '/v1/sweeps' : '/v1/sweeps/validate',
        payload: b as object,
      });
      expect(res.statusCode, res.body).toBeLessThan(500);
      if (res.statusCode >= 400) {
        seen.refused++;
        expect(res.headers['content-type']).toContain('application/problem+json');
        const p = res.json();
        expect(typeof p.code).toBe('string');
        if (res.statusCode === 400) expect(p.errors?.length ?? 0, res.body).toBeGreaterThan(0);
        return;
      }
      seen.accepted++;
      if (!create) return;
      const id = res.json().id as string;
      for (const url of [`/v1/sweeps/${id}`, `/v1/sweeps/${id}/trials`, `/v1/sweeps/${id}/events`])
        expect((await t.app.inject({ url })).statusCode, url).toBe(200);
      const c = await t.app.inject({ method: 'POST', url: `/v1/sweeps/${id}/cancel` });
      expect(c.statusCode).toBe(200);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  console.log(`sweeps fuzz: ${seen.accepted} accepted, ${seen.refused} refused, no 5xx`);
  expect(seen.refused).toBeGreaterThan(RUNS / 4);
  expect(seen.accepted).toBeGreaterThan(RUNS / 20);
}, 240_000);

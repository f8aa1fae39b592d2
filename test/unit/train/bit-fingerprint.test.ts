/**
 * Same spec + seed → same bits, pinned: a fingerprint (sha-256 of every event, every checkpoint
 * with its clock fields dropped, and the outcome, all numbers as their float64 bits) of runTask over
 * supervised (first- and second-order, early stopping, divergence), minimize and reinforce specs,
 * each run straight through, cancelled after its third event and resumed, and resumed from a middle
 * checkpoint. The expected hashes were recorded on edc7380, before the training runner existed;
 * a refactor of src/train that changes any of them changed behaviour. Reference kernels (the
 * default of a test process), a fake clock, every checkpoint and every progress event.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';
import { loadBuiltin } from '../../../src/data/index.js';
import { runTask } from '../../../src/train/index.js';

const bits = (v: number) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return 'f' + b.getBigUint64(0).toString(16);
};
const canon = (v: unknown): unknown => {
  if (typeof v === 'number') return bits(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as Float64Array, bits);
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort())
      if (k !== 'durationMs' && k !== 'elapsedMs') o[k] = canon((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
};
const stripElapsed = (s: unknown): unknown =>
  JSON.parse(JSON.stringify(s, (k, v) => (k === 'elapsedMs' ? undefined : v)));

const sup = (over: object) =>
  JobSpecSchema.parse({
    model: { type: 'mlp', hidden: [8], activation: 'tanh', dropout: 0.1 },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    training: { epochs: 6, batchSize: 16, validationSplit: 0.2, seed: 7 },
    ...over,
  });
const cases: Array<[string, ReturnType<typeof JobSpecSchema.parse>, boolean]> = [
  [
    'sup adam mlp dropout step sched',
    sup({ schedule: { type: 'step', stepSize: 2, gamma: 0.5, per: 'step' } }),
    true,
  ],
  [
    'sup adam clip earlystop',
    sup({
      training: {
        epochs: 40,
        batchSize: 32,
        validationSplit: 0.3,
        seed: 3,
        gradClipNorm: 0.5,
        earlyStopping: { patience: 2, minDelta: 0.01, restoreBest: true },
      },
    }),
    true,
  ],
  [
    'sup sgd momentum linear fullbatch',
    sup({
      model: { type: 'linear' },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 },
      training: { epochs: 5, batchSize: 'full', seed: 1 },
    }),
    true,
  ],
  [
    'sup rmsprop no val (train metrics)',
    sup({
      optimizer: { type: 'rmsprop', lr: 0.01 },
      training: { epochs: 3, batchSize: 40, seed: 2, validationSplit: 0 },
    }),
    true,
  ],
  [
    'sup newton linear',
    sup({
      model: { type: 'linear' },
      optimizer: { type: 'newton' },
      training: { epochs: 4, batchSize: 'full', seed: 1 },
    }),
    true,
  ],
  [
    'sup lbfgs mlp',
    sup({
      model: { type: 'mlp', hidden: [4], activation: 'tanh' },
      optimizer: { type: 'lbfgs', lr: 1, maxIter: 5 },
      training: { epochs: 4, batchSize: 'full', seed: 1 },
    }),
    true,
  ],
  [
    'sup diverge',
    sup({
      optimizer: { type: 'sgd', lr: 1e6 },
      model: { type: 'linear' },
      loss: 'mse',
      data: { builtin: 'iris' },
    }),
    true,
  ],
  [
    'min adam',
    JobSpecSchema.parse({
      task: 'minimize',
      objective: '(1-x)^2 + 100*(y-x^2)^2',
      start: { x: -1.5, y: 2 },
      optimizer: { type: 'adam', lr: 0.01 },
      steps: 60,
      schedule: { type: 'cosine', tMax: 60 },
    }),
    false,
  ],
  [
    'min newton',
    JobSpecSchema.parse({
      task: 'minimize',
      objective: { builtin: 'rosenbrock' },
      start: { x: -1.5, y: 2 },
      optimizer: { type: 'newton' },
      steps: 50,
    }),
    false,
  ],
  [
    'min lbfgs',
    JobSpecSchema.parse({
      task: 'minimize',
      objective: 'x^2 + 3*(y - 1)^2 + x*y',
      start: { x: 2, y: -1 },
      steps: 5,
      optimizer: { type: 'lbfgs', lineSearchFn: 'strong_wolfe' },
    }),
    false,
  ],
  [
    'min stationary',
    JobSpecSchema.parse({
      task: 'minimize',
      objective: 'x^2 - y^2',
      start: { x: 0, y: 0 },
      optimizer: { type: 'sgd', lr: 0.1 },
      steps: 10,
    }),
    false,
  ],
  [
    'min f32 sgd',
    JobSpecSchema.parse({
      task: 'minimize',
      objective: '(1-x)^2 + 100*(y-x^2)^2',
      start: { x: -1.5, y: 2 },
      optimizer: { type: 'sgd', lr: 1e-3, momentum: 0.9 },
      steps: 40,
      dtype: 'float32',
    }),
    false,
  ],
  [
    'rl cartpole',
    JobSpecSchema.parse({
      task: 'reinforce',
      env: { type: 'cartpole' },
      episodes: 25,
      seed: 4,
      entropyCoef: 0.01,
    }),
    false,
  ],
  [
    'rl bandit value',
    JobSpecSchema.parse({
      task: 'reinforce',
      env: { type: 'bandit', arms: 4 },
      episodes: 40,
      baseline: 'value',
      policy: { hidden: [8], activation: 'tanh' },
      seed: 3,
    }),
    false,
  ],
];

const expected: Record<string, string> = {
  'sup adam mlp dropout step sched': '562cb47f10c5eb89',
  'sup adam clip earlystop': '7b31a68876b0cefe',
  'sup sgd momentum linear fullbatch': '561ace0aedd88313',
  'sup rmsprop no val (train metrics)': 'fb06f6f84438e220',
  'sup newton linear': '3fd8df6f12a400d1',
  'sup lbfgs mlp': '338ba1a53365dbfc',
  'sup diverge': 'af5cbad66e8facc6',
  'min adam': 'eae808c02387ebc1',
  'min newton': '8b86808f2e65286b',
  'min lbfgs': '8d6d8827a299a600',
  'min stationary': '7007b272de66466a',
  'min f32 sgd': 'ab712d514377f2fb',
  'rl cartpole': 'd029cf6538b10f3e',
  'rl bandit value': '3a39e536ca5e1996',
};

describe('bit fingerprint of every task (recorded before the runner refactor)', () => {
  for (const [name, spec, supervised] of cases) {
    it(name, async () => {
      const data = supervised ? loadBuiltin('iris') : null;
      let t = 0;
      const run = async (o: Parameters<typeof runTask>[2]) => {
        const events: unknown[] = [];
        const ckpts: unknown[] = [];
        const out = await runTask(spec, data, {
          progressEveryMs: 0,
          checkpointEveryMs: supervised ? 0.5 : 0,
          now: () => ++t,
          diagnostics: true,
          onEvent: (e) => events.push(e),
          onCheckpoint: (c) => void ckpts.push(stripElapsed(c)),
          ...o,
        });
        return {
          events,
          ckpts,
          out: { status: out.status, result: out.result, error: out.error, weights: out.weights },
        };
      };
      const full = await run({});
      const ctrl = new AbortController();
      let n = 0;
      const cancelled = await run({
        signal: ctrl.signal,
        onEvent: () => {
          if (++n === 3) ctrl.abort();
        },
      });
      const last = cancelled.ckpts.at(-1);
      const resumed = last ? await run({ resume: JSON.parse(JSON.stringify(last)) }) : null;
      const mid = full.ckpts[Math.floor(full.ckpts.length / 2)];
      const fromMid = mid ? await run({ resume: JSON.parse(JSON.stringify(mid)) }) : null;
      const h = createHash('sha256')
        .update(JSON.stringify(canon({ full, cancelled, resumed, fromMid })))
        .digest('hex')
        .slice(0, 16);
      expect(h).toBe(expected[name]);
    });
  }
});

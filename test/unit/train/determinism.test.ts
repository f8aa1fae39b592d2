/**
 * Same spec and seed → the same weights, bit for bit; and a run stopped at any step and resumed
 * from its (JSON-encoded) state ends with exactly the weights of a run that never stopped.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../../../src/data/index.js';
import {
  decodeResumeState,
  encodeResumeState,
  train,
  type ResumeState,
  type TrainOutcome,
} from '../../../src/train/index.js';
import { bitEqual, spec } from './helpers.js';

const cases: Record<string, Record<string, unknown>> = {
  'mlp+dropout, adam, shuffled mini-batches, validation split, step schedule': {
    model: { type: 'mlp', hidden: [8, 8], activation: 'tanh', dropout: 0.2 },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.01, amsgrad: true },
    schedule: { type: 'step', stepSize: 3, gamma: 0.5 },
    regularization: { l1: 1e-4, l2: 1e-3 },
    training: { epochs: 8, batchSize: 32, validationSplit: 0.2, seed: 11 },
  },
  'sequential [T, F] rows + dropout, adam, shuffled mini-batches, validation split, l1/l2': {
    model: {
      type: 'sequential',
      input: [2, 2],
      layers: [
        { type: 'linear', out: 6 },
        { type: 'gelu' },
        { type: 'flatten' },
        { type: 'dropout', p: 0.3 },
        { type: 'linear', out: 8 },
        { type: 'silu' },
        { type: 'dropout', p: 0.1 },
        { type: 'linear' },
      ],
    },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.01 },
    regularization: { l1: 1e-4, l2: 1e-3 },
    training: { epochs: 6, batchSize: 16, validationSplit: 0.2, seed: 4 },
  },
  'sequential with batchnorm (running stats, buffers), layernorm and dropout': {
    model: {
      type: 'sequential',
      input: [4],
      layers: [
        { type: 'linear', out: 8 },
        { type: 'batchnorm1d' },
        { type: 'relu' },
        { type: 'dropout', p: 0.2 },
        { type: 'linear', out: 6 },
        { type: 'layernorm' },
        { type: 'tanh' },
        { type: 'linear' },
      ],
    },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
    training: { epochs: 5, batchSize: 20, validationSplit: 0.2, seed: 8 },
  },
  'sgd nesterov, per-step onecycle, float64, clipping': {
    model: { type: 'mlp', hidden: [6], activation: 'gelu' },
    data: { builtin: 'two_moons' },
    loss: 'bce',
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
    schedule: { type: 'onecycle', maxLr: 0.5, per: 'step' },
    training: { epochs: 4, batchSize: 24, dtype: 'float64', gradClipNorm: 1, seed: 5 },
  },
  'rmsprop centered, regression, huber': {
    model: { type: 'mlp', hidden: [5], activation: 'elu' },
    data: { builtin: 'linear_regression' },
    loss: 'huber',
    optimizer: { type: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5 },
    training: { epochs: 3, batchSize: 50, seed: 9 },
  },
  'newton (full batch, float64)': {
    model: { type: 'linear' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'newton' },
    regularization: { l2: 1e-3 },
    training: { epochs: 6, batchSize: 'full', dtype: 'float64' },
  },
  'lbfgs strong wolfe (full batch)': {
    model: { type: 'mlp', hidden: [4], activation: 'tanh' },
    data: { builtin: 'xor' },
    loss: 'cross_entropy',
    optimizer: { type: 'lbfgs', lineSearchFn: 'strong_wolfe', maxIter: 5 },
    training: { epochs: 5, batchSize: 'full', dtype: 'float64' },
  },
};

function weightsOf(o: TrainOutcome): number[][] {
  return Object.values(o.weights).map((w) => Array.from(w.data));
}

describe('determinism and exact resume', () => {
  for (const [name, input] of Object.entries(cases)) {
    const s = spec(input);
    const data = loadBuiltin(s.data.builtin!);

    it(`${name}: same spec and seed give identical weights`, async () => {
      const a = await train(s, data);
      const b = await train(s, loadBuiltin(s.data.builtin!));
      expect(a.status).toBe('succeeded');
      weightsOf(a).forEach((w, i) => expect(bitEqual(w, weightsOf(b)[i])).toBe(true));
    });

    it(`${name}: stop at any step and resume → the uninterrupted run's weights`, async () => {
      const full = await train(s, data);
      const total = full.result!.steps;
      // stop points: first step, mid-epoch, an epoch boundary, the last step
      const stops = [...new Set([1, Math.floor(total / 2), Math.max(1, total - 1)])];
      for (const k of stops) {
        const ctrl = new AbortController();
        let saved: ResumeState | null = null;
        const part = await train(s, data, {
          signal: ctrl.signal,
          progressEveryMs: 0,
          onEvent: (e) => {
            if (e.type === 'progress' && e.step >= k) ctrl.abort();
          },
          onCheckpoint: (st) => {
            saved = st;
          },
        });
        expect(part.status).toBe('cancelled');
        expect(saved).not.toBeNull();
        // through JSON, as a checkpoint travels
        const restored = decodeResumeState(JSON.parse(JSON.stringify(encodeResumeState(saved!))));
        const resumed = await train(s, data, { resume: restored });
        expect(resumed.status).toBe('succeeded');
        expect(resumed.result!.steps).toBe(total);
        weightsOf(resumed).forEach((w, i) =>
          expect(bitEqual(w, weightsOf(full)[i]), `stop at ${k}, tensor ${i}`).toBe(true),
        );
      }
    });
  }

  it('a different seed gives different weights', async () => {
    const a = await train(
      spec({ ...cases['rmsprop centered, regression, huber'] }),
      loadBuiltin('linear_regression'),
    );
    const b = await train(
      spec({
        ...cases['rmsprop centered, regression, huber'],
        training: { epochs: 3, batchSize: 50, seed: 10 },
      }),
      loadBuiltin('linear_regression'),
    );
    expect(bitEqual(weightsOf(a)[0], weightsOf(b)[0])).toBe(false);
  });
});

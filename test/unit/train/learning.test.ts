/**
 * Learning works: the training loop on the built-in datasets reaches the accuracy or recovers the
 * coefficients a course would promise, and each descent variant and each safeguard does what it says.
 */
import { describe, expect, it } from 'vitest';
import { LINEAR_REGRESSION_TRUTH, loadBuiltin } from '../../../src/data/index.js';
import { train, type TrainEvent } from '../../../src/train/index.js';
import { spec } from './helpers.js';

function epochs(events: TrainEvent[]) {
  return events.filter((e): e is Extract<TrainEvent, { type: 'epoch' }> => e.type === 'epoch');
}

describe('learning', () => {
  it('an MLP with Adam reaches ≥ 0.95 validation accuracy on iris', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [16], activation: 'relu' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.01 },
      training: { epochs: 150, batchSize: 16, validationSplit: 0.2, seed: 1 },
    });
    const out = await train(s, loadBuiltin('iris'));
    expect(out.status).toBe('succeeded');
    expect(out.result!.valLoss).not.toBeNull();
    expect(out.result!.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('an MLP learns XOR (all four points right)', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [8], activation: 'tanh' },
      data: { builtin: 'xor' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.05 },
      training: { epochs: 300, batchSize: 'full', seed: 3 },
    });
    const out = await train(s, loadBuiltin('xor'));
    expect(out.result!.metrics.accuracy).toBe(1);
    expect(out.result!.loss).toBeLessThan(0.05);
  });

  it('linear regression recovers the known coefficients', async () => {
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      training: { epochs: 60, batchSize: 32, seed: 0, dtype: 'float64' },
    });
    const out = await train(s, loadBuiltin('linear_regression'));
    const w = Array.from(out.weights.weight.data);
    LINEAR_REGRESSION_TRUTH.weights.forEach((t, i) => expect(Math.abs(w[i] - t)).toBeLessThan(0.03));
    expect(Math.abs(out.weights.bias.data[0] - LINEAR_REGRESSION_TRUTH.bias)).toBeLessThan(0.03);
    expect(out.result!.metrics.r2).toBeGreaterThan(0.99);
  });

  for (const batchSize of ['full', 1, 16] as const) {
    it(`${batchSize === 'full' ? 'batch' : batchSize === 1 ? 'stochastic' : 'mini-batch'} gradient descent lowers the loss`, async () => {
      const events: TrainEvent[] = [];
      const s = spec({
        model: { type: 'linear' },
        data: { builtin: 'linear_regression' },
        loss: 'mse',
        optimizer: { type: 'sgd', lr: batchSize === 1 ? 0.005 : 0.05 },
        training: { epochs: 5, batchSize, seed: 2 },
      });
      const out = await train(s, loadBuiltin('linear_regression'), { onEvent: (e) => events.push(e) });
      const ep = epochs(events);
      expect(ep).toHaveLength(5);
      const stepsPerEpoch = batchSize === 'full' ? 1 : Math.ceil(500 / batchSize);
      expect(out.result!.steps).toBe(5 * stepsPerEpoch);
      expect(ep[4].loss).toBeLessThan(ep[0].loss);
      for (let i = 1; i < 5; i++) expect(ep[i].loss).toBeLessThan(ep[i - 1].loss * 1.05);
    });
  }

  it('early stopping ends the run once the monitored loss stops improving', async () => {
    const events: TrainEvent[] = [];
    const s = spec({
      model: { type: 'mlp', hidden: [32], activation: 'relu' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.05 },
      training: {
        epochs: 500,
        batchSize: 8,
        validationSplit: 0.3,
        seed: 4,
        earlyStopping: { patience: 5, restoreBest: true },
      },
    });
    const out = await train(s, loadBuiltin('iris'), { onEvent: (e) => events.push(e) });
    expect(out.status).toBe('succeeded');
    expect(out.result!.epochs).toBeLessThan(500);
    expect(out.result!.stoppedEarly).toMatch(/did not improve/);
    const ep = epochs(events);
    const best = Math.min(...ep.map((e) => e.valLoss!));
    // the last five epochs did not beat the best one before them
    const beforeTail = Math.min(...ep.slice(0, -5).map((e) => e.valLoss!));
    expect(beforeTail).toBe(best);
    expect(events.some((e) => e.type === 'log' && /early stopping/.test(e.message))).toBe(true);
  });

  it('gradient clipping bounds the step: ‖Δθ‖ ≤ lr · maxNorm for plain SGD', async () => {
    const base = {
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 1 },
      init: { weights: { weight: [[0, 0, 0, 0, 0]], bias: [0] } },
      training: { epochs: 1, batchSize: 'full', dtype: 'float64', shuffle: false },
    };
    const clipped = await train(
      spec({ ...base, training: { ...base.training, gradClipNorm: 0.01 } }),
      loadBuiltin('linear_regression'),
    );
    const free = await train(spec(base), loadBuiltin('linear_regression'));
    const norm = (o: typeof free) => Math.hypot(...o.weights.weight.data, ...o.weights.bias.data);
    expect(norm(free)).toBeGreaterThan(1);
    expect(norm(clipped)).toBeLessThanOrEqual(0.01 + 1e-12);
    expect(norm(clipped)).toBeGreaterThan(0.0099);
    // same direction
    const fw = Array.from(free.weights.weight.data);
    const cos =
      fw.reduce((a, v, i) => a + v * clipped.weights.weight.data[i], 0) /
      (Math.hypot(...free.weights.weight.data) * Math.hypot(...clipped.weights.weight.data));
    expect(cos).toBeGreaterThan(0.999);
  });

  it('a diverging run fails with DIVERGED naming the step and the lr', async () => {
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 10 },
      training: { epochs: 50, batchSize: 'full' },
    });
    const out = await train(s, loadBuiltin('linear_regression'));
    expect(out.status).toBe('failed');
    expect(out.error!.code).toBe('DIVERGED');
    expect(out.error!.message).toMatch(
      /^loss became (NaN|Infinity) at step \d+; lower optimizer.lr \(now 10\)$/,
    );
  });

  it('a wrong init.weights shape fails before training with a message naming both shapes', async () => {
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
      init: { weights: { weight: [[1, 2]] } },
    });
    const out = await train(s, loadBuiltin('iris'));
    expect(out.status).toBe('failed');
    expect(out.error).toEqual({
      code: 'INVALID_SPEC',
      message: 'init.weights.weight has shape [1, 2]; the model needs [3, 4]',
    });
  });
});

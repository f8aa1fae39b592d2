/**
 * Training a sequential model: the same trajectory as the `mlp` of the same layers (on the autodiff
 * engine both take), second-order methods on its flat objective, and a data row that does not fit
 * `input` ending the run as INVALID_SPEC rather than crashing.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../../../src/data/index.js';
import { train } from '../../../src/train/index.js';
import { bitEqual, spec } from './helpers.js';

const common = {
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.02 },
  regularization: { l2: 1e-3 },
  training: { epochs: 4, batchSize: 16, validationSplit: 0.2, seed: 2 },
};
const mlp = { type: 'mlp', hidden: [6], activation: 'relu', dropout: 0.25 };
const asSequential = {
  type: 'sequential',
  input: [4],
  layers: [{ type: 'linear', out: 6 }, { type: 'relu' }, { type: 'dropout', p: 0.25 }, { type: 'linear' }],
};

describe('sequential training', () => {
  it('trains to the weights, losses and metrics of the equivalent mlp, bit for bit', async () => {
    const a = await train(spec({ ...common, model: mlp }), loadBuiltin('iris'), { engine: 'autodiff' });
    const b = await train(spec({ ...common, model: asSequential }), loadBuiltin('iris'));
    expect(b.status, b.error?.message).toBe('succeeded');
    expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights));
    for (const name of Object.keys(a.weights))
      expect(bitEqual(b.weights[name].data, a.weights[name].data), name).toBe(true);
    expect(b.result!.valLoss).toBe(a.result!.valLoss);
    expect(b.result!.metrics).toEqual(a.result!.metrics);
    expect(b.result!.sensitivity).toEqual(a.result!.sensitivity);
    expect(b.result!.curvature).toEqual(a.result!.curvature);
  });

  it('lbfgs trains a sequential model on its flat objective', async () => {
    const s = spec({
      ...common,
      model: { ...asSequential, layers: [{ type: 'linear', out: 4 }, { type: 'tanh' }, { type: 'linear' }] },
      optimizer: { type: 'lbfgs', maxIter: 5 },
      training: { epochs: 5, batchSize: 'full', dtype: 'float64' },
    });
    const out = await train(s, loadBuiltin('iris'), { diagnostics: false });
    expect(out.status, out.error?.message).toBe('succeeded');
    expect(out.result!.loss).toBeLessThan(1);
  });

  it('an input shape that does not hold the row fails the run as INVALID_SPEC', async () => {
    const s = spec({ ...common, model: asSequential });
    const data = loadBuiltin('two_moons'); // 2 features, not 4
    const out = await train(s, data);
    expect(out.status).toBe('failed');
    expect(out.error!.code).toBe('INVALID_SPEC');
  });
});

/**
 * End-of-training diagnostics: input sensitivity finds the features that matter, power iteration
 * on HVPs finds the Hessian's largest eigenvalue, and the linear-regression Hessian is 2/N·AᵀA.
 */
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../src/optim/eigen.js';
import { loadBuiltin } from '../../../src/data/index.js';
import { buildModel } from '../../../src/models/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { hessian, Tensor } from '../../../src/tensor/index.js';
import { flatObjective, train } from '../../../src/train/index.js';
import { lossCurvature } from '../../../src/train/diagnostics.js';
import { spec } from './helpers.js';

describe('input sensitivity', () => {
  it('on data where only features 0 and 2 matter, they rank first', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [16], activation: 'tanh' },
      data: { builtin: 'sensitivity' },
      loss: 'mse',
      optimizer: { type: 'adam', lr: 0.02 },
      training: { epochs: 60, batchSize: 32, validationSplit: 0.2, seed: 0 },
    });
    const out = await train(s, loadBuiltin('sensitivity'));
    const sens = out.result!.sensitivity!;
    expect(new Set(sens.ranking.slice(0, 2))).toEqual(new Set([0, 2]));
    expect(sens.rows).toBe(100);
    // the distractors are an order of magnitude weaker
    for (const j of [1, 3, 4])
      expect(sens.output[j]).toBeLessThan(0.1 * Math.min(sens.output[0], sens.output[2]));
    expect(sens.loss).toHaveLength(5);
  });
});

describe('loss curvature', () => {
  it("power iteration on HVPs equals the full Hessian's largest eigenvalue (≤ 1e-6 relative) on a small MLP", () => {
    const s = spec({
      model: { type: 'mlp', hidden: [4], activation: 'tanh' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'sgd', lr: 0.1 },
      training: { dtype: 'float64' },
    });
    const ds = loadBuiltin('iris');
    const model = buildModel(s.model as never, 4, 3, 'float64', { scheme: 'default', rng: createRng(1) });
    const c = lossCurvature(s, model, ds, createRng(2), { maxIterations: 2000, tol: 1e-14 });
    const f = flatObjective(s, model, { train: ds, val: null });
    const x = new Tensor(Float64Array.from(model.params.flatMap((p) => Array.from(p.tensor.data))), [
      c.parameters,
    ]);
    const { values } = symmetricEigen(hessian(f, x).data, c.parameters);
    const top = values.reduce((a, v) => (Math.abs(v) > Math.abs(a) ? v : a), 0);
    expect(Math.abs(c.maxEigenvalue - top) / Math.abs(top)).toBeLessThan(1e-6);
    expect(c.minEigenvalue).toBeCloseTo(values[0], 10);
    expect(c.locallyConvex).toBe(values[0] >= -1e-8 * Math.abs(top));
  });

  it('for linear regression with mse the Hessian is exactly 2/N·AᵀA, A = [X | 1]', () => {
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 0.1 },
      training: { dtype: 'float64' },
    });
    const ds = loadBuiltin('linear_regression');
    const model = buildModel({ type: 'linear' }, 5, 1, 'float64', { scheme: 'default', rng: createRng(0) });
    const f = flatObjective(s, model, { train: ds, val: null });
    const h = hessian(f, new Tensor(new Float64Array(6), [6])).data;
    const N = ds.rows;
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        let a = 0;
        for (let r = 0; r < N; r++) a += (i < 5 ? ds.x[r * 5 + i] : 1) * (j < 5 ? ds.x[r * 5 + j] : 1);
        expect(Math.abs(h[i * 6 + j] - (2 / N) * a)).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs((2 / N) * a)),
        );
      }
    }
    const c = lossCurvature(s, model, ds, createRng(0));
    expect(c.locallyConvex).toBe(true);
  });

  it('a finished job reports curvature in its result', async () => {
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.05 },
      training: { epochs: 5 },
    });
    const out = await train(s, loadBuiltin('iris'));
    expect(out.result!.curvature!.maxEigenvalue).toBeGreaterThan(0);
    expect(out.result!.curvature!.parameters).toBe(15);
  });
});

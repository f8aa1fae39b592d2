/**
 * src/models on small cases worked by hand: torch's state_dict names and shapes, seeded and given
 * initial values, the forward pass as nn.Linear computes it, the losses and metrics, and predict.
 */
import { describe, expect, it } from 'vitest';
import { buildModel, forwardDense, parameterLayout, type DenseConfig } from '../../../src/models/dense.js';
import { initDense } from '../../../src/models/init.js';
import { computeLoss, penalty } from '../../../src/models/losses.js';
import { accuracy, meanAbsoluteError, predictedClass, r2 } from '../../../src/models/metrics.js';
import { predict, PredictInputError } from '../../../src/models/predict.js';
import { createRng } from '../../../src/rng/rng.js';
import { tensor } from '../../../src/tensor/index.js';

const mlp = (hidden: number[], dropout = 0): DenseConfig => ({
  type: 'mlp',
  hidden,
  activation: 'relu',
  dropout,
});

describe('parameterLayout: torch state_dict names and shapes', () => {
  it('linear: weight [out, in], bias [out]', () => {
    expect(parameterLayout({ type: 'linear' }, 3, 2)).toEqual([
      { name: 'weight', shape: [2, 3], isWeight: true },
      { name: 'bias', shape: [2], isWeight: false },
    ]);
  });

  it('mlp: nn.Sequential indices skip the activations (and the dropouts when there are any)', () => {
    expect(parameterLayout(mlp([4, 5]), 3, 2).map((p) => `${p.name}:${p.shape.join('x')}`)).toEqual([
      '0.weight:4x3',
      '0.bias:4',
      '2.weight:5x4',
      '2.bias:5',
      '4.weight:2x5',
      '4.bias:2',
    ]);
    expect(parameterLayout(mlp([4], 0.5), 3, 2).map((p) => p.name)).toEqual([
      '0.weight',
      '0.bias',
      '3.weight',
      '3.bias',
    ]);
  });
});

describe('initialization', () => {
  it('default is U(±1/√fan_in) for weight and bias; zeros and xavier/kaiming set biases to 0', () => {
    const w = new Float64Array(400);
    const b = new Float64Array(20);
    initDense(w, b, 20, 20, 'default', createRng(0));
    const bound = 1 / Math.sqrt(20);
    expect(Math.max(...w.map(Math.abs), ...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(b.some((v) => v !== 0)).toBe(true);

    initDense(w, b, 20, 20, 'xavier_uniform', createRng(0));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 40));
    expect(b.every((v) => v === 0)).toBe(true);

    initDense(w, b, 20, 20, 'zeros', createRng(0));
    expect(w.every((v) => v === 0) && b.every((v) => v === 0)).toBe(true);
  });

  it('kaiming_normal has variance 2/fan_in', () => {
    const w = new Float64Array(100 * 100);
    initDense(w, new Float64Array(100), 100, 100, 'kaiming_normal', createRng(1));
    const v = w.reduce((s, x) => s + x * x, 0) / w.length;
    expect(Math.abs(v - 2 / 100) / (2 / 100)).toBeLessThan(0.05);
  });

  it('buildModel: same seed same parameters; given values replace only their own tensors', () => {
    const values = (m: ReturnType<typeof buildModel>) => m.params.map((p) => Array.from(p.tensor.data));
    const a = buildModel(mlp([3]), 2, 1, 'float64', { scheme: 'default', rng: createRng(5) });
    const b = buildModel(mlp([3]), 2, 1, 'float64', { scheme: 'default', rng: createRng(5) });
    expect(values(a)).toEqual(values(b));
    expect(a.params.every((p) => p.tensor.requiresGrad)).toBe(true);
    const given = buildModel(mlp([3]), 2, 1, 'float64', {
      scheme: 'default',
      rng: createRng(5),
      values: { '0.bias': Float64Array.of(7, 8, 9) },
    });
    expect(values(given)[1]).toEqual([7, 8, 9]);
    // the other layers' draws do not depend on which values were given
    expect([values(given)[0], values(given)[2], values(given)[3]]).toEqual([
      values(a)[0],
      values(a)[2],
      values(a)[3],
    ]);
  });
});

describe('forward', () => {
  it('linear is x·Wᵀ + b, as nn.Linear', () => {
    const W = tensor([[1, 2, 3], [-1, 0, 1]], { dtype: 'float64' }); // prettier-ignore
    const b = tensor([0.5, -0.5], { dtype: 'float64' });
    const x = tensor([[1, 1, 1], [2, 0, -1]], { dtype: 'float64' }); // prettier-ignore
    expect(forwardDense({ type: 'linear' }, [W, b], x).toNested()).toEqual([
      [6.5, -0.5],
      [-0.5, -3.5],
    ]);
  });

  it('mlp applies the activation between layers, not after the last', () => {
    const id = (n: number) => tensor(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))), { dtype: 'float64' }); // prettier-ignore
    const zero = tensor([0, 0], { dtype: 'float64' });
    const x = tensor([[-1, 2]], { dtype: 'float64' });
    expect(forwardDense(mlp([2]), [id(2), zero, id(2), zero], x).toNested()).toEqual([[0, 2]]); // relu(-1) = 0
    const neg = tensor([[-1, 0], [0, -1]], { dtype: 'float64' }); // prettier-ignore
    expect(forwardDense(mlp([2]), [id(2), zero, neg, zero], x).toNested()).toEqual([[0, -2]]); // no relu after
  });

  it('dropout in training needs an rng; at evaluation it is off', () => {
    const m = buildModel(mlp([4], 0.5), 2, 1, 'float64', { scheme: 'default', rng: createRng(0) });
    const x = tensor([[1, 2]], { dtype: 'float64' });
    expect(() => m.forward(x, { training: true })).toThrow(/dropout in training needs an rng/);
    expect(m.forward(x).toNested()).toEqual(m.forward(x, { training: false }).toNested());
  });
});

describe('losses', () => {
  const pred = tensor([[1], [3]], { dtype: 'float64' });
  const y = tensor([[0], [1]], { dtype: 'float64' });
  const values = { kind: 'values' as const, y };

  it('mse, mae and huber are mean-reduced, as torch', () => {
    expect(computeLoss('mse', pred, values).item()).toBe((1 + 4) / 2);
    expect(computeLoss('mae', pred, values).item()).toBe((1 + 2) / 2);
    // huber δ = 1: 0.5·1² for |e| = 1, 1·(2 − 0.5) for |e| = 2
    expect(computeLoss('huber', pred, values).item()).toBe((0.5 + 1.5) / 2);
  });

  it('bce on logits and cross_entropy on class indices', () => {
    const logits = tensor([[0], [0]], { dtype: 'float64' });
    expect(computeLoss('bce', logits, values).item()).toBeCloseTo(Math.log(2), 15);
    const two = tensor(
      [
        [0, 0],
        [2, 0],
      ],
      { dtype: 'float64' },
    );
    const ce = computeLoss('cross_entropy', two, { kind: 'classes', y: Int32Array.of(1, 0) }).item();
    expect(ce).toBeCloseTo((Math.log(2) + Math.log(1 + Math.exp(-2))) / 2, 15);
  });

  it('refuses targets of the wrong kind', () => {
    expect(() => computeLoss('cross_entropy', pred, values)).toThrow(/needs class targets/);
    expect(() => computeLoss('mse', pred, { kind: 'classes', y: Int32Array.of(0, 1) })).toThrow(
      /needs value targets/,
    );
  });

  it('penalty is l1·Σ|w| + l2·Σw² over weights only; null when both are 0', () => {
    const params = [
      { name: 'weight', tensor: tensor([1, -2], { dtype: 'float64' }), isWeight: true },
      { name: 'bias', tensor: tensor([100], { dtype: 'float64' }), isWeight: false },
    ];
    expect(penalty(params, 0.5, 0.25)!.item()).toBe(0.5 * 3 + 0.25 * 5);
    expect(penalty(params, 0, 0)).toBeNull();
  });
});

describe('metrics', () => {
  it('accuracy takes the arg-max (first on ties) or, with one column, logit > 0', () => {
    const logits = Float64Array.of(0.1, 0.9, 0.5, 0.5, 2, 1);
    expect([0, 1, 2].map((i) => predictedClass(logits, 2, i))).toEqual([1, 0, 0]);
    expect(accuracy(logits, 2, [1, 0, 1])).toBeCloseTo(2 / 3, 15);
    expect(accuracy(Float64Array.of(-1, 0, 3), 1, [0, 0, 1])).toBe(1);
    expect(accuracy(new Float64Array(0), 2, [])).toBeNaN();
  });

  it('r2 is 1 for a perfect fit, 0 for the mean, averaged over columns; MAE is the mean |error|', () => {
    const y = Float64Array.of(1, 2, 3);
    expect(r2(y, y, 1)).toBe(1);
    expect(r2(Float64Array.of(2, 2, 2), y, 1)).toBe(0);
    expect(r2(Float64Array.of(1, 5, 2, 5), Float64Array.of(1, 5, 2, 5), 2)).toBe(1); // constant column fit exactly
    expect(meanAbsoluteError(Float64Array.of(1, 1), Float64Array.of(0, 3))).toBe(1.5);
  });
});

describe('predict', () => {
  const weights = {
    weight: { shape: [2, 1], data: Float64Array.of(1, -1) },
    bias: { shape: [2], data: Float64Array.of(0, 0) },
  };

  it('cross_entropy: softmax probabilities and the arg-max class', () => {
    const out = predict({ model: { type: 'linear' }, loss: 'cross_entropy' }, weights, [[2], [-1]]);
    expect(out.classes).toEqual([0, 1]);
    const e = Math.exp(4);
    expect(out.outputs[0][0]).toBeCloseTo(e / (e + 1), 15);
    for (const row of out.outputs) expect(row[0] + row[1]).toBeCloseTo(1, 15);
  });

  it('regression returns the raw outputs, no classes', () => {
    const out = predict({ model: { type: 'linear' }, loss: 'mse' }, weights, [[3]]);
    expect(out).toEqual({ outputs: [[3, -3]] });
  });

  it('inputs of the wrong width or not finite are a PredictInputError naming the path', () => {
    const spec = { model: { type: 'linear' as const }, loss: 'mse' as const };
    expect(() => predict(spec, weights, [[1, 2]])).toThrow(PredictInputError);
    try {
      predict(spec, weights, [[1], [NaN]]);
      expect.unreachable();
    } catch (err) {
      expect((err as PredictInputError).path).toBe('/inputs/1/0');
    }
  });

  it('zero rows give zero outputs', () => {
    expect(predict({ model: { type: 'linear' }, loss: 'mse' }, weights, [])).toEqual({ outputs: [] });
  });
});

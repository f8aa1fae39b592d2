/**
 * The fused dense step (hand-written forward/backward over reused buffers) computes the same loss
 * and gradients as the autodiff engine, for every activation, loss, penalty and dropout, in float64
 * (≤ 1e-12 relative) and float32 (≤ 1e-5); and whole runs agree.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../../../src/data/index.js';
import {
  buildModel,
  computeLoss,
  penalty,
  type Activation,
  type LossName,
} from '../../../src/models/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { add, grad, Tensor, type DType } from '../../../src/tensor/index.js';
import { train } from '../../../src/train/index.js';
import { FusedDense } from '../../../src/train/fused-dense.js';
import { spec } from './helpers.js';

const activations: Activation[] = ['relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus'];
const losses: LossName[] = ['mse', 'mae', 'huber', 'bce', 'cross_entropy'];

function closeRel(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b)) + tol * 1e-3;
}

function compare(act: Activation, loss: LossName, dtype: DType, dropout: number, tol: number) {
  const rng = createRng(activations.indexOf(act) * 10 + losses.indexOf(loss));
  const rows = 7;
  const inF = 3;
  const out = loss === 'cross_entropy' ? 4 : loss === 'bce' ? 1 : 2;
  const config = { type: 'mlp' as const, hidden: [5, 4], activation: act, dropout };
  const model = buildModel(config, inF, out, dtype, { scheme: 'default', rng });
  const xd = new (dtype === 'float64' ? Float64Array : Float32Array)(rows * inF).map(() => rng.normal());
  const x = new Tensor(xd, [rows, inF]);
  const classes = Int32Array.from({ length: rows }, () => rng.int(out));
  const yd = new (dtype === 'float64' ? Float64Array : Float32Array)(rows * out).map(() =>
    loss === 'bce' ? rng.int(2) : rng.normal(),
  );
  const targets =
    loss === 'cross_entropy'
      ? ({ kind: 'classes', y: classes } as const)
      : ({ kind: 'values', y: new Tensor(yd, [rows, out]) } as const);
  const l1 = 0.01;
  const l2 = 0.02;

  const dropA = createRng(99);
  const o = model.forward(x, { training: true, rng: dropA });
  const total = add(computeLoss(loss, o, targets, 0.5), penalty(model.params, l1, l2)!);
  const gs = grad(
    total,
    model.params.map((p) => p.tensor),
  );

  const fused = new FusedDense(config, inF, out, dtype, loss, 0.5, l1, l2);
  const r = fused.step(
    model.params.map((p) => p.tensor.data),
    xd,
    loss === 'cross_entropy' ? classes : yd,
    rows,
    true,
    createRng(99),
  );
  expect(
    closeRel(r.dataLoss + r.penalty, total.item(), tol),
    `loss ${r.dataLoss + r.penalty} vs ${total.item()}`,
  ).toBe(true);
  gs.forEach((g, i) =>
    g.data.forEach((v, j) =>
      expect(
        closeRel(fused.grads[i][j], v, tol),
        `${act} ${loss} param ${i}[${j}]: ${fused.grads[i][j]} vs ${v}`,
      ).toBe(true),
    ),
  );
}

describe('fused dense step = autodiff', () => {
  for (const act of activations) {
    for (const loss of losses) {
      it(`${act} + ${loss}, float64, with dropout and L1/L2`, () =>
        compare(act, loss, 'float64', 0.3, 1e-12));
    }
    it(`${act} + cross_entropy, float32`, () => compare(act, 'cross_entropy', 'float32', 0, 1e-5));
  }

  it('whole runs with either engine end at the same weights (≤ 1e-12)', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [8], activation: 'tanh', dropout: 0.1 },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.01 },
      regularization: { l2: 1e-3 },
      training: { epochs: 5, batchSize: 16, dtype: 'float64', validationSplit: 0.2 },
    });
    const a = await train(s, loadBuiltin('iris'), { engine: 'fused' });
    const b = await train(s, loadBuiltin('iris'), { engine: 'autodiff' });
    for (const name of Object.keys(a.weights)) {
      a.weights[name].data.forEach((v, i) => expect(closeRel(v, b.weights[name].data[i], 1e-12)).toBe(true));
    }
  });
});

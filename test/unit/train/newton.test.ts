/**
 * Newton's method end to end through the training loop, with the Hessian from autodiff (double
 * backward), on least squares and on L2-regularized logistic regression.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../../../src/data/index.js';
import { train, type TrainEvent } from '../../../src/train/index.js';
import { spec } from './helpers.js';

/** Solve the normal equations [X 1]ᵀ[X 1] β = [X 1]ᵀ y by Gaussian elimination with pivoting. */
function leastSquares(x: Float64Array, y: Float64Array, rows: number, f: number): number[] {
  const n = f + 1;
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let r = 0; r < rows; r++) {
    const row = [...x.subarray(r * f, r * f + f), 1];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i][j] += row[i] * row[j];
      a[i][n] += row[i] * y[r];
    }
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const m = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= m * a[c][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

describe("Newton's method in the training loop", () => {
  it('one undamped step on least squares lands on the least-squares solution (≤ 1e-10)', async () => {
    const data = loadBuiltin('linear_regression');
    const s = spec({
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'mse',
      optimizer: { type: 'newton', damping: 0, lineSearch: false },
      training: { epochs: 1, batchSize: 'full', dtype: 'float64' },
    });
    const out = await train(s, data);
    const beta = leastSquares(data.x, data.y, data.rows, data.features);
    const got = [...out.weights.weight.data, out.weights.bias.data[0]];
    got.forEach((v, i) =>
      expect(Math.abs(v - beta[i])).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(beta[i]))),
    );
  });

  it('L2-regularized logistic regression: Newton converges in ≤ 15 iterations where gradient descent has not after 300', async () => {
    const base = {
      model: { type: 'linear' },
      data: { builtin: 'two_moons' },
      loss: 'bce',
      regularization: { l2: 0.01 },
      training: { batchSize: 'full', dtype: 'float64', shuffle: false },
    };
    const nEvents: TrainEvent[] = [];
    await train(
      spec({ ...base, optimizer: { type: 'newton' }, training: { ...base.training, epochs: 15 } }),
      loadBuiltin('two_moons'),
      {
        onEvent: (e) => nEvents.push(e),
      },
    );
    const nGrad = nEvents
      .filter((e) => e.type === 'progress')
      .map((e) => (e as { gradNorm: number }).gradNorm);
    expect(nGrad.at(-1)!).toBeLessThan(1e-10);
    // each iteration reports the relative size of its update, shrinking as Newton converges
    const ratios = nEvents
      .filter((e) => e.type === 'progress')
      .map((e) => (e as { updateRatio: number }).updateRatio);
    expect(ratios[0]).toBeGreaterThan(0);
    expect(ratios.every(Number.isFinite)).toBe(true);
    expect(ratios.at(-1)!).toBeLessThan(1e-6);
    const firstConverged = nGrad.findIndex((g) => g < 1e-8) + 1;
    expect(firstConverged).toBeGreaterThan(0);
    expect(firstConverged).toBeLessThanOrEqual(15);

    const gEvents: TrainEvent[] = [];
    await train(
      spec({ ...base, optimizer: { type: 'sgd', lr: 1 }, training: { ...base.training, epochs: 300 } }),
      loadBuiltin('two_moons'),
      {
        onEvent: (e) => gEvents.push(e),
      },
    );
    const gGrad = gEvents
      .filter((e) => e.type === 'progress')
      .map((e) => (e as { gradNorm: number }).gradNorm);
    // gradient descent is still two orders of magnitude from Newton's tolerance after 300 iterations
    expect(gGrad.at(-1)!).toBeGreaterThan(1e-7);
  });

  it('Newton-CG (Hessian-vector products only) matches full Newton on a problem above the threshold (6 parameters, threshold 4)', async () => {
    const base = {
      model: { type: 'linear' },
      data: { builtin: 'linear_regression' },
      loss: 'huber',
      huberDelta: 0.05,
      regularization: { l2: 0.01 },
      training: { epochs: 15, batchSize: 'full', dtype: 'float64' },
    };
    const full = await train(
      spec({ ...base, optimizer: { type: 'newton' } }),
      loadBuiltin('linear_regression'),
    );
    const events: TrainEvent[] = [];
    const cg = await train(
      spec({ ...base, optimizer: { type: 'newton', cgThreshold: 4 } }),
      loadBuiltin('linear_regression'),
      {
        onEvent: (e) => events.push(e),
      },
    );
    expect(events.some((e) => e.type === 'epoch' && Number(e.newton?.cgIterations) > 0)).toBe(true);
    expect(Math.abs(cg.result!.loss - full.result!.loss)).toBeLessThan(1e-12);
    const a = [...full.weights.weight.data, ...full.weights.bias.data];
    const b = [...cg.weights.weight.data, ...cg.weights.bias.data];
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-7));
  });
});

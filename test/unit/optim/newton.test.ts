import { describe, expect, it } from 'vitest';
import {
  newtonInit,
  newtonStep,
  OptimConfigError,
  resolveNewton,
  type NewtonProblem,
} from '../../../src/optim/index.js';
import { choleskyShifted, choleskySolve } from '../../../src/optim/linalg.js';

/** Rosenbrock with exact gradient, Hessian and HVP. */
const rosenbrock: NewtonProblem = {
  lossAndGrad: (x) => ({
    loss: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
    grad: Float64Array.of(-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)),
  }),
  hessian: (x) => Float64Array.of(2 - 400 * x[1] + 1200 * x[0] ** 2, -400 * x[0], -400 * x[0], 200),
  hvp: (x, v) =>
    Float64Array.of(
      (2 - 400 * x[1] + 1200 * x[0] ** 2) * v[0] - 400 * x[0] * v[1],
      -400 * x[0] * v[0] + 200 * v[1],
    ),
};

describe('newtonStep', () => {
  it('Rosenbrock from (−1.2, 1) reaches (1, 1) with line search', () => {
    const x = Float64Array.of(-1.2, 1);
    const state = newtonInit();
    let k = 0;
    for (; k < 50 && Math.hypot(x[0] - 1, x[1] - 1) > 1e-12; k++) newtonStep(x, rosenbrock, state);
    expect(Math.hypot(x[0] - 1, x[1] - 1)).toBeLessThanOrEqual(1e-12);
    expect(k).toBeLessThanOrEqual(30);
  });

  it('the Hessian and an HVP match the closed form at (1.5, 1.5)', () => {
    expect(Array.from(rosenbrock.hessian!(Float64Array.of(1.5, 1.5)))).toEqual([2102, -600, -600, 200]);
    expect(Array.from(rosenbrock.hvp!(Float64Array.of(1.5, 1.5), Float64Array.of(1, -1)))).toEqual([
      2702, -800,
    ]);
  });

  it('raises the damping ×10 until H + λI is positive definite, and records it', () => {
    // f = x² − y² + y⁴: at (0.3, 0.1) the Hessian is diag(2, −2 + 12·0.01) = diag(2, −1.88)
    const saddle: NewtonProblem = {
      lossAndGrad: (x) => ({
        loss: x[0] ** 2 - x[1] ** 2 + x[1] ** 4,
        grad: Float64Array.of(2 * x[0], -2 * x[1] + 4 * x[1] ** 3),
      }),
      hessian: (x) => Float64Array.of(2, 0, 0, -2 + 12 * x[1] ** 2),
    };
    const x = Float64Array.of(0.3, 0.1);
    const state = newtonInit();
    const d = newtonStep(x, saddle, state, { damping: 1e-4 });
    expect(d.dampingIncreases).toBe(5); // 1e-4 → 1e1 is the first λ > 1.88
    expect(d.damping).toBeCloseTo(10, 12);
    expect(d.accepted).toBe(true);
    expect(d.loss).toBeGreaterThan(d.newLoss!);
    expect(state.lastDamping).toBeCloseTo(10, 12);
    // from zero damping the ladder starts at 1e-8·max(1, max|Hᵢᵢ|)
    const d0 = newtonStep(Float64Array.of(0.3, 0.1), saddle, newtonInit(), { damping: 0 });
    expect(d0.damping).toBeCloseTo(2e-8 * 1e8, 6); // first rung above 1.88
    expect(d0.dampingIncreases).toBe(9);
  });

  it('backtracks (Armijo, halving) when the full step overshoots', () => {
    // f = √(1 + x²) from x = 2: the Newton step −x(1 + x²) = −10 overshoots to −8
    const hyperbola: NewtonProblem = {
      lossAndGrad: (x) => ({
        loss: Math.sqrt(1 + x[0] ** 2),
        grad: Float64Array.of(x[0] / Math.sqrt(1 + x[0] ** 2)),
      }),
      hessian: (x) => Float64Array.of((1 + x[0] ** 2) ** -1.5),
    };
    const x = Float64Array.of(2);
    const d = newtonStep(x, hyperbola, newtonInit(), { damping: 0 });
    expect(d.backtracks).toBeGreaterThan(0);
    expect(d.stepSize).toBe(2 ** -d.backtracks);
    expect(d.newLoss!).toBeLessThanOrEqual(d.loss + 1e-4 * d.stepSize * -d.decrement);
    expect(Math.abs(x[0])).toBeLessThan(2);
    // without line search the full step is taken
    const y = Float64Array.of(2);
    const e = newtonStep(y, hyperbola, newtonInit(), { damping: 0, lineSearch: false });
    expect(e.stepSize).toBe(1);
    expect(e.newLoss).toBeNull();
    expect(y[0]).toBeCloseTo(-8, 12);
  });

  it('rejects the step when no halving satisfies Armijo (x unchanged)', () => {
    const liar: NewtonProblem = {
      lossAndGrad: (x) => ({ loss: x[0] === 1 ? 0 : 1, grad: Float64Array.of(1) }),
      hessian: () => Float64Array.of(1),
    };
    const x = Float64Array.of(1);
    const d = newtonStep(x, liar, newtonInit(), { maxBacktracks: 5 });
    expect(d.accepted).toBe(false);
    expect(d.stepSize).toBe(0);
    expect(x[0]).toBe(1);
  });

  it('decrement = gᵀH⁻¹g on a quadratic (= 2·(f(x) − f*) )', () => {
    // f = ½xᵀAx − bᵀx, A = [[4, 1], [1, 3]], b = (1, 2)
    const A = [4, 1, 1, 3];
    const quad: NewtonProblem = {
      lossAndGrad: (x) => ({
        loss: 0.5 * (4 * x[0] ** 2 + 2 * x[0] * x[1] + 3 * x[1] ** 2) - x[0] - 2 * x[1],
        grad: Float64Array.of(4 * x[0] + x[1] - 1, x[0] + 3 * x[1] - 2),
      }),
      hessian: () => Float64Array.from(A),
    };
    const x = Float64Array.of(5, -3);
    const f0 = quad.lossAndGrad(x).loss;
    const d = newtonStep(x, quad, newtonInit(), { damping: 0 });
    const fStar = quad.lossAndGrad(x).loss;
    expect(d.decrement).toBeCloseTo(2 * (f0 - fStar), 10);
    expect(x[0]).toBeCloseTo(1 / 11, 14);
    expect(x[1]).toBeCloseTo(7 / 11, 14);
  });

  it('Newton-CG falls back to scaled steepest descent on negative curvature at the first CG iteration', () => {
    const n = 3;
    const concave: NewtonProblem = {
      lossAndGrad: (x) => ({
        loss: -0.5 * (x[0] ** 2 + x[1] ** 2 + x[2] ** 2),
        grad: Float64Array.from(x, (v) => -v),
      }),
      hvp: (_x, v) => Float64Array.from(v, (e) => -e),
    };
    const x = Float64Array.of(1, 2, 3);
    const d = newtonStep(x, concave, newtonInit(), { cgThreshold: 2, damping: 0 });
    expect(d.method).toBe('cg');
    expect(d.cgStop).toBe('negative-curvature');
    expect(d.steepestDescent).toBe(true);
    expect(d.newLoss!).toBeLessThan(d.loss);
    expect(n).toBe(x.length);
  });

  it('uses CG when only hvp is given, even below the threshold; errors without hessian and hvp', () => {
    const x = Float64Array.of(-1.2, 1);
    const d = newtonStep(x, { lossAndGrad: rosenbrock.lossAndGrad, hvp: rosenbrock.hvp }, newtonInit());
    expect(d.method).toBe('cg');
    expect(() => newtonStep(x, { lossAndGrad: rosenbrock.lossAndGrad }, newtonInit())).toThrow(
      /neither hessian nor hvp/,
    );
  });

  it('state and diagnostics survive JSON unchanged', () => {
    const x = Float64Array.of(-1.2, 1);
    const state = newtonInit();
    const d = newtonStep(x, rosenbrock, state);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    // a resumed run continues identically
    const resumed = JSON.parse(JSON.stringify(state)) as typeof state;
    const y = x.slice();
    const a = newtonStep(x, rosenbrock, state);
    const b = newtonStep(y, rosenbrock, resumed);
    expect(b).toEqual(a);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('a zero gradient is a no-op step', () => {
    const x = Float64Array.of(1, 1);
    const d = newtonStep(x, rosenbrock, newtonInit());
    expect(d.gradNorm).toBe(0);
    expect(d.decrement).toBe(0);
    expect(Array.from(x)).toEqual([1, 1]);
  });

  it('validates hyper-parameters and accepts a JobSpec newton object', () => {
    expect(() => resolveNewton({ damping: -1 })).toThrow(OptimConfigError);
    expect(() => resolveNewton({ armijoC: 1 })).toThrow(/armijoC/);
    expect(() => resolveNewton({ cgMaxIter: 0 })).toThrow(/cgMaxIter/);
    expect(
      resolveNewton({ type: 'newton', damping: 1e-3, lineSearch: false, cgThreshold: 10, maxIter: 7 }),
    ).toMatchObject({
      damping: 1e-3,
      lineSearch: false,
      cgThreshold: 10,
      cgMaxIter: 7,
    });
  });
});

describe('Cholesky helpers', () => {
  it('solve a small SPD system and report failure on an indefinite one', () => {
    const A = Float64Array.of(4, 2, 0, 2, 5, 1, 0, 1, 3);
    const L = new Float64Array(9);
    expect(choleskyShifted(A, 3, 0, L)).toBe(true);
    const x = Float64Array.of(2, 8, 4);
    choleskySolve(L, 3, x);
    const back = [4 * x[0] + 2 * x[1], 2 * x[0] + 5 * x[1] + x[2], x[1] + 3 * x[2]];
    back.forEach((v, i) => expect(v).toBeCloseTo([2, 8, 4][i], 13));
    expect(choleskyShifted(Float64Array.of(1, 2, 2, 1), 2, 0, new Float64Array(4))).toBe(false);
    expect(choleskyShifted(Float64Array.of(1, 2, 2, 1), 2, 2, new Float64Array(4))).toBe(true);
  });
});

/**
 * Damped Newton / Newton-CG (src/optim/newton.ts) on analytic problems with torch references
 * (test/golden/fixtures/optim_newton.json, from scripts/fixtures/optim_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  newtonInit,
  newtonStep,
  type NewtonDiagnostics,
  type NewtonHyper,
  type NewtonProblem,
} from '../../src/optim/index.js';
import { createRng } from '../../src/rng/rng.js';
import { leastSquares, logistic } from '../unit/optim/problems.js';

interface LsqFixture {
  rows: number;
  cols: number;
  x: number[];
  y: number[];
  start: number[];
  solution: number[];
}
interface LogisticFixture extends LsqFixture {
  lambda: number;
  optimum: number[];
  lossAtOptimum: number;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/optim_newton.json', import.meta.url), 'utf8')) as {
  leastSquares: LsqFixture;
  logistic: LogisticFixture;
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Runs Newton until the decrement is tiny; returns the iterate and every iteration's diagnostics. */
function solve(
  problem: NewtonProblem,
  start: ArrayLike<number>,
  hp: Partial<NewtonHyper>,
  maxIter: number,
  tol = 1e-24,
) {
  const x = Float64Array.from(start);
  const state = newtonInit();
  const diags: NewtonDiagnostics[] = [];
  for (let k = 0; k < maxIter; k++) {
    const d = newtonStep(x, problem, state, hp);
    diags.push(d);
    if (d.decrement <= tol) break;
  }
  return { x, diags, state };
}

describe('Newton on least squares', () => {
  const f = fx.leastSquares;
  const problem = leastSquares(Float64Array.from(f.x), Float64Array.from(f.y), f.rows, f.cols);

  it('one undamped step lands on torch.linalg.lstsq’s solution (≤ 1e-10 relative)', () => {
    const x = Float64Array.from(f.start);
    const d = newtonStep(x, problem, newtonInit(), { damping: 0 });
    expect(d.accepted).toBe(true);
    expect(d.stepSize).toBe(1);
    expect(d.method).toBe('cholesky');
    expect(maxAbsDiff(x, f.solution) / maxAbs(f.solution)).toBeLessThanOrEqual(1e-10);
  });

  it('with the default damping 1e-4 it still converges in a few steps', () => {
    const { x, diags } = solve(problem, f.start, {}, 10);
    expect(diags.length).toBeLessThanOrEqual(6);
    expect(diags[0].damping).toBe(1e-4);
    expect(maxAbsDiff(x, f.solution) / maxAbs(f.solution)).toBeLessThanOrEqual(1e-10);
  });
});

describe('Newton on L2-regularized logistic regression', () => {
  const f = fx.logistic;
  const X = Float64Array.from(f.x);
  const y = Float64Array.from(f.y);
  const problem = logistic(X, y, f.rows, f.cols, f.lambda);

  it('the analytic loss agrees with torch at the optimum', () => {
    const { loss, grad } = problem.lossAndGrad(Float64Array.from(f.optimum));
    expect(Math.abs(loss - f.lossAtOptimum)).toBeLessThanOrEqual(1e-14);
    expect(maxAbs(grad)).toBeLessThanOrEqual(1e-12);
  });

  it.each([
    ['default damping 1e-4', {}],
    ['undamped', { damping: 0 }],
  ] as const)('%s: reaches the torch optimum (≤ 1e-8) within 15 iterations', (_name, hp) => {
    const x = Float64Array.from(f.start);
    const state = newtonInit();
    let reached = -1;
    for (let k = 1; k <= 15 && reached < 0; k++) {
      newtonStep(x, problem, state, hp);
      if (maxAbsDiff(x, f.optimum) <= 1e-8) reached = k;
    }
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThanOrEqual(15);
    // and it stays there (the line search does not wander off in the rounding noise)
    for (let k = 0; k < 5; k++) newtonStep(x, problem, state, hp);
    expect(maxAbsDiff(x, f.optimum)).toBeLessThanOrEqual(1e-12);
  });

  it('needs far fewer iterations than gradient descent with step 1/L (count printed)', () => {
    // Newton: iterations until ‖w − w*‖∞ ≤ 1e-8
    const x = Float64Array.from(f.start);
    const state = newtonInit();
    let newtonIters = 0;
    while (maxAbsDiff(x, f.optimum) > 1e-8 && newtonIters < 50) {
      newtonStep(x, problem, state, {});
      newtonIters++;
    }
    // Gradient descent with the safe step 1/L, L = λmax(XᵀX)/(4N) + λ ≥ the largest Hessian eigenvalue
    const cols = f.cols;
    let v = new Float64Array(cols).fill(1);
    let lambdaMax = 0;
    for (let k = 0; k < 200; k++) {
      const xv = new Float64Array(f.rows);
      for (let i = 0; i < f.rows; i++) for (let j = 0; j < cols; j++) xv[i] += X[i * cols + j] * v[j];
      const w = new Float64Array(cols);
      for (let i = 0; i < f.rows; i++) for (let j = 0; j < cols; j++) w[j] += X[i * cols + j] * xv[i];
      lambdaMax = Math.hypot(...w); // ‖XᵀX v‖ with ‖v‖ = 1 → λmax(XᵀX)
      v = w.map((e) => e / lambdaMax);
    }
    const L = lambdaMax / (4 * f.rows) + f.lambda;
    const g = Float64Array.from(f.start);
    // Uncapped, gradient descent needs 69 277 iterations on this problem (κ ≈ 5·10⁴); 3000 keeps the test fast.
    const gdCap = 3000;
    let gdIters = 0;
    while (maxAbsDiff(g, f.optimum) > 1e-8 && gdIters < gdCap) {
      const { grad } = problem.lossAndGrad(g);
      for (let j = 0; j < cols; j++) g[j] -= grad[j] / L;
      gdIters++;
    }
    const gdDistance = maxAbsDiff(g, f.optimum);
    console.log(
      `logistic regression to 1e-8: Newton ${newtonIters} iterations; gradient descent (step 1/L) ` +
        `after ${gdIters} iterations is still ${gdDistance.toExponential(2)} away`,
    );
    expect(newtonIters).toBeLessThanOrEqual(15);
    expect(gdIters).toBe(gdCap);
    expect(gdDistance).toBeGreaterThan(1e-8);
  });
});

describe('Newton-CG above the threshold', () => {
  // n = 600 > cgThreshold 500; 300 rows < 600 features, so only the L2 term makes it strictly convex.
  const rows = 300;
  const cols = 600;
  const lambda = 1e-2;
  const rng = createRng(42);
  const X = new Float64Array(rows * cols);
  for (let i = 0; i < X.length; i++) X[i] = (rng.normal() / Math.sqrt(cols)) * (1 + (i % cols) / 100);
  const wTrue = new Float64Array(cols);
  for (let j = 0; j < cols; j++) wTrue[j] = rng.normal();
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += X[i * cols + j] * wTrue[j];
    y[i] = rng.next() < 1 / (1 + Math.exp(-s)) ? 1 : 0;
  }
  const problem = logistic(X, y, rows, cols, lambda);

  it('uses only HVPs and matches full (Cholesky) Newton', () => {
    const full = solve(problem, new Float64Array(cols), { cgThreshold: Infinity }, 30, 1e-26);
    expect(full.diags.every((d) => d.method === 'cholesky')).toBe(true);

    const hvpOnly: NewtonProblem = { lossAndGrad: problem.lossAndGrad, loss: problem.loss, hvp: problem.hvp };
    const cg = solve(hvpOnly, new Float64Array(cols), {}, 30, 1e-26);
    expect(cg.diags.every((d) => d.method === 'cg')).toBe(true);
    expect(cg.state.hessianEvaluations).toBe(0);
    expect(cg.state.hvpEvaluations).toBeGreaterThan(0);
    console.log(
      `n=600 logistic: full Newton ${full.diags.length} iterations; Newton-CG ${cg.diags.length} iterations, ` +
        `CG iterations ${cg.diags.map((d) => d.cgIterations).join(',')}`,
    );
    expect(maxAbsDiff(cg.x, full.x)).toBeLessThanOrEqual(1e-8);
    const { grad } = problem.lossAndGrad(cg.x);
    expect(maxAbs(grad)).toBeLessThanOrEqual(1e-10);
  });
});

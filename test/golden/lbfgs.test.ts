/**
 * L-BFGS reproduces torch.optim.LBFGS (torch 1.13, float64) step by step, with and without the
 * strong-Wolfe line search, on Rosenbrock (2-D and 4-D), a small L2-regularized logistic
 * regression, Σ√(1 + x²) with a huge lr (the zoom phase's 10%-from-the-ends safeguard) and the
 * unbounded −x + y² (the line search's 25-evaluation cap). Every step's parameters, returned loss,
 * loss after the step and torch's func_evals / n_iter counters are compared. Fixtures: scripts/fixtures/lbfgs_fixtures.py → test/golden/fixtures/lbfgs.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cubicInterpolate,
  lbfgsInit,
  lbfgsStep,
  lbfgsStepParams,
  type LbfgsClosure,
} from '../../src/optim/lbfgs.js';

interface Step {
  x: number[];
  loss: number;
  lossAfter: number;
  funcEvals: number;
  nIter: number;
}
interface Case {
  name: string;
  problem: 'rosenbrock' | 'logistic' | 'softabs' | 'linear_valley';
  options: {
    lr: number;
    maxIter: number;
    maxEval: number | null;
    toleranceGrad: number;
    toleranceChange: number;
    historySize: number;
    lineSearchFn: 'strong_wolfe' | null;
  };
  x0: number[];
  steps: Step[];
  data?: { X: number[][]; y: number[]; lambda: number };
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/lbfgs.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

/** Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², with its analytic gradient. */
const rosenbrock: LbfgsClosure = (x) => {
  const n = x.length;
  const grad = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n - 1; i++) {
    const a = x[i + 1]! - x[i]! ** 2;
    const b = 1 - x[i]!;
    loss += 100 * a * a + b * b;
    grad[i]! += -400 * x[i]! * a - 2 * b;
    grad[i + 1]! += 200 * a;
  }
  return { loss, grad };
};

/** Σ √(1 + x_i²), gradient x_i / √(1 + x_i²). */
const softabs: LbfgsClosure = (x) => {
  let loss = 0;
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const r = Math.sqrt(1 + x[i]! ** 2);
    loss += r;
    grad[i] = x[i]! / r;
  }
  return { loss, grad };
};

/** −x + y². */
const linearValley: LbfgsClosure = (x) => ({
  loss: -x[0]! + x[1]! ** 2,
  grad: Float64Array.from([-1, 2 * x[1]!]),
});

const closures: Record<string, LbfgsClosure> = { rosenbrock, softabs, linear_valley: linearValley };

/** mean(log(1 + e^z) − y z) + λ/2‖w‖², z = Xw + b; params [w…, b]. */
function logistic(X: number[][], y: number[], lambda: number): LbfgsClosure {
  return (p) => {
    const nf = p.length - 1;
    const grad = new Float64Array(p.length);
    let loss = 0;
    for (let r = 0; r < X.length; r++) {
      let z = p[nf]!;
      for (let j = 0; j < nf; j++) z += X[r]![j]! * p[j]!;
      loss += Math.log(1 + Math.exp(z)) - y[r]! * z;
      const e = Math.exp(z);
      const dz = (e / (1 + e) - y[r]!) / X.length;
      for (let j = 0; j < nf; j++) grad[j]! += dz * X[r]![j]!;
      grad[nf]! += dz;
    }
    loss /= X.length;
    let reg = 0;
    for (let j = 0; j < nf; j++) {
      reg += p[j]! * p[j]!;
      grad[j]! += lambda * p[j]!;
    }
    return { loss: loss + 0.5 * lambda * reg, grad };
  };
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

describe('L-BFGS matches torch.optim.LBFGS (float64)', () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: ${c.steps.length} × .step(), line search ${c.options.lineSearchFn ?? 'none'}`, () => {
      const closure =
        c.problem === 'logistic' ? logistic(c.data!.X, c.data!.y, c.data!.lambda) : closures[c.problem]!;
      const x = Float64Array.from(c.x0);
      const state = lbfgsInit();
      const opts = { ...c.options, maxEval: c.options.maxEval ?? undefined };
      for (const [k, expected] of c.steps.entries()) {
        const r = lbfgsStep(x, closure, state, opts);
        expect(relErr(r.loss, expected.loss), `step ${k} loss`).toBeLessThanOrEqual(1e-8);
        for (let i = 0; i < x.length; i++) {
          expect(relErr(x[i]!, expected.x[i]!), `step ${k} x[${i}]`).toBeLessThanOrEqual(1e-8);
        }
        expect(relErr(closure(x).loss, expected.lossAfter), `step ${k} loss after`).toBeLessThanOrEqual(1e-8);
        expect(state.funcEvals, `step ${k} func_evals`).toBe(expected.funcEvals);
        expect(state.nIter, `step ${k} n_iter`).toBe(expected.nIter);
      }
    });
  }

  it('cubic interpolation finds the minimizer of a cubic and falls back to the midpoint', () => {
    // f(t) = (t − 1)² has its minimum at 1; a cubic through (0, f, f') and (3, f, f') recovers it.
    const f = (t: number) => (t - 1) ** 2;
    const g = (t: number) => 2 * (t - 1);
    expect(cubicInterpolate(0, f(0), g(0), 3, f(3), g(3))).toBeCloseTo(1, 12);
    expect(cubicInterpolate(3, f(3), g(3), 0, f(0), g(0))).toBeCloseTo(1, 12);
    // clamped to the bounds
    expect(cubicInterpolate(0, f(0), g(0), 3, f(3), g(3), [2, 5])).toBe(2);
    // no real minimizer (d1² < g1·g2): midpoint of the bounds
    expect(cubicInterpolate(0, 0, 1, 1, 0.5, 1)).toBe(0.5);
  });
});

describe('lbfgsStepParams (several parameter arrays, flattened like torch)', () => {
  it('follows the same trajectory as the flat form on the logistic fixture', () => {
    const c = fixtures.cases.find((k) => k.name === 'logistic_strong_wolfe')!;
    const closure = logistic(c.data!.X, c.data!.y, c.data!.lambda);
    const w = Float64Array.from(c.x0.slice(0, 3));
    const b = Float64Array.from(c.x0.slice(3));
    const state = lbfgsInit();
    const opts = { ...c.options, maxEval: c.options.maxEval ?? undefined };
    for (const expected of c.steps) {
      lbfgsStepParams(
        [w, b],
        () => {
          const r = closure(Float64Array.from([...w, ...b]));
          return { loss: r.loss, grads: [r.grad.subarray(0, 3), r.grad.subarray(3)] };
        },
        state,
        opts,
      );
      [...w, ...b].forEach((v, i) => expect(relErr(v, expected.x[i]!)).toBeLessThanOrEqual(1e-8));
    }
    expect(state.nIter).toBe(c.steps.at(-1)!.nIter);
  });
});

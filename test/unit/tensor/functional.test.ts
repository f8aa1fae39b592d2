/**
 * hvp / hessian / jacobian: against finite differences, and against closed forms —
 * Rosenbrock at (1.5, 1.5): H = [[2102, −600], [−600, 200]], H·(1, −1) = (2702, −800);
 * least squares f(w) = mean((A w − y)²): H = (2/N)·AᵀA.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  add,
  exp,
  hessian,
  hvp,
  jacobian,
  logsumexp,
  matmul,
  mean,
  mul,
  pow,
  sin,
  slice,
  sub,
  sum,
  tanh,
  grad,
  reshape,
} from '../../../src/tensor/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { firstMismatch, numericHessian, numericJacobian, randomTensor } from '../../helpers/gradcheck.js';

const f64 = (v: number[], shape?: number[]): Tensor =>
  tensor(Float64Array.from(v), { dtype: 'float64', shape: shape ?? [v.length] });

/** Rosenbrock (1 − x₀)² + 100 (x₁ − x₀²)² on a [2] tensor. */
const rosenbrock = (x: Tensor): Tensor => {
  const a = slice(x, 0, 0, 1);
  const b = slice(x, 0, 1, 2);
  return sum(add(pow(sub(1, a), 2), mul(100, pow(sub(b, pow(a, 2)), 2))));
};

function expectNear(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rel: number,
  abs: number,
  what: string,
): void {
  const m = firstMismatch(got, want, rel, abs);
  expect(m, `${what}: element ${m?.index}: got ${m?.got}, want ${m?.want}`).toBeNull();
}

describe('Rosenbrock at (1.5, 1.5)', () => {
  const x = f64([1.5, 1.5]);
  it('hessian = [[2102, −600], [−600, 200]]', () => {
    const H = hessian(rosenbrock, x);
    expect([...H.shape]).toEqual([2, 2]);
    expect(Array.from(H.data)).toEqual([2102, -600, -600, 200]); // every intermediate is dyadic: exact
  });
  it('hvp with v = (1, −1) = (2702, −800)', () => {
    const Hv = hvp(rosenbrock, x, f64([1, -1]));
    expect([...Hv.shape]).toEqual([2]);
    expect(Array.from(Hv.data)).toEqual([2702, -800]);
  });
  it('gradient = (2(x₀−1) − 400x₀(x₁−x₀²), 200(x₁−x₀²)) = (451, −150)', () => {
    const xl = f64([1.5, 1.5]).requireGrad();
    expectNear(grad(rosenbrock(xl), [xl])[0].data, [451, -150], 1e-14, 0, 'rosenbrock grad');
  });
  it('does not leave gradients on x', () => {
    const xl = f64([1.5, 1.5]).requireGrad();
    hessian(rosenbrock, xl);
    hvp(rosenbrock, xl, f64([1, -1]));
    expect(xl.grad).toBeNull();
  });
});

describe('least squares f(w) = mean((A w − y)²)', () => {
  const rng = createRng(99);
  const N = 7;
  const d = 3;
  const A = randomTensor(rng, [N, d], { requiresGrad: false });
  const y = randomTensor(rng, [N, 1], { requiresGrad: false });
  const w = randomTensor(rng, [d, 1], { requiresGrad: false });
  const f = (wt: Tensor): Tensor => mean(pow(sub(matmul(A, wt), y), 2));
  // (2/N) AᵀA computed directly
  const AtA = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += A.data[n * d + i] * A.data[n * d + j];
      AtA[i * d + j] = (2 / N) * s;
    }
  it('hessian = (2/N)·AᵀA (shape [d,1,d,1])', () => {
    const H = hessian(f, w);
    expect([...H.shape]).toEqual([d, 1, d, 1]);
    expectNear(H.data, AtA, 1e-15, 1e-16, 'least-squares hessian'); // equal up to an ulp or two
  });
  it('hvp = (2/N)·AᵀA·v', () => {
    const v = randomTensor(rng, [d, 1], { requiresGrad: false });
    const want = Array.from({ length: d }, (_, i) =>
      AtA.slice(i * d, i * d + d).reduce((s, a, j) => s + a * v.data[j], 0),
    );
    const Hv = hvp(f, w, v);
    expect([...Hv.shape]).toEqual([d, 1]);
    expectNear(Hv.data, want, 1e-14, 1e-16, 'least-squares hvp');
  });
});

describe('hessian / hvp / jacobian of a generic function vs finite differences', () => {
  const rng = createRng(3);
  const x = randomTensor(rng, [2, 3], { requiresGrad: false });
  // non-separable, every op has a non-zero second derivative
  const g = (t: Tensor): Tensor =>
    add(sum(mul(tanh(t), pow(t, 2))), logsumexp(reshape(mul(t, sin(t)), [6]), 0));
  it('hessian matches differences of the gradient, is symmetric, shape [2,3,2,3]', () => {
    const H = hessian(g, x);
    expect([...H.shape]).toEqual([2, 3, 2, 3]);
    expectNear(H.data, numericHessian(g, x), 1e-6, 1e-6, 'hessian vs FD');
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) expect(Math.abs(H.data[i * 6 + j] - H.data[j * 6 + i])).toBeLessThan(1e-12);
  });
  it('hvp equals hessian·v', () => {
    const v = randomTensor(rng, [2, 3], { requiresGrad: false });
    const H = hessian(g, x);
    const want = Array.from({ length: 6 }, (_, i) =>
      Array.from(H.data.subarray(i * 6, i * 6 + 6)).reduce((s, a, j) => s + a * v.data[j], 0),
    );
    const Hv = hvp(g, x, v);
    expect([...Hv.shape]).toEqual([2, 3]);
    expectNear(Hv.data, want, 1e-12, 1e-13, 'hvp vs H·v');
  });
  it('jacobian of [3] → [2,2] matches differences, shape [2,2,3]', () => {
    const z = randomTensor(rng, [3], { requiresGrad: false });
    const W = randomTensor(rng, [3, 4], { requiresGrad: false });
    const h = (t: Tensor): Tensor => reshape(exp(tanh(matmul(reshape(t, [1, 3]), W))), [2, 2]);
    const J = jacobian(h, z);
    expect([...J.shape]).toEqual([2, 2, 3]);
    expectNear(J.data, numericJacobian(h, z).data, 1e-6, 1e-6, 'jacobian vs FD');
  });
  it('jacobian of the gradient is the hessian', () => {
    const gradOf = (t: Tensor): Tensor => grad(g(t), [t], { createGraph: true })[0];
    const J = jacobian(gradOf, x);
    expect([...J.shape]).toEqual([2, 3, 2, 3]);
    expectNear(J.data, hessian(g, x).data, 1e-12, 1e-13, 'jacobian(grad) vs hessian');
  });
});

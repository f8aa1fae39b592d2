/**
 * The fused batch norm ops and relu's bit-level float32 path against their references: relu and its
 * mask equal the plain float loop on every special value (±0, ±∞, NaN of both signs, subnormals),
 * and batchNorm / batchNormEval equal their op composites in value, gradient and Hessian-vector
 * product, float64 and float32, with and without the affine parameters.
 */
import { describe, expect, it } from 'vitest';
import {
  batchNorm,
  batchNormEval,
  batchNormEvalOps,
  batchNormOps,
  grad,
  mul,
  relu,
  sum,
  tensor,
  type Tensor,
} from '../../../src/tensor/index.js';
import { createRng } from '../../../src/rng/rng.js';

const specials = [
  0,
  -0,
  1,
  -1,
  1e-45,
  -1e-45,
  1.2e-38,
  -1.2e-38,
  3.4e38,
  -3.4e38,
  Infinity,
  -Infinity,
  NaN,
  0.5,
  -2.5,
];

/** The values as float32, then a positive and a negative quiet NaN (x64 arithmetic makes the latter). */
function withNaNs(values: number[]): Float32Array {
  const arr = new Float32Array(values.length + 2);
  arr.set(values);
  const bits = new Int32Array(arr.buffer);
  bits[values.length] = 0x7fc00000;
  bits[values.length + 1] = 0xffc00000 | 0;
  return arr;
}

describe('relu float32 bit path', () => {
  it('value and gradient equal the float loop on special values, NaNs of both signs', () => {
    const xs = withNaNs(specials);
    const x = tensor(xs, { requiresGrad: true });
    const y = relu(x);
    const gs = Float32Array.from(xs, (_, i) => (i % 3 === 0 ? -1.5 : 2.25));
    const [gx] = grad(y, [x], { gradOutput: tensor(gs) });
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      const want = !(v <= 0) ? v : 0;
      expect(
        Object.is(y.data[i], want) || (Number.isNaN(want) && Number.isNaN(y.data[i])),
        `relu(${v})`,
      ).toBe(true);
      expect(gx.data[i], `relu'(${v})`).toBe(v <= 0 ? 0 : gs[i]);
    }
  });
});

function randn(rng: ReturnType<typeof createRng>, n: number, scale = 1, shift = 0): number[] {
  return Array.from({ length: n }, () => rng.uniform(-1, 1) * scale + shift);
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs(a[i] - b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(b[i])),
    );
  }
}

describe.each([
  ['float64', 1e-12],
  ['float32', 2e-5],
] as const)('fused batch norm vs the op composite, %s', (dtype, tol) => {
  const shape = [3, 2, 2, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  for (const affine of [true, false]) {
    for (const training of [true, false]) {
      it(`${training ? 'training' : 'eval'}${affine ? ', affine' : ''}: value, gradient, H·v`, () => {
        const rng = createRng(7 + (affine ? 1 : 0) + (training ? 2 : 0));
        const x = tensor(randn(rng, n, 2, 0.5), { shape, dtype, requiresGrad: true });
        const w = tensor(randn(rng, 2, 1, 1), { dtype, requiresGrad: true });
        const b = tensor(randn(rng, 2), { dtype, requiresGrad: true });
        const rm = [0.3, -0.2];
        const rv = [1.5, 0.7];
        const p = affine ? [w, b] : [];
        const fused = (xx: Tensor) =>
          training
            ? batchNorm(xx, 1e-5, ...(p as [Tensor, Tensor])).y
            : batchNormEval(xx, rm, rv, 1e-5, ...p);
        const ops = (xx: Tensor) =>
          training
            ? batchNormOps(xx, 1e-5, ...(p as [Tensor, Tensor]))
            : batchNormEvalOps(xx, rm, rv, 1e-5, ...p);
        const wt = tensor(randn(rng, n), { shape, dtype });
        const v = [x, ...p].map((t) => tensor(randn(rng, t.size), { shape: [...t.shape], dtype }));
        const results = [fused, ops].map((f) => {
          const y = f(x);
          const wrt = [x, ...p];
          const g1 = grad(sum(mul(y, wt)), wrt);
          const g2 = grad(sum(mul(f(x), wt)), wrt, { createGraph: true });
          let dot = sum(mul(g2[0], v[0]));
          for (let j = 1; j < wrt.length; j++) dot = dot.add(sum(mul(g2[j], v[j])));
          const hv = training || affine ? grad(dot, wrt) : [];
          return { y, g1, hv };
        });
        const [a, r] = results;
        close(a.y.data, r.y.data, tol, 'y');
        a.g1.forEach((g, j) => close(g.data, r.g1[j].data, tol, `grad ${j}`));
        a.hv.forEach((h, j) => close(h.data, r.hv[j].data, tol, `H·v ${j}`));
      });
    }
  }
});

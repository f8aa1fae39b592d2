/**
 * Gradients at kinks and ties, as PyTorch 1.13 defines them (measured with it in
 * test/golden/fixtures/grad.json): relu'(0) = 0, |x|'(0) = 0, sqrt'(0) = +∞, full max/min split ties
 * evenly, max/min over an axis send the gradient to the first maximal index, maximum/minimum split a tie
 * 0.5/0.5, clamp passes gradient 1 at a bound. Plus the second-order anchor d²(x³)/dx² at 2 = 12.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  abs,
  clamp,
  grad,
  leakyRelu,
  max,
  maximum,
  min,
  minimum,
  mul,
  pow,
  relu,
  sqrt,
  sum,
  elu,
} from '../../../src/tensor/index.js';

const f64 = (v: number[] | number[][], requiresGrad = true): Tensor =>
  tensor(v, { dtype: 'float64', requiresGrad });
/** d sum(f(x)) / dx as a flat array. */
const gradOfSum = (f: (x: Tensor) => Tensor, x: Tensor): number[] => plain(grad(sum(f(x)), [x])[0]);
/** Values with −0 read as 0 (toEqual tells them apart; torch's conventions are about values). */
const plain = (t: Tensor): number[] => t.toArray().map((v) => (v === 0 ? 0 : v));

describe('kinks (torch 1.13 conventions)', () => {
  it("relu'(0) = 0, also at -0", () => {
    expect(gradOfSum(relu, f64([-1.5, -0, 0, 2]))).toEqual([0, 0, 0, 1]);
  });
  it("|x|'(0) = 0", () => {
    expect(gradOfSum(abs, f64([-1.5, -0, 0, 2]))).toEqual([-1, 0, 0, 1]);
  });
  it("leakyRelu'(0) = slope, elu'(0) = alpha (torch: the x ≤ 0 branch)", () => {
    expect(gradOfSum((x) => leakyRelu(x, 0.1), f64([-1, 0, 1]))).toEqual([0.1, 0.1, 1]);
    expect(gradOfSum((x) => elu(x, 0.5), f64([0, 1]))).toEqual([0.5, 1]);
  });
  it("sqrt'(0) = +Infinity", () => {
    expect(gradOfSum(sqrt, f64([0, 4]))).toEqual([Infinity, 0.25]);
  });
  it('clamp passes gradient 1 at both bounds, 0 outside', () => {
    expect(gradOfSum((x) => clamp(x, -0.5, 0.7), f64([-0.5, 0.7, 0.1, -1, 1]))).toEqual([1, 1, 1, 0, 0]);
    expect(gradOfSum((x) => clamp(x, -0.5, null), f64([-0.5, -1]))).toEqual([1, 0]);
    expect(gradOfSum((x) => clamp(x, null, 0.7), f64([0.7, 1]))).toEqual([1, 0]);
  });
  it('maximum/minimum split a tie 0.5/0.5', () => {
    const a = f64([1, 2, 3]);
    const b = f64([1, 0, 3]);
    const [ga, gb] = grad(sum(maximum(a, b)), [a, b]);
    expect(ga.toArray()).toEqual([0.5, 1, 0.5]);
    expect(gb.toArray()).toEqual([0.5, 0, 0.5]);
    const [ha, hb] = grad(sum(minimum(a, b)), [a, b]);
    expect(ha.toArray()).toEqual([0.5, 0, 0.5]);
    expect(hb.toArray()).toEqual([0.5, 1, 0.5]);
  });
  it('full max/min split ties evenly (1/3 each for three)', () => {
    const x = f64([
      [1, 3, 3],
      [3, 0, 2],
    ]);
    const third = 1 / 3;
    expect(grad(max(x), [x])[0].toArray()).toEqual([0, third, third, third, 0, 0]);
    const y = f64([
      [-1, -3, -3],
      [-3, 0, -2],
    ]);
    expect(grad(min(y), [y])[0].toArray()).toEqual([0, third, third, third, 0, 0]);
    const z = f64([5, 5]);
    expect(grad(max(z), [z])[0].toArray()).toEqual([0.5, 0.5]);
  });
  it('max/min over an axis send the whole gradient to the first maximal index', () => {
    const x = f64([
      [3, 3, 1],
      [0, 2, 2],
    ]);
    expect(grad(sum(max(x, 1)), [x])[0].toArray()).toEqual([1, 0, 0, 0, 1, 0]);
    expect(plain(grad(sum(min(mul(x, -1), 1)), [x])[0])).toEqual([-1, 0, 0, 0, -1, 0]);
    const y = f64([
      [2, 1],
      [2, 1],
      [0, 1],
    ]);
    expect(grad(sum(max(y, 0)), [y])[0].toArray()).toEqual([1, 1, 0, 0, 0, 0]);
    expect(grad(sum(max(y, 0, true)), [y])[0].toArray()).toEqual([1, 1, 0, 0, 0, 0]);
  });
});

describe('second order', () => {
  it('d²(x³)/dx² at 2 = 12 and d³ = 6 (pow and repeated mul)', () => {
    for (const cube of [(x: Tensor) => pow(x, 3), (x: Tensor) => mul(x, mul(x, x))]) {
      const x = tensor(2, { dtype: 'float64', requiresGrad: true });
      const [g1] = grad(cube(x), [x], { createGraph: true });
      expect(g1.item()).toBe(12);
      expect(g1.requiresGrad).toBe(true);
      const [g2] = grad(g1, [x], { createGraph: true });
      expect(g2.item()).toBe(12);
      const [g3] = grad(g2, [x]);
      expect(g3.item()).toBe(6);
    }
  });
  it('without createGraph the gradient is a constant (no graph)', () => {
    const x = tensor(2, { dtype: 'float64', requiresGrad: true });
    const [g1] = grad(pow(x, 3), [x]);
    expect(g1.requiresGrad).toBe(false);
  });
});

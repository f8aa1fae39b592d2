/**
 * Autodiff plumbing: accumulation, reuse of a node, grad() vs backward(), gradOutput, noGrad, detach,
 * unused inputs, and method forms agreeing with the functions.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  add,
  backward,
  exp,
  grad,
  matmul,
  mul,
  noGrad,
  sum,
  tanh,
} from '../../../src/tensor/index.js';

const f64 = (v: number[], requiresGrad = true, shape?: number[]): Tensor =>
  tensor(Float64Array.from(v), { dtype: 'float64', requiresGrad, shape: shape ?? [v.length] });

describe('backward', () => {
  it('accumulates into .grad across calls, like torch', () => {
    const x = f64([1, 2, 3]);
    backward(sum(mul(x, x)));
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    backward(sum(mul(x, x)));
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
  });
  it('sums over every use of a tensor (x·x + exp(x) + x)', () => {
    const x = f64([0.5, -1]);
    backward(sum(add(add(mul(x, x), exp(x)), x)));
    expect(x.grad!.toArray()).toEqual([0.5, -1].map((v) => 2 * v + Math.exp(v) + 1));
  });
  it('diamond graph: y = tanh(x); z = y·y + y', () => {
    const x = f64([0.3]);
    const y = tanh(x);
    backward(sum(add(mul(y, y), y)));
    const t = Math.tanh(0.3);
    expect(x.grad!.item()).toBeCloseTo((2 * t + 1) * (1 - t * t), 15);
  });
  it('leaves without requiresGrad get no .grad', () => {
    const x = f64([1, 2]);
    const c = f64([3, 4], false);
    backward(sum(mul(x, c)));
    expect(c.grad).toBeNull();
    expect(x.grad!.toArray()).toEqual([3, 4]);
  });
  it('grad of a gradient-shaped leaf keeps its shape', () => {
    const w = f64([1, 2, 3, 4, 5, 6], true, [2, 3]);
    const x = f64([1, 1], false, [1, 2]);
    backward(sum(matmul(x, w)));
    expect([...w.grad!.shape]).toEqual([2, 3]);
  });
});

describe('grad', () => {
  it('returns gradients without touching .grad', () => {
    const x = f64([1, 2]);
    const [g] = grad(sum(mul(x, x)), [x]);
    expect(g.toArray()).toEqual([2, 4]);
    expect(x.grad).toBeNull();
  });
  it('gradOutput weights a non-scalar output: grad(y, x, {gradOutput: w}) = grad(sum(y·w), x)', () => {
    const x = f64([0.1, 0.2, 0.3, 0.4], true, [2, 2]);
    const w = f64([1, -2, 3, 0.5], false, [2, 2]);
    const [g1] = grad(tanh(x), [x], { gradOutput: w });
    const [g2] = grad(sum(mul(tanh(x), w)), [x]);
    expect(g1.toArray()).toEqual(g2.toArray());
  });
  it('several inputs at once', () => {
    const a = f64([2]);
    const b = f64([3]);
    const [ga, gb] = grad(sum(mul(a, b)), [a, b]);
    expect([ga.item(), gb.item()]).toEqual([3, 2]);
  });
  it('an input the output does not depend on gets null or zeros', () => {
    const a = f64([2]);
    const b = f64([3]);
    const [, gb] = grad(sum(mul(a, a)), [a, b]);
    if (gb !== null && gb !== undefined) expect(gb.toArray()).toEqual([0]);
  });
  it('an unused input gets zeros of its shape and dtype (engine choice; torch would need allow_unused)', () => {
    const a = f64([2]);
    const b = f64([3, 4], true, [1, 2]);
    const [, gb] = grad(sum(mul(a, a)), [a, b]);
    expect([...gb.shape]).toEqual([1, 2]);
    expect(gb.dtype).toBe('float64');
    expect(gb.toArray()).toEqual([0, 0]);
  });
  it('grad with respect to an intermediate tensor', () => {
    const x = f64([0.5]);
    const y = mul(x, 3);
    const [gy] = grad(sum(mul(y, y)), [y]);
    expect(gy.item()).toBe(3);
  });
});

describe('backward with gradOutput, and grad mode', () => {
  it('backward(y, w) leaves the same .grad as grad(y, x, { gradOutput: w })', () => {
    const x = f64([0.1, 0.2, 0.3]);
    const w = f64([1, -2, 0.5], false);
    backward(tanh(x), w);
    const [g] = grad(tanh(x), [x], { gradOutput: w });
    expect(x.grad!.toArray()).toEqual(g.toArray());
  });
  it('an exception inside noGrad restores recording', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(mul(f64([1]), 2).requiresGrad).toBe(true);
  });
  it('a gradOutput of the wrong shape is rejected', () => {
    const x = f64([1, 2]);
    expect(() => grad(mul(x, 2), [x], { gradOutput: f64([1, 1, 1], false) })).toThrow();
  });
  it('a non-scalar output without gradOutput is rejected (torch: implicit grad only for scalars)', () => {
    const x = f64([1, 2]);
    expect(() => grad(mul(x, 2), [x])).toThrow();
    expect(() => backward(mul(x, 2))).toThrow();
  });
});

describe('noGrad and detach', () => {
  it('noGrad records nothing', () => {
    const x = f64([1, 2]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.toArray()).toEqual([1, 4]);
  });
  it('detach stops the gradient', () => {
    const x = f64([1, 2]);
    const [g] = grad(sum(mul(x, x.detach())), [x]);
    expect(g.toArray()).toEqual([1, 2]);
    expect(x.detach().requiresGrad).toBe(false);
  });
  it('results require grad iff an input does', () => {
    expect(mul(f64([1]), f64([2], false)).requiresGrad).toBe(true);
    expect(mul(f64([1], false), f64([2], false)).requiresGrad).toBe(false);
  });
});

describe('method forms agree with the functions', () => {
  it('add / mul / matmul / sum', () => {
    const a = f64([1, 2, 3, 4, 5, 6], false, [2, 3]);
    const b = f64([0.5, -1, 2, 1, 0, -3], false, [3, 2]);
    expect(a.add(2).toArray()).toEqual(add(a, 2).toArray());
    expect(a.mul(a).toArray()).toEqual(mul(a, a).toArray());
    expect(a.matmul(b).toArray()).toEqual(matmul(a, b).toArray());
    expect(a.sum().item()).toBe(21);
  });
});

/**
 * Regression tests for engine edge cases the tester found (B1–B6, B2b; each test names
 * its case); B1–B6 were fixed in 2fa1f82. Each test states torch's behaviour.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  tensor,
  add,
  backward,
  clamp,
  concat,
  grad,
  matmul,
  logsumexp,
  max,
  mean,
  mul,
  noGrad,
  relu,
  reshape,
  setKernels,
  sum,
  referenceKernels,
} from '../../../src/tensor/index.js';
import { kernelBackends } from '../../helpers/gradcheck.js';

const f64 = (v: number[], requiresGrad = false, shape?: number[]): Tensor =>
  tensor(Float64Array.from(v), { dtype: 'float64', requiresGrad, shape: shape ?? [v.length] });

describe('B1: a float32 leaf gets a float32 gradient even when mixed with float64 (torch casts back)', () => {
  it('mul with a float64 tensor', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const [g] = grad(sum(mul(a, f64([3, 4]))), [a]);
    expect(g.dtype).toBe('float32');
    backward(sum(mul(a, f64([3, 4]))));
    expect(a.grad!.dtype).toBe('float32');
  });
  it('concat with a float64 tensor', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(grad(sum(concat([a, f64([3])])), [a])[0].dtype).toBe('float32');
  });
  it('float64 gradOutput into a float32 graph', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    expect(grad(mul(a, 2), [a], { gradOutput: f64([1, 1]) })[0].dtype).toBe('float32');
  });
});

describe('B2: gradients of different leaves do not share storage (torch gives separate tensors)', () => {
  it('backward(sum(a + b)): a.grad and b.grad are distinct buffers', () => {
    const a = f64([1, 2], true);
    const b = f64([3, 4], true);
    backward(sum(add(a, b)));
    expect(a.grad!.data).not.toBe(b.grad!.data);
    a.grad!.data[0] = 99; // e.g. in-place clipping of one gradient
    expect(b.grad!.toArray()).toEqual([1, 1]);
  });
  it('also when one path goes through reshape (which shares storage): B2b', () => {
    const a = f64([1, 2, 3, 4], true, [2, 2]);
    const b = f64([1, 2, 3, 4], true, [4]);
    backward(sum(add(a, reshape(b, [2, 2]))));
    expect(a.grad!.data).not.toBe(b.grad!.data);
    const [ga, gb] = grad(sum(add(a, reshape(b, [2, 2]))), [a, b]);
    expect(ga.data).not.toBe(gb.data);
  });
  it('a returned gradient never shares the caller’s gradOutput buffer (through reshape too): B2b', () => {
    const x = f64([1, 2, 3, 4], true, [4]);
    const w = f64([1, 1, 1, 1], false, [2, 2]);
    expect(grad(reshape(x, [2, 2]), [x], { gradOutput: w })[0].data).not.toBe(w.data);
    const w2 = f64([1, 1, 1, 1]);
    expect(grad(add(x, 0), [x], { gradOutput: w2 })[0].data).not.toBe(w2.data);
  });
  it('grad() results for two inputs are distinct buffers', () => {
    const a = f64([1, 2], true);
    const b = f64([3, 4], true);
    const [ga, gb] = grad(sum(add(a, b)), [a, b]);
    expect(ga.data).not.toBe(gb.data);
  });
});

describe('B3: relu propagates NaN (torch relu(NaN) = NaN)', () => {
  it('relu(NaN) is NaN', () => {
    expect(Number.isNaN(relu(f64([NaN])).item())).toBe(true);
  });
});

describe.each(kernelBackends())(
  'B4: matmul propagates NaN/Inf through zero operands (%s kernels)',
  (_name, k) => {
    it('[0, 1] @ [NaN, 1]ᵀ is NaN; [0, 1] @ [Inf, 1]ᵀ is NaN (0·Inf)', () => {
      const prev = setKernels(k);
      try {
        expect(Number.isNaN(matmul(f64([0, 1], false, [1, 2]), f64([NaN, 1], false, [2, 1])).item())).toBe(
          true,
        );
        expect(
          Number.isNaN(matmul(f64([0, 1], false, [1, 2]), f64([Infinity, 1], false, [2, 1])).item()),
        ).toBe(true);
      } finally {
        setKernels(prev);
      }
    });
  },
);

describe('B5: clamp with min > max returns max (torch: min(max(x, lo), hi))', () => {
  it('clamp([0.5, 3], 2, 1) = [1, 1]', () => {
    setKernels(referenceKernels);
    expect(clamp(f64([0.5, 3]), 2, 1).toArray()).toEqual([1, 1]);
  });
});

describe('B6: grad/backward of an output without a graph raise (torch: "does not require grad")', () => {
  it('output built under noGrad', () => {
    const x = f64([1, 2], true);
    const y = noGrad(() => sum(mul(x, x)));
    expect(() => grad(y, [x])).toThrow();
    expect(() => backward(y)).toThrow();
  });
});

describe('B12: reductions of a 0-d tensor over axis 0 or -1 reduce nothing (torch)', () => {
  it('sum / max / mean / logsumexp of tensor(5) over axis 0 are 5, gradient 1', () => {
    for (const op of [
      (t: Tensor) => sum(t, 0),
      (t: Tensor) => max(t, 0),
      (t: Tensor) => mean(t, 0),
      (t: Tensor) => logsumexp(t, 0),
      (t: Tensor) => sum(t, -1),
    ]) {
      const s = tensor(5, { dtype: 'float64', requiresGrad: true });
      const y = op(s);
      expect([...y.shape]).toEqual([]);
      expect(y.item()).toBeCloseTo(5, 14);
      expect(grad(y, [s])[0].item()).toBeCloseTo(1, 14);
    }
  });
});

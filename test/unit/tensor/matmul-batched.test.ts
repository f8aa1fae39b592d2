/**
 * batchedProduct through matmulBatched: on every backend, forward and gradients of batched products (whole
 * batches, a shared operand on either side, and the mixed broadcast that keeps the per-product loop) equal,
 * bit for bit, the per-product `matmul` calls the engine made before the batched kernel existed (a shared B,
 * which becomes one stacked GEMM, to rounding).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  grad,
  kernels,
  matmul,
  mul,
  setKernels,
  sum,
  tensor,
  type Tensor,
} from '../../../src/tensor/index.js';
import { availableBackends, loadBackend } from '../../../src/tensor/kernels/select.js';
import type { Kernels } from '../../../src/tensor/kernels/types.js';
import { createRng } from '../../../src/rng/rng.js';

/** `k` with matmulBatched as per-product `matmul` calls on views: the path batchedProduct took before. */
function perProduct(k: Kernels): Kernels {
  return {
    ...k,
    matmul: k.matmul.bind(k),
    binary: k.binary.bind(k),
    binaryRow: k.binaryRow.bind(k),
    sumRows: k.sumRows.bind(k),
    matmulBatched(a, b, c, batch, m, n, kk, ta, tb, sa, sb, sc) {
      for (let t = 0; t < batch; t++)
        k.matmul(
          a.subarray(t * sa, t * sa + m * kk),
          b.subarray(t * sb, t * sb + kk * n),
          c.subarray(t * sc, t * sc + m * n),
          m,
          n,
          kk,
          ta,
          tb,
          false,
        );
    },
  };
}

/** `k`, counting the calls that reach its matmulBatched. */
function counting(k: Kernels): { kern: Kernels; calls: () => number } {
  let calls = 0;
  const kern: Kernels = {
    ...k,
    matmul: k.matmul.bind(k),
    binary: k.binary.bind(k),
    binaryRow: k.binaryRow.bind(k),
    sumRows: k.sumRows.bind(k),
    matmulBatched(...args) {
      calls++;
      k.matmulBatched(...args);
    },
  };
  return { kern, calls: () => calls };
}

// 16×8·8×16 and its backward products (16×16·16×8, 8×16·16×16) are all above every backend's per-product
// threshold, so the old path and the batched one pick the same kernel and must agree exactly.
const SHAPES: Array<[string, number[], number[]]> = [
  ['whole batches', [2, 3, 16, 8], [2, 3, 8, 16]],
  ['a shared B (a weight)', [6, 16, 8], [8, 16]],
  ['a shared A, batch dims of unequal rank', [1, 16, 8], [2, 3, 8, 16]],
  ['mixed broadcast (per-product fallback)', [2, 1, 16, 8], [1, 3, 8, 16]],
];

function run(dtype: 'float32' | 'float64', sa: number[], sb: number[]): Float64Array[] {
  const rng = createRng(99);
  const t = (shape: number[]): Tensor =>
    tensor(
      Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.normal()),
      { shape, dtype, requiresGrad: true },
    );
  const a = t(sa);
  const b = t(sb);
  const y = matmul(a, b);
  const w = tensor(
    Float64Array.from({ length: y.size }, () => rng.normal()),
    { shape: [...y.shape], dtype },
  );
  const [ga, gb] = grad(sum(mul(y, w)), [a, b]);
  return [Float64Array.from(y.data), Float64Array.from(ga.data), Float64Array.from(gb.data)];
}

describe.each(availableBackends())('batched matmul on the %s backend', (name) => {
  const k = loadBackend(name)!;
  const prev = kernels();
  afterAll(() => {
    setKernels(prev);
  });

  it.each(SHAPES)('%s: forward and gradients equal the per-product path bit for bit', (label, sa, sb) => {
    for (const dtype of ['float32', 'float64'] as const) {
      setKernels(perProduct(k));
      const want = run(dtype, sa, sb);
      const { kern, calls } = counting(k);
      setKernels(kern);
      const got = run(dtype, sa, sb);
      setKernels(prev);
      // A shared B under an untransposed A is one stacked GEMM (forward, dA and dB), not per-product shapes: the
      // same sums in another blocking, so equal to rounding there and bit for bit everywhere else.
      const shared = label.includes('shared B');
      const tol = shared ? (dtype === 'float32' ? 1e-5 : 1e-13) : 0;
      for (let i = 0; i < want.length; i++) {
        expect(got[i].length).toBe(want[i].length);
        for (let j = 0; j < want[i].length; j++) {
          const ok =
            tol === 0
              ? Object.is(got[i][j], want[i][j])
              : Math.abs(got[i][j] - want[i][j]) <= tol * (1 + Math.abs(want[i][j]));
          if (!ok) throw new Error(`${label} ${dtype} output ${i}[${j}]: ${got[i][j]} vs ${want[i][j]}`);
        }
      }
      // Forward, dA and dB are one batched call each. The mixed broadcast stays on the per-product loop in all
      // three: its dA pairs G [2, 3] with B [1, 3] and its dB pairs A [2, 1] with G [2, 3], mixed again. With a
      // shared B all three are stacked GEMMs (dB = Aᵀ·G with the batch folded into k).
      expect(calls()).toBe(label.startsWith('mixed') || shared ? 0 : 3);
    }
  });
});

describe('the stacked GEMM of a shared B', () => {
  it('handles an empty inner dimension and leading 1s on B, with the right gradient shapes and values', () => {
    const x = tensor(new Float64Array(0), { shape: [3, 4, 0], dtype: 'float64', requiresGrad: true });
    const w = tensor(new Float64Array(0), { shape: [0, 5], dtype: 'float64', requiresGrad: true });
    const y = matmul(x, w);
    expect(y.shape).toEqual([3, 4, 5]);
    expect(Array.from(y.data).every((v) => v === 0)).toBe(true);
    const [gx, gw] = grad(sum(y), [x, w]);
    expect(gx.shape).toEqual([3, 4, 0]);
    expect(gw.shape).toEqual([0, 5]);

    const a = tensor(
      Float64Array.from({ length: 24 }, (_, i) => i),
      { shape: [1, 2, 3, 4], dtype: 'float64', requiresGrad: true },
    );
    const b = tensor(
      Float64Array.from({ length: 20 }, (_, i) => i / 8),
      { shape: [1, 1, 4, 5], dtype: 'float64', requiresGrad: true },
    );
    const [, gb] = grad(sum(matmul(a, b)), [a, b]);
    expect(gb.shape).toEqual([1, 1, 4, 5]);
    // dB[p][j] = Σ over the 6 rows of A[r][p] = Σ_r (4r + p) = 60 + 6p, whatever j.
    expect(Array.from(gb.data)).toEqual([0, 1, 2, 3].flatMap((p) => Array<number>(5).fill(60 + 6 * p)));
  });
});

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { FloatArray } from '../../../src/tensor/kernels/types.js';
import { createWasmKernels, wasmRuntime } from '../../../src/tensor/kernels/wasm/index.js';
import { dtypeArb, expectClose, fill, offsetView, size, type DTypeName } from './oracle.js';

// Thresholds 0: every call goes to wasm, however small (the default sends tiny ones to the fallback).
// Both builds are checked: SIMD128 (mul + add) and relaxed (fused multiply-add), when this Node can run it.
const variants = (['simd128', 'relaxed'] as const).filter((v) => wasmRuntime(v) !== null);
let wasm = createWasmKernels(ref, { matmulMinFlops: 0, elementwiseMin: 0 }, 'simd128')!;
const wasmDefault = createWasmKernels(ref)!;

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  dtype: DTypeName;
  seed: number;
  kind: 'normal' | 'edge';
}

/** Run one case on the oracle and on wasm (plain arrays, offset views, and arrays in wasm memory). */
function check(c: Case): void {
  const { m, n, k, transA, transB, accumulate, dtype, seed, kind } = c;
  const a = fill(seed, m * k, dtype, kind);
  const b = fill(seed + 1, k * n, dtype, kind);
  const c0 = fill(seed + 2, m * n, dtype, kind);
  const want = c0.slice();
  ref.matmul(a, b, want, m, n, k, transA, transB, accumulate);
  // Scale for the rounding bound: |C0| + |A|·|B|.
  const abs = (x: FloatArray): FloatArray => x.map(Math.abs) as FloatArray;
  const scale = accumulate ? abs(c0) : c0.map(() => 0);
  ref.matmul(abs(a), abs(b), scale, m, n, k, transA, transB, true);

  const got = c0.slice();
  wasm.matmul(a, b, got, m, n, k, transA, transB, accumulate);
  expectClose(got, want, scale, dtype, k);

  const av = offsetView(a);
  const bv = offsetView(b);
  const cv = offsetView(c0);
  wasm.matmul(av, bv, cv, m, n, k, transA, transB, accumulate);
  expectClose(cv, want, scale, dtype, k);

  const aw = wasm.alloc(m * k, dtype);
  const bw = wasm.alloc(k * n, dtype);
  const cw = wasm.alloc(m * n, dtype);
  aw.set(a);
  bw.set(b);
  cw.set(c0);
  wasm.matmul(aw, bw, cw, m, n, k, transA, transB, accumulate);
  expectClose(cw, want, scale, dtype, k);
  wasm.free(aw);
  wasm.free(bw);
  wasm.free(cw);
}

const caseArb = (maxDim: number): fc.Arbitrary<Case> =>
  fc.record({
    m: size(maxDim),
    n: size(maxDim),
    k: size(maxDim),
    transA: fc.boolean(),
    transB: fc.boolean(),
    accumulate: fc.boolean(),
    dtype: dtypeArb,
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    kind: fc.constantFrom('normal' as const, 'edge' as const),
  });

describe('the wasm builds', () => {
  it('include the SIMD128 one, and the default is one of those that load', () => {
    expect(variants).toContain('simd128');
    expect(variants).toContain(wasmDefault.variant);
  });
});

describe.each(variants)('wasm matmul (%s) agrees with the TypeScript oracle', (variant) => {
  beforeAll(() => {
    wasm = createWasmKernels(ref, { matmulMinFlops: 0, elementwiseMin: 0 }, variant)!;
  });

  it('on random shapes, every transpose layout, accumulate on/off, both dtypes', () => {
    fc.assert(
      fc.property(caseArb(70), (c) => check(c)),
      { numRuns: 300, seed: 20260101 },
    );
  });

  it('on every layout × accumulate × dtype for the odd sizes that straddle tiles and blocks', () => {
    const dims: Array<[number, number, number]> = [
      [1, 1, 1],
      [1, 17, 33],
      [65, 1, 9],
      [3, 5, 1],
      [33, 65, 17],
      [67, 9, 300], // k > KC: two k blocks, accumulated
      [130, 12, 7], // m > MC
      [5, 2100, 3], // n > NC
    ];
    let seed = 7;
    for (const [m, n, k] of dims)
      for (const dtype of ['float32', 'float64'] as const)
        for (const transA of [false, true])
          for (const transB of [false, true])
            for (const accumulate of [false, true])
              check({ m, n, k, transA, transB, accumulate, dtype, seed: seed++, kind: 'normal' });
  });

  it('keeps exact results exact (integers) and propagates NaN/Infinity like the oracle', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const b = Float64Array.from([7, 8, 9, 10, 11, 12]);
    const c = new Float64Array(4);
    wasm.matmul(a, b, c, 2, 2, 3, false, false, false);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
    const big = Float32Array.from([3e38, 3e38, 1, 1]);
    const out = new Float32Array(4);
    wasm.matmul(big, Float32Array.from([10, 0, 0, 1]), out, 2, 2, 2, false, false, false);
    const want = new Float32Array(4);
    ref.matmul(big, Float32Array.from([10, 0, 0, 1]), want, 2, 2, 2, false, false, false);
    expect(Array.from(out)).toEqual(Array.from(want));
  });

  it('default thresholds route tiny products to the fallback with the same results', () => {
    fc.assert(
      fc.property(caseArb(9), (c) => {
        const a = fill(c.seed, c.m * c.k, c.dtype);
        const b = fill(c.seed + 1, c.k * c.n, c.dtype);
        const want = fill(c.seed + 2, c.m * c.n, c.dtype);
        const got = want.slice();
        ref.matmul(a, b, want, c.m, c.n, c.k, c.transA, c.transB, c.accumulate);
        wasmDefault.matmul(a, b, got, c.m, c.n, c.k, c.transA, c.transB, c.accumulate);
        expectClose(got, want, null, c.dtype, c.k * 10);
      }),
      { numRuns: 100, seed: 4242 },
    );
  });

  it('survives memory growth: arrays allocated before a grow stay valid', () => {
    const early = wasm.alloc(1000, 'float32');
    early.fill(2);
    const huge = wasm.alloc(40_000_000, 'float32'); // 160 MB forces the memory to grow
    expect(early.length).toBe(1000);
    const c = new Float32Array(1);
    const ones = new Float32Array(1000).fill(1);
    wasm.matmul(early, ones, c, 1, 1, 1000, false, false, false);
    expect(c[0]).toBe(2000);
    wasm.free(huge);
    wasm.free(early);
  });
});

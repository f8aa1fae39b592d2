/**
 * matmulBatched on every tier: each must equal per-product `matmul` calls on the same tier bit for bit (it runs
 * the same kernel per product), and the TypeScript oracle to rounding; broadcast (stride 0) operands, gaps
 * between outputs, both dtypes, every transpose layout and odd sizes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNativeKernels } from '../../../src/tensor/kernels/native/index.js';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { FloatArray, Kernels } from '../../../src/tensor/kernels/types.js';
import { createWasmKernels, wasmRuntime } from '../../../src/tensor/kernels/wasm/index.js';
import { dtypeArb, expectClose, fill, offsetView, size, type DTypeName } from './oracle.js';

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Broadcast A / B (stride 0). */
  shareA: boolean;
  shareB: boolean;
  /** Extra elements between consecutive outputs (left untouched). */
  gap: number;
  dtype: DTypeName;
  seed: number;
}

const caseArb = (maxDim: number, maxBatch: number): fc.Arbitrary<Case> =>
  fc.record({
    batch: fc.integer({ min: 1, max: maxBatch }),
    m: size(maxDim),
    n: size(maxDim),
    k: size(maxDim),
    transA: fc.boolean(),
    transB: fc.boolean(),
    shareA: fc.boolean(),
    shareB: fc.boolean(),
    gap: fc.constantFrom(0, 0, 3),
    dtype: dtypeArb,
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });

/** Per-product `matmul` calls on views: what batchedProduct did before the batched kernel. */
function perProduct(
  kern: Kernels,
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  x: Case,
  sa: number,
  sb: number,
): void {
  const { batch, m, n, k, transA, transB, gap } = x;
  const sc = m * n + gap;
  for (let t = 0; t < batch; t++)
    kern.matmul(
      a.subarray(t * sa, t * sa + m * k),
      b.subarray(t * sb, t * sb + k * n),
      c.subarray(t * sc, t * sc + m * n),
      m,
      n,
      k,
      transA,
      transB,
      false,
    );
}

/** Bit-for-bit equality (NaN equals NaN, 0 and -0 differ); a plain loop, as toEqual is slow on big arrays. */
function expectSameBits(got: FloatArray, want: FloatArray): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]))
      throw new Error(`index ${i}: got ${got[i]}, want ${want[i]} (bit for bit)`);
}

/** Check `kern.matmulBatched` against per-product calls of `same` (bit for bit) and the oracle (to rounding). */
function check(kern: Kernels, same: Kernels, x: Case, views = true): void {
  const { batch, m, n, k, transA, transB, shareA, shareB, gap, dtype, seed } = x;
  const sa = shareA ? 0 : m * k;
  const sb = shareB ? 0 : k * n;
  const sc = m * n + gap;
  const a = fill(seed, (shareA ? 1 : batch) * m * k, dtype, 'edge');
  const b = fill(seed + 1, (shareB ? 1 : batch) * k * n, dtype);
  // Garbage in C: the products overwrite it, and the gaps between them must keep it.
  const c0 = fill(seed + 2, (batch - 1) * sc + m * n, dtype);

  const want = c0.slice();
  perProduct(ref, a, b, want, x, sa, sb);
  const abs = (v: FloatArray): FloatArray => v.map(Math.abs) as FloatArray;
  const scale = c0.map(() => 0);
  perProduct(ref, abs(a), abs(b), scale, x, sa, sb);
  for (let t = 0; t + 1 < batch; t++) for (let g = 0; g < gap; g++) scale[t * sc + m * n + g] = 0;

  const same0 = c0.slice();
  perProduct(same, a, b, same0, x, sa, sb);

  const got = c0.slice();
  kern.matmulBatched(a, b, got, batch, m, n, k, transA, transB, sa, sb, sc);
  expectSameBits(got, same0);
  expectClose(got, want, scale, dtype, k);
  if (views) {
    const cv = offsetView(c0);
    kern.matmulBatched(offsetView(a), offsetView(b), cv, batch, m, n, k, transA, transB, sa, sb, sc);
    expectSameBits(cv, same0);
  }
}

/** The sizes of the task: attention's heads (16×8×16) and per-step products, plus edges. */
const FIXED: Array<[number, number, number, number]> = [
  [128, 16, 16, 8],
  [128, 16, 8, 16],
  [7, 1, 9, 5],
  [5, 9, 1, 5],
  [3, 33, 17, 65],
  [2, 67, 9, 300], // k > KC in the wasm kernel
  [4, 3, 5, 1],
];

function fixedCases(): Case[] {
  const out: Case[] = [];
  let seed = 11;
  for (const [batch, m, n, k] of FIXED)
    for (const dtype of ['float32', 'float64'] as const)
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const [shareA, shareB] of [
            [false, false],
            [true, false],
            [false, true],
          ] as const)
            out.push({
              batch,
              m,
              n,
              k,
              transA,
              transB,
              shareA,
              shareB,
              gap: seed % 3 === 0 ? 2 : 0,
              dtype,
              seed: seed++,
            });
  return out;
}

describe('reference matmulBatched', () => {
  it('is exactly the per-product reference matmul', () => {
    for (const c of fixedCases()) check(ref, ref, c);
    fc.assert(
      fc.property(caseArb(20, 6), (c) => check(ref, ref, c)),
      { numRuns: 150, seed: 3141 },
    );
  });

  it('does nothing for an empty batch', () => {
    const c = Float32Array.from([1, 2]);
    ref.matmulBatched(new Float32Array(0), new Float32Array(0), c, 0, 1, 1, 1, false, false, 1, 1, 1);
    expect(Array.from(c)).toEqual([1, 2]);
  });
});

const variants = (['simd128', 'relaxed'] as const).filter((v) => wasmRuntime(v) !== null);

describe.each(variants)('wasm matmulBatched (%s)', (variant) => {
  const wasm = createWasmKernels(ref, { matmulMinFlops: 0, elementwiseMin: 0 }, variant)!;
  const wasmDefault = createWasmKernels(ref, {}, variant)!;

  it('equals per-product wasm matmul bit for bit, and the oracle to rounding', () => {
    for (const c of fixedCases()) check(wasm, wasm, c);
    fc.assert(
      fc.property(caseArb(40, 6), (c) => check(wasm, wasm, c)),
      { numRuns: 200, seed: 2718 },
    );
  });

  it('reads and writes operands already in wasm memory in place', () => {
    const x: Case = {
      batch: 9,
      m: 5,
      n: 7,
      k: 3,
      transA: true,
      transB: false,
      shareA: false,
      shareB: true,
      gap: 0,
      dtype: 'float32',
      seed: 5,
    };
    const a = fill(1, 9 * 15, 'float32');
    const b = fill(2, 21, 'float32');
    const want = new Float32Array(9 * 35);
    perProduct(wasm, a, b, want, x, 15, 0);
    const aw = wasm.alloc(a.length, 'float32');
    const bw = wasm.alloc(b.length, 'float32');
    const cw = wasm.alloc(want.length, 'float32');
    aw.set(a);
    bw.set(b);
    const before = wasm.copiedBytes;
    wasm.matmulBatched(aw, bw, cw, 9, 5, 7, 3, true, false, 15, 0, 35);
    expect(wasm.copiedBytes).toBe(before);
    expect(Array.from(cw)).toEqual(Array.from(want));
    wasm.free(aw);
    wasm.free(bw);
    wasm.free(cw);
  });

  it('copies each operand once per batch, not once per product', () => {
    const a = fill(3, 128 * 16 * 8, 'float32');
    const b = fill(4, 128 * 8 * 16, 'float32');
    const c = new Float32Array(128 * 16 * 16);
    const before = wasm.copiedBytes;
    wasm.matmulBatched(a, b, c, 128, 16, 16, 8, false, false, 128, 128, 256);
    expect(wasm.copiedBytes - before).toBe((a.length + b.length + c.length) * 4);
  });

  it('with default thresholds: tiny batches stay in the fallback, many tiny products go to wasm', () => {
    // 2·2·2·2 = 16 flops: the TypeScript fallback, bit-identical to it.
    check(wasmDefault, ref, {
      batch: 1,
      m: 2,
      n: 2,
      k: 2,
      transA: false,
      transB: true,
      shareA: false,
      shareB: false,
      gap: 0,
      dtype: 'float64',
      seed: 9,
    });
    // 64 products of 4×4×4: below the per-product threshold, above it as a batch.
    const x: Case = {
      batch: 64,
      m: 4,
      n: 4,
      k: 4,
      transA: false,
      transB: false,
      shareA: false,
      shareB: true,
      gap: 1,
      dtype: 'float32',
      seed: 10,
    };
    const before = wasmDefault.copiedBytes;
    check(wasmDefault, wasm, x, false);
    expect(wasmDefault.copiedBytes).toBeGreaterThan(before);
  });

  it('rejects arrays too short for the batch, negative strides and overlapping outputs', () => {
    const a = new Float32Array(8);
    const c = new Float32Array(8);
    expect(() => wasm.matmulBatched(a, a, c, 3, 2, 2, 2, false, false, 4, 4, 4)).toThrow(RangeError);
    expect(() => wasm.matmulBatched(a, a, c, 2, 2, 2, 2, false, false, -4, 4, 4)).toThrow(RangeError);
    expect(() => wasm.matmulBatched(a, a, c, 2, 2, 2, 2, false, false, 4, 4, 2)).toThrow(RangeError);
  });
});

const native = createNativeKernels(ref, { minFlops: 0 });

describe.skipIf(native === null)('native matmulBatched', () => {
  const refusing: Kernels = {
    ...ref,
    name: 'refusing',
    matmul: () => {
      throw new Error('fallback used');
    },
    matmulBatched: () => {
      throw new Error('fallback used');
    },
  };

  it('equals per-product native matmul bit for bit, and the oracle to rounding', () => {
    for (const c of fixedCases()) check(native!, native!, c);
    fc.assert(
      fc.property(caseArb(40, 6), (c) => check(native!, native!, c)),
      { numRuns: 200, seed: 1618 },
    );
  });

  it('loops inside the addon above the size threshold, and hands small products to the fallback as a batch', () => {
    const direct = createNativeKernels(refusing)!;
    check(direct, native!, {
      batch: 3,
      m: 40,
      n: 33,
      k: 35,
      transA: true,
      transB: true,
      shareA: true,
      shareB: false,
      gap: 2,
      dtype: 'float64',
      seed: 12,
    });
    const a = new Float32Array(128 * 128);
    const c = new Float32Array(128 * 256);
    expect(() => direct.matmulBatched(a, a, c, 128, 16, 16, 8, false, false, 128, 128, 256)).toThrow(
      'fallback used',
    );
    const wasm = createWasmKernels(ref, { matmulMinFlops: 0 })!;
    check(createNativeKernels(wasm)!, wasm, {
      batch: 128,
      m: 16,
      n: 16,
      k: 8,
      transA: false,
      transB: true,
      shareA: false,
      shareB: false,
      gap: 0,
      dtype: 'float32',
      seed: 13,
    });
  });

  it('rejects arrays too short for the batch, negative strides and overlapping outputs', () => {
    const direct = createNativeKernels(refusing, { minFlops: 0 })!;
    const a = new Float32Array(8);
    const c = new Float32Array(8);
    expect(() => direct.matmulBatched(a, a, c, 3, 2, 2, 2, false, false, 4, 4, 4)).toThrow(RangeError);
    expect(() => direct.matmulBatched(a, a, c, 2, 2, 2, 2, false, false, -4, 4, 4)).toThrow(RangeError);
    expect(() => direct.matmulBatched(a, a, c, 2, 2, 2, 2, false, false, 4, 4, 2)).toThrow(RangeError);
  });
});

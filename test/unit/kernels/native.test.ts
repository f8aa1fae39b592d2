import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNativeKernels, nativeInfo } from '../../../src/tensor/kernels/native/index.js';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import { createWasmKernels, wasmRuntime } from '../../../src/tensor/kernels/wasm/index.js';
import type { FloatArray, Kernels } from '../../../src/tensor/kernels/types.js';
import { dtypeArb, expectClose, fill, offsetView, size } from './oracle.js';

// A fallback that throws makes sure the sizes under test really reach OpenBLAS.
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
const native = createNativeKernels(ref, { minFlops: 0 });
// A fallback that refuses everything: the elementwise tests must reach the C code.
const refusingAll: Kernels = {
  name: 'refusing-all',
  matmul: () => {
    throw new Error('fallback used');
  },
  matmulBatched: () => {
    throw new Error('fallback used');
  },
  binary: () => {
    throw new Error('fallback used');
  },
  binaryRow: () => {
    throw new Error('fallback used');
  },
  sumRows: () => {
    throw new Error('fallback used');
  },
};

describe.skipIf(native === null)('native OpenBLAS matmul agrees with the TypeScript oracle', () => {
  it('reports its OpenBLAS build and runs one thread by default', () => {
    const info = nativeInfo()!;
    expect(info.config).toMatch(/OpenBLAS/);
    expect(info.threads).toBe(Number(process.env.DESCENT_BLAS_THREADS ?? 1));
  });

  it('on random shapes, every transpose layout, accumulate on/off, both dtypes (offset views too)', () => {
    fc.assert(
      fc.property(
        size(80),
        size(80),
        size(80),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        dtypeArb,
        fc.integer({ min: 1, max: 1e9 }),
        fc.constantFrom('normal' as const, 'edge' as const),
        (m, n, k, transA, transB, accumulate, dtype, seed, kind) => {
          const a = fill(seed, m * k, dtype, kind);
          const b = fill(seed + 1, k * n, dtype, kind);
          const c0 = fill(seed + 2, m * n, dtype, kind);
          const want = c0.slice();
          ref.matmul(a, b, want, m, n, k, transA, transB, accumulate);
          const abs = (x: FloatArray): FloatArray => x.map(Math.abs) as FloatArray;
          const scale = accumulate ? abs(c0) : c0.map(() => 0);
          ref.matmul(abs(a), abs(b), scale, m, n, k, transA, transB, true);
          const got = offsetView(c0);
          native!.matmul(offsetView(a), offsetView(b), got, m, n, k, transA, transB, accumulate);
          expectClose(got, want, scale, dtype, k);
        },
      ),
      { numRuns: 250, seed: 777 },
    );
  });

  it('calls OpenBLAS (not the fallback) above the small-size threshold, and handles k = 0', () => {
    const direct = createNativeKernels(refusing)!;
    const a = fill(3, 64 * 64, 'float64');
    const c = new Float64Array(64 * 64);
    const want = new Float64Array(64 * 64);
    direct.matmul(a, a, c, 64, 64, 64, false, true, false);
    ref.matmul(a, a, want, 64, 64, 64, false, true, false);
    expectClose(c, want, null, 'float64', 64 * 4);
    expect(() => createNativeKernels(refusing)!.matmul(a, a, c, 2, 2, 2, false, false, false)).toThrow(
      'fallback used',
    );
  });
});

describe.skipIf(native === null)('native elementwise kernels agree with the TypeScript oracle', () => {
  const nat = createNativeKernels(refusingAll, { minFlops: 0, minElements: 0 });
  const ops = fc.constantFrom('add' as const, 'sub' as const, 'mul' as const, 'div' as const);
  const seedArb = fc.integer({ min: 1, max: 1e9 });
  const kindArb = fc.constantFrom('normal' as const, 'edge' as const);

  it('binary (incl. in place), binaryRow and sumRows on odd sizes, both dtypes', () => {
    fc.assert(
      fc.property(
        ops,
        size(40),
        size(40),
        dtypeArb,
        seedArb,
        kindArb,
        (op, rows, cols, dtype, seed, kind) => {
          const n = rows * cols;
          const a = fill(seed, n, dtype, kind);
          const b = fill(seed + 1, n, dtype, kind);
          const row = fill(seed + 2, cols, dtype, kind);
          const want = a.slice();
          ref.binary(op, a, b, want);
          const inPlace = offsetView(a);
          nat!.binary(op, inPlace, offsetView(b), inPlace);
          expectClose(inPlace, want, null, dtype);
          const wantRow = a.slice();
          ref.binaryRow(op, a, row, wantRow, rows, cols);
          const gotRow = a.slice();
          nat!.binaryRow(op, a, row, gotRow, rows, cols);
          expectClose(gotRow, wantRow, null, dtype);
          const wantSum = fill(seed + 3, cols, dtype);
          ref.sumRows(a, wantSum, rows, cols);
          const gotSum = fill(seed + 4, cols, dtype);
          nat!.sumRows(a, gotSum, rows, cols);
          const s = wantSum.map(() => 0);
          ref.sumRows(a.map(Math.abs), s, rows, cols);
          expectClose(gotSum, wantSum, s, dtype, rows);
        },
      ),
      { numRuns: 200, seed: 31337 },
    );
  });

  it('one-column shapes: binaryRow and sumRows with cols = 1', () => {
    for (const dtype of ['float32', 'float64'] as const)
      for (const rows of [1, 3, 5, 4097])
        for (const op of ['add', 'sub', 'mul', 'div'] as const) {
          const a = fill(rows + 11, rows, dtype, 'edge');
          const row = fill(rows + 12, 1, dtype);
          const want = a.slice();
          ref.binaryRow(op, a, row, want, rows, 1);
          const got = a.slice();
          nat!.binaryRow(op, a, row, got, rows, 1);
          expectClose(got, want, null, dtype);
          const ws = fill(3, 1, dtype);
          ref.sumRows(a, ws, rows, 1);
          const gs = fill(4, 1, dtype);
          nat!.sumRows(a, gs, rows, 1);
          expectClose(
            gs,
            ws,
            Float64Array.of(Array.from(a).reduce((s, v) => s + Math.abs(v), 0)),
            dtype,
            rows,
          );
        }
  });

  it('rejects mismatched element types instead of reading garbage', () => {
    const direct = createNativeKernels(ref, { minElements: 0 })!;
    const out = new Float32Array(4);
    direct.binary(
      'add',
      new Float32Array(4).fill(1),
      new Float64Array(4).fill(2) as unknown as Float32Array,
      out,
    );
    expect(Array.from(out)).toEqual([3, 3, 3, 3]); // mixed types go to the fallback
  });
});

describe.skipIf(native === null)('native backend exposes the wasm arena', () => {
  it('allocate/scope come from the wasm fallback, and OpenBLAS works on arena arrays in place', () => {
    const wasmFallback = createWasmKernels(ref)!;
    const k = createNativeKernels(wasmFallback, { minFlops: 0 })!;
    expect(typeof k.scope).toBe('function');
    k.scope!(() => {
      const a = k.allocate!('float64', 64 * 64).fill(1);
      const c = k.allocate!('float64', 64 * 64);
      expect(wasmRuntime('simd128')!.owns(a)).toBe(true);
      k.matmul(a, a, c, 64, 64, 64, false, false, false);
      expect(c[0]).toBe(64);
    });
  });
});

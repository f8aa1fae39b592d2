import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNativeKernels, nativeInfo } from '../../../src/tensor/kernels/native/index.js';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { FloatArray, Kernels } from '../../../src/tensor/kernels/types.js';
import { dtypeArb, expectClose, fill, offsetView, size } from './oracle.js';

// A fallback that throws makes sure the sizes under test really reach OpenBLAS.
const refusing: Kernels = {
  ...ref,
  name: 'refusing',
  matmul: () => {
    throw new Error('fallback used');
  },
};
const native = createNativeKernels(ref, { minFlops: 0 });

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

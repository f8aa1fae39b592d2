import fc from 'fast-check';
import type { FloatArray } from '../../../src/tensor/kernels/types.js';

/** Sizes that hit every edge of the blocking: 1, odd, just past a SIMD width / tile / block. */
export const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 33, 64, 65, 67, 129, 257];

export const size = (max = 70): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(...SIZES.filter((s) => s <= max)), fc.integer({ min: 1, max }));

export type DTypeName = 'float32' | 'float64';
export const dtypeArb: fc.Arbitrary<DTypeName> = fc.constantFrom('float32', 'float64');

/** Values: mostly uniform in [-1, 1], with zeros, negatives, large magnitudes and exact integers mixed in. */
export function fill(
  seed: number,
  n: number,
  dtype: DTypeName,
  kind: 'normal' | 'edge' = 'normal',
): FloatArray {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    const u = next();
    if (kind === 'edge') {
      const pick = Math.floor(next() * 6);
      a[i] =
        pick === 0
          ? 0
          : pick === 1
            ? -(u * 1e4)
            : pick === 2
              ? u * 1e4
              : pick === 3
                ? -1
                : pick === 4
                  ? Math.round(u * 10)
                  : u - 0.5;
    } else a[i] = 2 * u - 1;
  }
  return a;
}

/** Copy `src` into a view that starts at a nonzero offset of a larger buffer (the "subarray" case). */
export function offsetView(src: FloatArray, pad = 3): FloatArray {
  const big =
    src instanceof Float64Array
      ? new Float64Array(src.length + 2 * pad)
      : new Float32Array(src.length + 2 * pad);
  big.fill(Number.NaN);
  const v = big.subarray(pad, pad + src.length);
  v.set(src);
  return v;
}

/**
 * Assert `got` equals the oracle `want` up to rounding: |got−want| ≤ tol·(scale + 1) where `scale` is the
 * magnitude the result was summed from (Σ|a||b| for matmul), since a blocked kernel sums in another order.
 */
export function expectClose(
  got: FloatArray,
  want: FloatArray,
  scale: FloatArray | null,
  dtype: DTypeName,
  k = 1,
): void {
  const eps = dtype === 'float64' ? 2.3e-16 : 1.2e-7;
  const tol = 4 * eps * Math.max(k, 1);
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const s = scale ? Math.abs(scale[i]) : Math.abs(want[i]);
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * (s + 1)) && !(Number.isNaN(got[i]) && Number.isNaN(want[i])) && got[i] !== want[i])
      throw new Error(`index ${i}: got ${got[i]}, want ${want[i]} (err ${err}, bound ${tol * (s + 1)})`);
  }
}

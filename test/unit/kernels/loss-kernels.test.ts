import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNativeKernels } from '../../../src/tensor/kernels/native/index.js';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { FloatArray } from '../../../src/tensor/kernels/types.js';
import { createWasmKernels, type LossKernels } from '../../../src/tensor/kernels/wasm/index.js';

/** The fused training path's TypeScript loop (src/train/fused-dense.ts, case 'bce'), as the oracle. */
function oracle(x: FloatArray, y: FloatArray, d: FloatArray, scale: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    const e = Math.exp(-Math.abs(xi));
    s += (1 - yi) * xi + (xi < 0 ? -xi : 0) + Math.log1p(e);
    const sig = xi >= 0 ? 1 / (1 + e) : e / (1 + e);
    d[i] = (sig - yi) * scale;
  }
  return s;
}

const backends: Array<[string, LossKernels]> = [];
const wasm = createWasmKernels(ref, { lossMin: 0 });
if (wasm) backends.push(['wasm', wasm]);
const native = createNativeKernels(ref, { minElements: 0 });
if (native) backends.push(['native', native]);

const logit = fc.oneof(
  fc.double({ min: -12, max: 12, noNaN: true }),
  fc.double({ min: -900, max: 900, noNaN: true }),
  fc.constantFrom(0, -0, 1e-300, -1e-300, 36.5, -36.5, 708, -708, 745, -745, 1e-8, -1e-8),
);
const target = fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true }));

describe.each(backends)('%s bceWithLogits agrees with the fused path’s loop', (_name, k) => {
  it('value and gradient, both dtypes, odd lengths, extreme logits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(logit, target), { minLength: 1, maxLength: 67 }),
        fc.boolean(),
        (pairs, f64) => {
          const T = f64 ? Float64Array : Float32Array;
          const x = T.from(pairs.map((p) => p[0]));
          const y = T.from(pairs.map((p) => p[1]));
          const want = new T(x.length);
          const got = new T(x.length).fill(123);
          const scale = 1 / x.length;
          const sWant = oracle(x, y, want, scale);
          const sGot = k.bceWithLogits(x, y, got, scale);
          expect(sGot).not.toBeNull();
          expect(Math.abs(sGot! - sWant)).toBeLessThanOrEqual(1e-13 * Math.abs(sWant) + 1e-300);
          const rel = f64 ? 4e-15 : 2.4e-7;
          for (let i = 0; i < x.length; i++) {
            const err = Math.abs(got[i] - want[i]);
            if (!(err <= rel * Math.abs(want[i]) + 1e-300))
              throw new Error(`grad[${i}] x=${x[i]} y=${y[i]}: got ${got[i]}, want ${want[i]}`);
          }
        },
      ),
      { numRuns: 300, seed: 77 },
    );
  });

  it('propagates NaN and handles ±Infinity like the loop', () => {
    const x = Float64Array.from([Number.NaN, Infinity, -Infinity, 0]);
    const y = Float64Array.from([1, 0, 1, 0.5]);
    const want = new Float64Array(4);
    const got = new Float64Array(4);
    const sWant = oracle(x, y, want, 1);
    const sGot = k.bceWithLogits(x, y, got, 1);
    expect(Number.isNaN(sGot!)).toBe(Number.isNaN(sWant));
    for (let i = 0; i < 4; i++) expect(got[i]).toBe(want[i]);
  });
});

describe('declining', () => {
  it('returns null below the size threshold or for mixed element types', () => {
    const k = createWasmKernels(ref)!;
    expect(k.bceWithLogits(new Float32Array(8), new Float32Array(8), new Float32Array(8), 1)).toBeNull();
    const big = new Float32Array(1000);
    expect(
      k.bceWithLogits(big, new Float64Array(1000) as unknown as Float32Array, new Float32Array(1000), 1),
    ).toBeNull();
  });
});

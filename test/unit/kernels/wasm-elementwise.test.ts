import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import type { BinaryOp } from '../../../src/tensor/kernels/types.js';
import { createWasmKernels } from '../../../src/tensor/kernels/wasm/index.js';
import { dtypeArb, expectClose, fill, offsetView, size } from './oracle.js';

const wasm = createWasmKernels(ref, { matmulMinFlops: 0, elementwiseMin: 0 })!;
const opArb = fc.constantFrom<BinaryOp>('add', 'sub', 'mul', 'div');
const kindArb = fc.constantFrom('normal' as const, 'edge' as const);
const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('wasm elementwise and reduction kernels agree with the oracle', () => {
  it('binary: every op, both dtypes, odd lengths, edge values, offset views and in-place', () => {
    fc.assert(
      fc.property(opArb, size(300), dtypeArb, seedArb, kindArb, (op, n, dtype, seed, kind) => {
        const a = fill(seed, n, dtype, kind);
        const b = fill(seed + 1, n, dtype, kind);
        const want = a.slice();
        ref.binary(op, a, b, want);
        const got = a.slice();
        wasm.binary(op, a, b, got);
        expectClose(got, want, null, dtype);
        const inPlace = offsetView(a);
        wasm.binary(op, inPlace, offsetView(b), inPlace);
        expectClose(inPlace, want, null, dtype);
      }),
      { numRuns: 200, seed: 99 },
    );
  });

  it('binaryRow: the bias-broadcast shape', () => {
    fc.assert(
      fc.property(
        opArb,
        size(40),
        size(40),
        dtypeArb,
        seedArb,
        kindArb,
        (op, rows, cols, dtype, seed, kind) => {
          const a = fill(seed, rows * cols, dtype, kind);
          const row = fill(seed + 1, cols, dtype, kind);
          const want = a.slice();
          ref.binaryRow(op, a, row, want, rows, cols);
          const got = a.slice();
          wasm.binaryRow(op, offsetView(a), row, got, rows, cols);
          expectClose(got, want, null, dtype);
          const aw = wasm.alloc(rows * cols, dtype);
          const rw = wasm.alloc(cols, dtype);
          aw.set(a);
          rw.set(row);
          wasm.binaryRow(op, aw, rw, aw, rows, cols);
          expectClose(aw, want, null, dtype);
          wasm.free(aw);
          wasm.free(rw);
        },
      ),
      { numRuns: 150, seed: 100 },
    );
  });

  it('sumRows: column sums', () => {
    fc.assert(
      fc.property(size(70), size(40), dtypeArb, seedArb, kindArb, (rows, cols, dtype, seed, kind) => {
        const a = fill(seed, rows * cols, dtype, kind);
        const want = fill(seed + 5, cols, dtype);
        ref.sumRows(a, want, rows, cols);
        const got = fill(seed + 6, cols, dtype); // stale contents must be overwritten
        wasm.sumRows(a, got, rows, cols);
        const scale = a.map(Math.abs);
        const s = want.map(() => 0);
        ref.sumRows(scale, s, rows, cols);
        expectClose(got, want, s, dtype, rows);
      }),
      { numRuns: 150, seed: 101 },
    );
  });

  it('division by zero gives the same Infinity/NaN as the oracle', () => {
    const a = Float32Array.from([1, -1, 0, 5, 6]);
    const b = Float32Array.from([0, 0, 0, 2, 3]);
    const got = new Float32Array(5);
    wasm.binary('div', a, b, got);
    expect(Array.from(got)).toEqual([Infinity, -Infinity, NaN, 2.5, 2]);
  });
});

describe('one-column shapes (a single-output layer: bias add and bias gradient)', () => {
  it('binaryRow and sumRows with cols = 1 agree with the oracle for every op, both dtypes', () => {
    for (const dtype of ['float32', 'float64'] as const)
      for (const rows of [1, 2, 3, 5, 17, 4097])
        for (const op of ['add', 'sub', 'mul', 'div'] as const) {
          const a = fill(rows * 7 + 1, rows, dtype, 'edge');
          const row = fill(rows * 7 + 2, 1, dtype);
          const want = a.slice();
          ref.binaryRow(op, a, row, want, rows, 1);
          const got = a.slice();
          wasm.binaryRow(op, a, row, got, rows, 1);
          expectClose(got, want, null, dtype);
          const ws = fill(3, 1, dtype);
          ref.sumRows(a, ws, rows, 1);
          const gs = fill(4, 1, dtype);
          wasm.sumRows(a, gs, rows, 1);
          expectClose(
            gs,
            ws,
            Float64Array.of(Array.from(a).reduce((s, v) => s + Math.abs(v), 0)),
            dtype,
            rows,
          );
        }
  });
});

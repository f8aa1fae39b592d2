import type { BinaryOp, FloatArray, Kernels } from './types.js';

/**
 * Plain TypeScript kernels: the oracle every faster backend is tested against.
 * Loops are written index-first and without closures so V8 keeps them monomorphic.
 */
export const referenceKernels: Kernels = {
  name: 'typescript',

  matmul(a, b, c, m, n, k, transA, transB, accumulate) {
    gemmAt(a, 0, b, 0, c, 0, m, n, k, transA, transB, accumulate);
  },

  matmulBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC) {
    // Offsets, not subarrays: a subarray per product is an allocation per product, the cost being avoided.
    for (let t = 0; t < batch; t++)
      gemmAt(a, t * strideA, b, t * strideB, c, t * strideC, m, n, k, transA, transB, false);
  },

  binary(op: BinaryOp, a: FloatArray, b: FloatArray, out: FloatArray) {
    const n = out.length;
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
        break;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
        break;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
        break;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
        break;
    }
  },

  binaryRow(op, a, row, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      switch (op) {
        case 'add':
          for (let c = 0; c < cols; c++) out[o + c] = a[o + c] + row[c];
          break;
        case 'sub':
          for (let c = 0; c < cols; c++) out[o + c] = a[o + c] - row[c];
          break;
        case 'mul':
          for (let c = 0; c < cols; c++) out[o + c] = a[o + c] * row[c];
          break;
        case 'div':
          for (let c = 0; c < cols; c++) out[o + c] = a[o + c] / row[c];
          break;
      }
    }
  },

  sumRows(a, out, rows, cols) {
    // Accumulate in float64 even for float32 data: a bias gradient sums over the whole batch.
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += a[o + c];
    }
    for (let c = 0; c < cols; c++) out[c] = acc[c];
  },
};

/**
 * C (at element `oc`) (+)= op(A at `oa`)·op(B at `ob`): the reference GEMM, on offsets into the arrays so the
 * batched kernel runs the very same loops (and so the same roundings) as `matmul` without slicing.
 */
function gemmAt(
  a: FloatArray,
  oa: number,
  b: FloatArray,
  ob: number,
  c: FloatArray,
  oc: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, oc, oc + m * n);
  // i-p-j order: the innermost loop walks B and C rows contiguously when B is not transposed.
  if (!transB) {
    for (let i = 0; i < m; i++) {
      const ci = oc + i * n;
      for (let p = 0; p < k; p++) {
        // No skipping of zeros: 0·NaN must stay NaN, as in BLAS and torch.
        const aip = transA ? a[oa + p * m + i] : a[oa + i * k + p];
        const bp = ob + p * n;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const ci = oc + i * n;
      for (let j = 0; j < n; j++) {
        const bj = ob + j * k;
        let s = 0;
        if (transA) for (let p = 0; p < k; p++) s += a[oa + p * m + i] * b[bj + p];
        else {
          const ai = oa + i * k;
          for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
        }
        c[ci + j] += s;
      }
    }
  }
}

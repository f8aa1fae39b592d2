/**
 * Matrix product, 2-D and batched. For C = A·B: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G, summed over any
 * broadcast batch dims. The transposes are not materialized on the hot path: the kernel takes
 * transpose flags.
 */
import { allocate, promote, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../shape.js';
import { Tensor, result } from '../tensor.js';
import { add } from './elementwise.js';
import { reshape } from './movement.js';
import { sumTo } from './reduce.js';

function cast(d: FloatArray, dtype: 'float32' | 'float64'): FloatArray {
  if (dtype === 'float64') return d instanceof Float64Array ? d : Float64Array.from(d);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

/**
 * op(A)·op(B) over (broadcast) batch dims, where op transposes the last two dims when asked.
 * Returns the data and shape of the product.
 */
function batchedProduct(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
): { data: FloatArray; shape: number[] } {
  if (a.ndim < 2 || b.ndim < 2) {
    throw new RangeError(
      `matmul needs tensors of rank ≥ 2; got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  }
  const ar = a.shape[a.ndim - 2];
  const ac = a.shape[a.ndim - 1];
  const br = b.shape[b.ndim - 2];
  const bc = b.shape[b.ndim - 1];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new RangeError(
      `matmul: inner dimensions differ: [${a.shape.join(', ')}] · [${b.shape.join(', ')}]`,
    );
  }
  const dtype = promote(a.dtype, b.dtype);
  const ad = cast(a.data, dtype);
  const bd = cast(b.data, dtype);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  const nb = sizeOf(batch);
  const out = allocate(dtype, nb * m * n);
  const kern = kernels();
  const na = sizeOf(aBatch);
  const nbB = sizeOf(bBatch);
  if (nb === 1) {
    kern.matmul(ad, bd, out, m, n, k, transA, transB, false);
  } else if (nbB === 1 && !transA) {
    // One B against a batch of untransposed A (a linear layer on [batch, T, in]): the A_t stacked are one
    // (nb·m)×k matrix and the C_t stacked one (nb·m)×n, so a single GEMM does it, the shape BLAS is fastest on.
    kern.matmul(ad, bd, out, nb * m, n, k, false, transB, false);
  } else if ((na === nb || na === 1) && (nbB === nb || nbB === 1)) {
    // Each operand either has the whole batch (same size as the broadcast batch means the same shape, up to
    // leading 1s, so product t reads matrix t) or one matrix shared by all: one batched kernel call, stride 0
    // for the shared one. Attention's heads and a weight broadcast over a batch both land here.
    kern.matmulBatched(
      ad,
      bd,
      out,
      nb,
      m,
      n,
      k,
      transA,
      transB,
      na === 1 ? 0 : ar * ac,
      nbB === 1 ? 0 : br * bc,
      m * n,
    );
  } else {
    // Mixed broadcasts ([B, 1] against [1, H]): per-product calls walking both operands' batch strides.
    const sa = broadcastStrides(aBatch, batch);
    const sb = broadcastStrides(bBatch, batch);
    const idx = new Array<number>(batch.length).fill(0);
    for (let t = 0; t < nb; t++) {
      let oa = 0;
      let ob = 0;
      for (let q = 0; q < batch.length; q++) {
        oa += idx[q] * sa[q];
        ob += idx[q] * sb[q];
      }
      kern.matmul(
        ad.subarray(oa * ar * ac, (oa + 1) * ar * ac),
        bd.subarray(ob * br * bc, (ob + 1) * br * bc),
        out.subarray(t * m * n, (t + 1) * m * n),
        m,
        n,
        k,
        transA,
        transB,
        false,
      );
      for (let q = batch.length - 1; q >= 0; q--) {
        if (++idx[q] < batch[q]) break;
        idx[q] = 0;
      }
    }
  }
  return { data: out, shape: [...batch, m, n] };
}

/** A·B for 2-D or batched tensors (leading dims broadcast). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return product(a, b, false, false);
}

/** op(A)·op(B) as a differentiable op; `matmul` is the case without transposes. */
function product(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const f = batchedProduct(a, b, transA, transB);
  return result('matmul', f.data, f.shape, [a, b], (g) => [
    // C = op(A)·op(B).  dL/dop(A) = G·op(B)ᵀ, dL/dop(B) = op(A)ᵀ·G, then undo op.
    a.requiresGrad
      ? sumTo(transA ? product(b, g, transB, true) : product(g, b, false, !transB), a.shape)
      : null,
    b.requiresGrad ? gradOfB(a, b, g, transA, transB) : null,
  ]);
}

/**
 * dL/dB. For one B shared by a batch of untransposed A (a linear layer on [batch, T, in]), Σ_t A_tᵀ·G_t is one
 * GEMM of the stacked matrices, (nb·m)×k against (nb·m)×n, instead of nb products and a reduction over them.
 */
function gradOfB(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean): Tensor {
  if (!transA && a.ndim > 2 && sizeOf(b.shape.slice(0, -2)) === 1 && sizeOf(a.shape.slice(0, -2)) > 1) {
    const rows = sizeOf(a.shape.slice(0, -1));
    const a2 = reshape(a, [rows, a.shape[a.ndim - 1]]);
    const g2 = reshape(g, [rows, g.shape[g.ndim - 1]]);
    return reshape(transB ? product(g2, a2, true, false) : product(a2, g2, true, false), b.shape);
  }
  return sumTo(transB ? product(g, a, true, transA) : product(a, g, !transA, false), b.shape);
}

/**
 * x·Wᵀ (+ b): torch.nn.functional.linear, with W stored [out, in] as nn.Linear keeps it. The
 * transpose is a kernel flag, never a copy.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const y = product(x, weight, false, true);
  return bias ? add(y, bias) : y;
}

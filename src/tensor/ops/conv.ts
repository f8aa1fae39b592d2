/**
 * Convolutions (torch.nn.functional.conv1d / conv2d: cross-correlation, no kernel flip) as im2col
 * plus one matrix product per group.
 *
 * For x [N, C, H, W], weight W [O, C/G, kH, kW] (G groups) and bias b [O]:
 *
 *   y[n, o, i, j] = b[o] + Σ_{c ∈ group(o)} Σ_{p, q} W[o, c, p, q] · x[n, c, i·sH − padTop + p·dH, j·sW − padLeft + q·dW]
 *
 * with x read as 0 outside the image. `im2col` lays the taps out as a matrix X̂ [C·kH·kW, N·L]
 * (L = oH·oW: row r = (c, p, q), column (n, i, j)), so per group g the convolution is one product
 * Y_g = W_g · X̂_g with W_g [O/G, C/G·kH·kW]. The batch is a column block rather than a loop, so each
 * group is one large GEMM (the native tier hands it to BLAS).
 *
 * The three bilinear maps below are closed under taking vector-Jacobian products, which is what makes
 * double backward (Hessian-vector products) work without any second-order rule of its own:
 *
 *   A(W, X̂) = W·X̂          (the forward, [N, O, L])
 *   B(G, X̂) = G·X̂ᵀ         (∂/∂W, summed over the batch because the batch is in the columns)
 *   C(W, G) = Wᵀ·G          (∂/∂X̂, then `col2im` scatters it back onto the image)
 *
 *   vjp A: Ḡ ↦ (B(Ḡ, X̂), C(W, Ḡ));  vjp B: W̄ ↦ (A(W̄, X̂), C(W̄, G));  vjp C: X̄ ↦ (B(G, X̄), A(W, X̄)).
 *
 * `im2col` and `col2im` are linear and each other's adjoint: ⟨im2col(x), Ĝ⟩ = ⟨x, col2im(Ĝ)⟩.
 */
import { allocate, promote, type DType, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import { Tensor, result } from '../tensor.js';
import { reshape } from './movement.js';

/**
 * Where the taps of a 2-d window operation sit: the input plane, the kernel, and for each dimension
 * the stride, the dilation, the zeros added before the first row/column, and the output size (which
 * already accounts for the zeros added after the last one). 1-d ops use H = 1, kH = 1.
 */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** Zeros before the first row and before the first column (the top/left padding). */
  padBefore: [number, number];
  /** Output rows and columns. */
  out: [number, number];
}

/**
 * torch's output size of a convolution or pooling window along one dimension:
 * ⌊(size + padTotal − dilation·(kernel − 1) − 1) / stride⌋ + 1 (≤ 0 when the window does not fit).
 */
export function convOutputLength(
  size: number,
  kernel: number,
  stride: number,
  padTotal: number,
  dilation: number,
): number {
  return Math.floor((size + padTotal - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * torch's `padding="same"` along one dimension: the total dilation·(kernel − 1), split with the
 * smaller half before (total//2) and the rest after, so an even kernel pads one more at the end.
 */
export function samePadding(kernel: number, dilation: number): [before: number, after: number] {
  const total = dilation * (kernel - 1);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

function checkGeometry(g: ConvGeometry, what: string): void {
  const dims = [g.channels, g.height, g.width, ...g.kernel, ...g.stride, ...g.dilation, ...g.out];
  if (
    !dims.every((d) => Number.isInteger(d) && d >= 1) ||
    !g.padBefore.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new RangeError(`${what}: invalid geometry ${JSON.stringify(g)}`);
  }
}

/**
 * The index arithmetic of im2col and col2im. For row r = (c, p, q) of X̂, output column j reads input
 * column j·sW + (q·dW − padLeft); the j for which that lies inside [0, W) form one range [j0, j1),
 * found once per row, so the inner loops have no bounds tests (the rest stays 0: padding). Per row r
 * the plan holds j0, j1, the channel offset of the source and the tap offsets (ihOff, iwOff).
 */
function rowPlan(g: ConvGeometry): Int32Array {
  const { channels: C, height: H, width: W } = g;
  const [kH, kW] = g.kernel;
  const [, sW] = g.stride;
  const [dH, dW] = g.dilation;
  const [pH, pW] = g.padBefore;
  const [, oW] = g.out;
  const plan = new Int32Array(C * kH * kW * 5);
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < kH; p++) {
      for (let q = 0; q < kW; q++, r++) {
        const iwOff = q * dW - pW;
        const j0 = Math.max(0, Math.ceil(-iwOff / sW));
        plan[5 * r] = j0;
        plan[5 * r + 1] = Math.max(j0, Math.min(oW, Math.floor((W - 1 - iwOff) / sW) + 1));
        plan[5 * r + 2] = c * H * W;
        plan[5 * r + 3] = p * dH - pH;
        plan[5 * r + 4] = iwOff;
      }
    }
  }
  return plan;
}

/**
 * Copy between x and X̂ (`scatter` false: X̂ ← x; true: x += X̂), the one loop nest of im2col and col2im.
 * Written once, without callbacks in the inner loop (a closure call per output row costs as much
 * as the row's 8 copies on the digits net).
 */
function moveColumns(g: ConvGeometry, n: number, xd: FloatArray, cd: FloatArray, scatter: boolean): void {
  const { channels: C, height: H, width: W } = g;
  const [kH, kW] = g.kernel;
  const [sH, sW] = g.stride;
  const [oH, oW] = g.out;
  const L = oH * oW;
  const NL = n * L;
  const plane = C * H * W;
  const rows = C * kH * kW;
  const plan = rowPlan(g);
  for (let r = 0; r < rows; r++) {
    const j0 = plan[5 * r];
    const j1 = plan[5 * r + 1];
    if (j0 === j1) continue;
    const chan = plan[5 * r + 2];
    const ihOff = plan[5 * r + 3];
    const iwOff = plan[5 * r + 4];
    for (let s = 0; s < n; s++) {
      const colBase = r * NL + s * L;
      const srcBase = s * plane + chan + iwOff;
      for (let i = 0; i < oH; i++) {
        const ih = i * sH + ihOff;
        if (ih < 0 || ih >= H) continue;
        const col = colBase + i * oW;
        const src = srcBase + ih * W;
        if (scatter) for (let j = j0; j < j1; j++) xd[src + j * sW] += cd[col + j];
        else if (sW === 1) for (let j = j0; j < j1; j++) cd[col + j] = xd[src + j];
        else for (let j = j0; j < j1; j++) cd[col + j] = xd[src + j * sW];
      }
    }
  }
}

/**
 * The columns X̂ [C·kH·kW, N·oH·oW] of x (any shape of N·C·H·W elements, batch first):
 * X̂[(c, p, q), (n, i, j)] = x[n, c, i·sH − padTop + p·dH, j·sW − padLeft + q·dW], 0 in the padding.
 * Linear; its derivative is `col2im` of the gradient.
 */
export function im2col(x: Tensor, g: ConvGeometry): Tensor {
  checkGeometry(g, 'im2col');
  const plane = g.channels * g.height * g.width;
  const n = x.ndim > 0 ? x.shape[0] : 0;
  if (x.ndim === 0 || x.size !== n * plane) {
    throw new RangeError(
      `im2col: input [${x.shape.join(', ')}] is not [N, ${g.channels}, ${g.height}, ${g.width}]`,
    );
  }
  const L = g.out[0] * g.out[1];
  const rows = g.channels * g.kernel[0] * g.kernel[1];
  const out = allocate(x.dtype, rows * n * L);
  moveColumns(g, n, x.data, out, false);
  const shape = [...x.shape];
  return result('im2col', out, [rows, n * L], [x], (gr) => [col2im(gr, g, shape)]);
}

/**
 * The adjoint of `im2col`: every column entry is added back onto the input position it was read
 * from (overlapping windows sum), giving a tensor of `shape` (N·C·H·W elements). Linear; its
 * derivative is `im2col`.
 */
export function col2im(cols: Tensor, g: ConvGeometry, shape: readonly number[]): Tensor {
  checkGeometry(g, 'col2im');
  const L = g.out[0] * g.out[1];
  const rows = g.channels * g.kernel[0] * g.kernel[1];
  const plane = g.channels * g.height * g.width;
  const n = shape[0];
  if (
    cols.ndim !== 2 ||
    cols.shape[0] !== rows ||
    cols.shape[1] !== n * L ||
    shape.reduce((a, b) => a * b, 1) !== n * plane
  ) {
    throw new RangeError(`col2im: columns [${cols.shape.join(', ')}] do not fit [${shape.join(', ')}]`);
  }
  const out = allocate(cols.dtype, n * plane);
  moveColumns(g, n, out, cols.data, true);
  return result('col2im', out, shape, [cols], (gg) => [im2col(gg, g)]);
}

function asDType(d: FloatArray, dtype: DType): FloatArray {
  if (dtype === 'float64') return d instanceof Float64Array ? d : Float64Array.from(d);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

/**
 * Reused buffers for values that never leave an op (the channel-major product before its permute,
 * the channel-major copy of a gradient): a training step runs the same shapes every time, so
 * allocating and zero-filling them anew is pure overhead. One buffer per slot and dtype, grown on
 * demand; results above SCRATCH_MAX elements are not kept, so memory stays bounded.
 */
const scratchBuffers = new Map<string, FloatArray>();
const SCRATCH_MAX = 1 << 22;

function scratch(slot: 'product' | 'transposed', dtype: DType, n: number): FloatArray {
  if (n > SCRATCH_MAX) return allocate(dtype, n);
  const key = `${slot}:${dtype}`;
  let buf = scratchBuffers.get(key);
  if (!buf || buf.length < n) {
    buf = allocate(dtype, n);
    scratchBuffers.set(key, buf);
  }
  return buf.subarray(0, n);
}

/**
 * g [N, O, L] (sample-major) → [O, N·L] (channel-major), the layout the per-group GEMMs read. With
 * `sums`, also adds Σ_l g[n, o, l] into sums[o] for every n, in the order `channelSum` uses, so
 * the bias gradient comes from the same pass.
 */
function channelMajor(
  g: FloatArray,
  n: number,
  o: number,
  L: number,
  dtype: DType,
  sums: Float64Array | null,
): FloatArray {
  if (n === 1 && !sums) return g;
  const out = n === 1 ? g : scratch('transposed', dtype, g.length);
  const NL = n * L;
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < o; c++) {
      const src = (s * o + c) * L;
      const dst = c * NL + s * L;
      let t = 0;
      if (n === 1) for (let l = 0; l < L; l++) t += g[src + l];
      else
        for (let l = 0; l < L; l++) {
          const v = g[src + l];
          out[dst + l] = v;
          t += v;
        }
      if (sums) sums[c] += t;
    }
  }
  return out;
}

/**
 * A(W, X̂) (+ b): per group g, Y_g = W_g·X̂_g, returned sample-major [N, O, L] with b[o] added.
 * W [O, K] with K = C/G·kH·kW; X̂ [G·K, N·L].
 */
function convApply(w: Tensor, cols: Tensor, bias: Tensor | null, groups: number, L: number): Tensor {
  const [O, K] = w.shape;
  const NL = cols.shape[1];
  const n = NL / L;
  const Og = O / groups;
  const dtype = promote(promote(w.dtype, cols.dtype), bias ? bias.dtype : w.dtype);
  const wd = asDType(w.data, dtype);
  const cd = asDType(cols.data, dtype);
  const kern = kernels();
  // Without a bias and with one sample the product is already the result, so it needs its own array.
  const tmp = n === 1 && !bias ? allocate(dtype, O * NL) : scratch('product', dtype, O * NL);
  for (let g = 0; g < groups; g++) {
    kern.matmul(
      wd.subarray(g * Og * K, (g + 1) * Og * K),
      cd.subarray(g * K * NL, (g + 1) * K * NL),
      tmp.subarray(g * Og * NL, (g + 1) * Og * NL),
      Og,
      NL,
      K,
      false,
      false,
      false,
    );
  }
  // [O, N·L] → [N, O, L], adding the bias in the same pass.
  const out = n === 1 && !bias ? tmp : allocate(dtype, O * NL);
  if (out !== tmp) {
    const bd = bias ? bias.data : null;
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < O; o++) {
        const src = o * NL + s * L;
        const dst = (s * O + o) * L;
        const bo = bd ? bd[o] : 0;
        for (let l = 0; l < L; l++) out[dst + l] = tmp[src + l] + bo;
      }
    }
  }
  const inputs = bias ? [w, cols, bias] : [w, cols];
  return result('conv', out, [n, O, L], inputs, (gy) => {
    const wantBias = bias !== null && bias.requiresGrad;
    // The weight gradient's pass over Ḡ also sums it per channel: the bias gradient for free.
    const sums = wantBias && w.requiresGrad ? new Float64Array(O) : null;
    return [
      w.requiresGrad ? convWeightGrad(gy, cols, groups, sums) : null,
      cols.requiresGrad ? convColsGrad(w, gy, groups) : null,
      wantBias ? channelSum(gy, sums) : null,
    ];
  });
}

/**
 * ∂/∂b[o] = Σ_{n, l} Ḡ[n, o, l] for Ḡ [N, O, L]: one pass (the generic two-axis `sum` reduces one axis
 * at a time). Linear; its derivative is `channelExpand`. `precomputed` holds the sums when the weight
 * gradient's pass over Ḡ has already made them.
 */
function channelSum(g: Tensor, precomputed: Float64Array | null = null): Tensor {
  const [n, O, L] = g.shape;
  const gd = g.data;
  // Accumulate in float64 even for float32 data: the sum runs over the whole batch.
  const acc = precomputed ?? new Float64Array(O);
  if (!precomputed)
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < O; o++) {
        const base = (s * O + o) * L;
        let t = 0;
        for (let l = 0; l < L; l++) t += gd[base + l];
        acc[o] += t;
      }
    }
  const out = allocate(g.dtype, O);
  out.set(acc);
  return result('channelSum', out, [O], [g], (gb) => [channelExpand(gb, n, L)]);
}

/** b [O] → [N, O, L] with every (n, l) equal to b[o]: the adjoint of `channelSum`. */
function channelExpand(b: Tensor, n: number, L: number): Tensor {
  const O = b.shape[0];
  const out = allocate(b.dtype, n * O * L);
  const bd = b.data;
  for (let s = 0; s < n; s++)
    for (let o = 0; o < O; o++) out.fill(bd[o], (s * O + o) * L, (s * O + o + 1) * L);
  return result('channelExpand', out, [n, O, L], [b], (g) => [channelSum(g)]);
}

/** B(G, X̂): per group, G_g·X̂_gᵀ, i.e. Σ_{n, l} G[n, o, l]·X̂[k, (n, l)] → [O, K]. */
function convWeightGrad(gy: Tensor, cols: Tensor, groups: number, sums: Float64Array | null = null): Tensor {
  const [n, O, L] = gy.shape;
  const NL = n * L;
  const K = cols.shape[0] / groups;
  const Og = O / groups;
  const dtype = promote(gy.dtype, cols.dtype);
  const gT = channelMajor(asDType(gy.data, dtype), n, O, L, dtype, sums);
  const cd = asDType(cols.data, dtype);
  const out = allocate(dtype, O * K);
  const kern = kernels();
  for (let g = 0; g < groups; g++) {
    kern.matmul(
      gT.subarray(g * Og * NL, (g + 1) * Og * NL),
      cd.subarray(g * K * NL, (g + 1) * K * NL),
      out.subarray(g * Og * K, (g + 1) * Og * K),
      Og,
      K,
      NL,
      false,
      true,
      false,
    );
  }
  return result('convWeightGrad', out, [O, K], [gy, cols], (gw) => [
    gy.requiresGrad ? convApply(gw, cols, null, groups, L) : null,
    cols.requiresGrad ? convColsGrad(gw, gy, groups) : null,
  ]);
}

/** C(W, G): per group, W_gᵀ·G_g → X̂-shaped [G·K, N·L]. */
function convColsGrad(w: Tensor, gy: Tensor, groups: number): Tensor {
  const [O, K] = w.shape;
  const [n, , L] = gy.shape;
  const NL = n * L;
  const Og = O / groups;
  const dtype = promote(w.dtype, gy.dtype);
  const wd = asDType(w.data, dtype);
  const gT = channelMajor(asDType(gy.data, dtype), n, O, L, dtype, null);
  const out = allocate(dtype, groups * K * NL);
  const kern = kernels();
  for (let g = 0; g < groups; g++) {
    kern.matmul(
      wd.subarray(g * Og * K, (g + 1) * Og * K),
      gT.subarray(g * Og * NL, (g + 1) * Og * NL),
      out.subarray(g * K * NL, (g + 1) * K * NL),
      K,
      NL,
      Og,
      true,
      false,
      false,
    );
  }
  return result('convColsGrad', out, [groups * K, NL], [w, gy], (gc) => [
    w.requiresGrad ? convWeightGrad(gy, gc, groups) : null,
    gy.requiresGrad ? convApply(w, gc, null, groups, L) : null,
  ]);
}

/** A pair option: one number for both dims or [h, w]. */
export type Pair2 = number | readonly [number, number];

/** Options of `conv2d`, torch's defaults: stride 1, padding 0, dilation 1, groups 1. */
export interface Conv2dOptions {
  stride?: Pair2;
  /** Zeros on both sides of each dim, or torch's 'same' (stride 1 only) / 'valid' (= 0). */
  padding?: Pair2 | 'same' | 'valid';
  dilation?: Pair2;
  groups?: number;
}

/** Options of `conv1d`, torch's defaults: stride 1, padding 0, dilation 1, groups 1. */
export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
}

const pair = (v: Pair2): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Shared by conv1d and conv2d once both are seen as 2-d (1-d has H = kH = 1). */
function convNd(
  what: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  plane: [number, number, number],
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
  padding: [[number, number], [number, number]],
  groups: number,
  outShape: (oH: number, oW: number) => number[],
): Tensor {
  const [C, H, W] = plane;
  const O = weight.shape[0];
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0 || O % groups !== 0) {
    throw new RangeError(
      `${what}: groups ${groups} must divide the input channels ${C} and the output channels ${O}`,
    );
  }
  if (weight.shape[1] !== C / groups) {
    throw new RangeError(
      `${what}: weight [${weight.shape.join(', ')}] needs ${C / groups} input channels per group (input has ${C}, groups ${groups})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) {
    throw new RangeError(`${what}: bias [${bias.shape.join(', ')}] must be [${O}]`);
  }
  const oH = convOutputLength(H, kernel[0], stride[0], padding[0][0] + padding[0][1], dilation[0]);
  const oW = convOutputLength(W, kernel[1], stride[1], padding[1][0] + padding[1][1], dilation[1]);
  if (oH < 1 || oW < 1) {
    throw new RangeError(
      `${what}: kernel ${kernel.join('×')} (dilation ${dilation.join('×')}) does not fit the input ${H}×${W} with padding ${padding.map((p) => p.join('+')).join(', ')}`,
    );
  }
  const geom: ConvGeometry = {
    channels: C,
    height: H,
    width: W,
    kernel,
    stride,
    dilation,
    padBefore: [padding[0][0], padding[1][0]],
    out: [oH, oW],
  };
  const n = x.shape[0];
  const cols = im2col(x, geom);
  const w2 = reshape(weight, [O, weight.size / O]);
  const y = convApply(w2, cols, bias ?? null, groups, oH * oW);
  return reshape(y, [n, O, ...outShape(oH, oW)]);
}

function resolvePadding(
  what: string,
  padding: Pair2 | 'same' | 'valid',
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
): [[number, number], [number, number]] {
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new RangeError(
        `${what}: padding 'same' needs stride 1 (got stride ${stride.join('×')}), as in torch`,
      );
    }
    return [samePadding(kernel[0], dilation[0]), samePadding(kernel[1], dilation[1])];
  }
  const [ph, pw] = pair(padding);
  return [
    [ph, ph],
    [pw, pw],
  ];
}

/**
 * torch.nn.functional.conv2d: x [N, C, H, W], weight [O, C/groups, kH, kW], bias [O] → [N, O, oH, oW]
 * with oH = ⌊(H + 2·padH − dH·(kH − 1) − 1)/sH⌋ + 1 (likewise oW). Differentiable to any order in
 * x, weight and bias; dtype is float64 when any operand is.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4 || weight.ndim !== 4) {
    throw new RangeError(
      `conv2d: input [${x.shape.join(', ')}] and weight [${weight.shape.join(', ')}] must be 4-d`,
    );
  }
  const kernel: [number, number] = [weight.shape[2], weight.shape[3]];
  const stride = pair(opts.stride ?? 1);
  const dilation = pair(opts.dilation ?? 1);
  const padding = resolvePadding('conv2d', opts.padding ?? 0, kernel, stride, dilation);
  const [, C, H, W] = x.shape;
  return convNd(
    'conv2d',
    x,
    weight,
    bias,
    [C, H, W],
    kernel,
    stride,
    dilation,
    padding,
    opts.groups ?? 1,
    (oH, oW) => [oH, oW],
  );
}

/**
 * torch.nn.functional.conv1d: x [N, C, L], weight [O, C/groups, k], bias [O] → [N, O, oL] with
 * oL = ⌊(L + 2·pad − d·(k − 1) − 1)/s⌋ + 1. The 2-d code with a height of one.
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  if (x.ndim !== 3 || weight.ndim !== 3) {
    throw new RangeError(
      `conv1d: input [${x.shape.join(', ')}] and weight [${weight.shape.join(', ')}] must be 3-d`,
    );
  }
  const kernel: [number, number] = [1, weight.shape[2]];
  const stride: [number, number] = [1, opts.stride ?? 1];
  const dilation: [number, number] = [1, opts.dilation ?? 1];
  const p = opts.padding ?? 0;
  const padding = resolvePadding('conv1d', typeof p === 'number' ? [0, p] : p, kernel, stride, dilation);
  const [, C, L] = x.shape;
  return convNd(
    'conv1d',
    x,
    weight,
    bias,
    [C, 1, L],
    kernel,
    stride,
    dilation,
    padding,
    opts.groups ?? 1,
    (_oH, oW) => [oW],
  );
}

/**
 * Pooling (torch.nn.functional.max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d, ceil_mode off).
 *
 * Every pool reads, for each output position of a plane (one sample's one channel), a window of
 * input positions of the same plane; padding taps are skipped. Max pools walk each window's range of
 * real taps directly; mean pools (whose windows may be irregular: adaptive) read them from a
 * `WindowPlan` built once per geometry and shared by all N·C planes:
 *
 *   max:  y[o] = x[a(o)],  a(o) = the first maximal tap of window(o) in row-major scan (a NaN wins, as
 *         in torch), recorded at forward time. Derivative: ∂L/∂x = scatter of Ḡ to a(·) (summing where
 *         windows overlap), a linear map whose own derivative is the gather by the same a(·).
 *   mean: y[o] = (Σ_{t ∈ window(o)} x[t]) / d(o), d(o) = kH·kW with countIncludePad (padding zeros
 *         count) or the number of real taps without; adaptive pools use their own window sizes.
 *         Derivative: its adjoint ∂L/∂x[t] = Σ_{o ∋ t} Ḡ[o] / d(o), whose derivative is the mean again.
 *
 * Because each derivative is a linear op paired with its adjoint, second derivatives (HVPs of
 * networks with pooling inside) come out of the same four functions.
 */
import { allocate, type FloatArray } from '../dtype.js';
import { Tensor, result } from '../tensor.js';
import { convOutputLength, type Pair2 } from './conv.js';

/** The taps of every output position within one plane, and the divisor of the mean. */
interface WindowPlan {
  inPlane: number;
  outPlane: number;
  /** Taps of output o are taps[starts[o] .. starts[o + 1]). */
  starts: Int32Array;
  /** Offsets within the input plane, in row-major window order. */
  taps: Int32Array;
  /** Divisor of a mean pool, per output position. */
  divisor: Float64Array;
}

const plans = new Map<string, WindowPlan>();
const PLAN_CACHE = 64;

function cachedPlan(key: string, build: () => WindowPlan): WindowPlan {
  const hit = plans.get(key);
  if (hit) {
    plans.delete(key);
    plans.set(key, hit);
    return hit;
  }
  const plan = build();
  if (plans.size >= PLAN_CACHE) plans.delete(plans.keys().next().value!);
  plans.set(key, plan);
  return plan;
}

/** Window i of a strided, dilated, padded scan: the input indices of its taps that lie inside [0, size). */
type Windows = (i: number) => number[];

/** A plan from per-dimension window lists (rows × columns of the plane). */
function planOf(
  H: number,
  W: number,
  oH: number,
  oW: number,
  rows: Windows,
  cols: Windows,
  divisor: (rows: number[], cols: number[], i: number, j: number) => number,
): WindowPlan {
  const starts = new Int32Array(oH * oW + 1);
  const taps: number[] = [];
  const div = new Float64Array(oH * oW);
  for (let i = 0; i < oH; i++) {
    const r = rows(i);
    for (let j = 0; j < oW; j++) {
      const c = cols(j);
      const o = i * oW + j;
      starts[o] = taps.length;
      for (const ih of r) for (const iw of c) taps.push(ih * W + iw);
      div[o] = divisor(r, c, i, j);
    }
  }
  starts[oH * oW] = taps.length;
  return { inPlane: H * W, outPlane: oH * oW, starts, taps: Int32Array.from(taps), divisor: div };
}

/** Taps k·dilation − pad + i·stride (k < kernel) that fall inside [0, size). */
function strided(size: number, kernel: number, stride: number, pad: number, dilation: number): Windows {
  return (i) => {
    const out: number[] = [];
    for (let k = 0; k < kernel; k++) {
      const t = i * stride - pad + k * dilation;
      if (t >= 0 && t < size) out.push(t);
    }
    return out;
  };
}

/** torch's adaptive windows: [⌊i·In/Out⌋, ⌈(i + 1)·In/Out⌉). */
function adaptive(size: number, out: number): Windows {
  return (i) => {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    const t: number[] = [];
    for (let k = start; k < end; k++) t.push(k);
    return t;
  };
}

/** Window geometry of a strided pool, both dims (1-d pools use H = kH = 1). */
interface PoolGeometry {
  height: number;
  width: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/**
 * Output size of a strided pool, with torch's checks: padding at most half the kernel, and a
 * non-empty output.
 */
function poolOutput(what: string, g: PoolGeometry): [number, number] {
  const all = [g.height, g.width, ...g.kernel, ...g.stride, ...g.dilation];
  if (
    !all.every((d) => Number.isInteger(d) && d >= 1) ||
    !g.padding.every((p) => Number.isInteger(p) && p >= 0)
  ) {
    throw new RangeError(`${what}: invalid window ${JSON.stringify(g)}`);
  }
  if (g.padding[0] > g.kernel[0] / 2 || g.padding[1] > g.kernel[1] / 2) {
    throw new RangeError(
      `${what}: padding ${g.padding.join('×')} must be at most half the kernel ${g.kernel.join('×')} (torch's rule)`,
    );
  }
  const oH = convOutputLength(g.height, g.kernel[0], g.stride[0], 2 * g.padding[0], g.dilation[0]);
  const oW = convOutputLength(g.width, g.kernel[1], g.stride[1], 2 * g.padding[1], g.dilation[1]);
  if (oH < 1 || oW < 1) {
    throw new RangeError(
      `${what}: the window ${g.kernel.join('×')} (stride ${g.stride.join('×')}, padding ${g.padding.join('×')}, dilation ${g.dilation.join('×')}) gives an empty output from ${g.height}×${g.width}`,
    );
  }
  return [oH, oW];
}

function stridedPlan(
  what: string,
  g: PoolGeometry,
  countIncludePad: boolean,
): { plan: WindowPlan; out: [number, number] } {
  const [oH, oW] = poolOutput(what, g);
  const key = `s:${g.height},${g.width},${g.kernel},${g.stride},${g.padding},${g.dilation},${countIncludePad}`;
  const plan = cachedPlan(key, () =>
    planOf(
      g.height,
      g.width,
      oH,
      oW,
      strided(g.height, g.kernel[0], g.stride[0], g.padding[0], g.dilation[0]),
      strided(g.width, g.kernel[1], g.stride[1], g.padding[1], g.dilation[1]),
      // Without ceil_mode every window ends inside the padded input, so torch's
      // (hend − hstart)·(wend − wstart) is the full kernel area.
      (r, c) => (countIncludePad ? g.kernel[0] * g.kernel[1] : r.length * c.length),
    ),
  );
  return { plan, out: [oH, oW] };
}

/** Planes of x (N·C of them) for a plan, checking that the trailing dims hold a whole plane. */
function planesOf(x: Tensor, plan: WindowPlan, what: string): number {
  const planes = x.size / plan.inPlane;
  if (!Number.isInteger(planes) || x.ndim < 2) {
    throw new RangeError(`${what}: input [${x.shape.join(', ')}] does not hold planes of ${plan.inPlane}`);
  }
  return planes;
}

/**
 * For each output index i along one dimension, the kernel taps k whose input i·stride − pad + k·dilation
 * lies inside [0, size): the range [from[i], to[i]). Max pooling walks these ranges directly (no
 * per-tap index table: on the digits net the table's indirection cost more than the comparisons).
 */
function tapRange(
  size: number,
  outSize: number,
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
): { from: Int32Array; to: Int32Array } {
  const from = new Int32Array(outSize);
  const to = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const start = i * stride - pad;
    const k0 = Math.max(0, Math.ceil(-start / dilation));
    from[i] = k0;
    to[i] = Math.max(k0, Math.min(kernel, Math.floor((size - 1 - start) / dilation) + 1));
  }
  return { from, to };
}

/** Forward of max pooling: the value and flat index of the first maximum of each window. */
function maxPoolForward(x: Tensor, g: PoolGeometry, oH: number, oW: number, shape: number[]): Tensor {
  const planes = x.size / (g.height * g.width);
  const rows = tapRange(g.height, oH, g.kernel[0], g.stride[0], g.padding[0], g.dilation[0]);
  const cols = tapRange(g.width, oW, g.kernel[1], g.stride[1], g.padding[1], g.dilation[1]);
  const out = allocate(x.dtype, planes * oH * oW);
  const index = new Int32Array(planes * oH * oW);
  const plain = g.padding[0] === 0 && g.padding[1] === 0 && g.dilation[0] === 1 && g.dilation[1] === 1;
  if (plain && g.kernel[1] === 2 && (g.kernel[0] === 2 || g.kernel[0] === 1)) {
    maxPoolPairs(
      x.data,
      out,
      index,
      planes,
      g.height,
      g.width,
      oH,
      oW,
      g.stride[0],
      g.stride[1],
      g.kernel[0] === 2,
    );
  } else {
    maxPoolLoops(x.data, out, index, planes, g, oH, oW, rows, cols);
  }
  return result('maxPool', out, shape, [x], (gr) => [scatterAt(gr, index, x.shape)]);
}

/**
 * The common CNN pool, a 2×2 (or, 1-d, a 2-wide) window without padding or dilation, unrolled: on
 * the digits net this runs ~6× faster than the general loops, whose two-iteration inner loops cost
 * more than the comparisons. Same scan order and NaN rule, so the same maxima and indices.
 */
function maxPoolPairs(
  xd: FloatArray,
  out: FloatArray,
  index: Int32Array,
  planes: number,
  H: number,
  W: number,
  oH: number,
  oW: number,
  sH: number,
  sW: number,
  twoRows: boolean,
): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * H * W;
    for (let i = 0; i < oH; i++) {
      const r0 = base + i * sH * W;
      for (let j = 0; j < oW; j++, o++) {
        const t0 = r0 + j * sW;
        // Starting from the first tap is torch's start from −∞ at it: −∞ stays there, a NaN wins.
        let best = xd[t0];
        let at = t0;
        let v = xd[t0 + 1];
        if (v > best || v !== v) {
          best = v;
          at = t0 + 1;
        }
        if (twoRows) {
          const t2 = t0 + W;
          v = xd[t2];
          if (v > best || v !== v) {
            best = v;
            at = t2;
          }
          v = xd[t2 + 1];
          if (v > best || v !== v) {
            best = v;
            at = t2 + 1;
          }
        }
        out[o] = best;
        index[o] = at;
      }
    }
  }
}

/**
 * The loops of `maxPoolForward`, in a function of their own: V8 compiles a hot loop on the fly
 * (on-stack replacement) and would otherwise deoptimize at the never-yet-run code after it.
 */
function maxPoolLoops(
  xd: FloatArray,
  out: FloatArray,
  index: Int32Array,
  planes: number,
  g: PoolGeometry,
  oH: number,
  oW: number,
  rows: { from: Int32Array; to: Int32Array },
  cols: { from: Int32Array; to: Int32Array },
): void {
  const W = g.width;
  const inPlane = g.height * W;
  const [sH, sW] = g.stride;
  const [pH, pW] = g.padding;
  const [dH, dW] = g.dilation;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let i = 0; i < oH; i++) {
      const h0 = i * sH - pH;
      const kh0 = rows.from[i];
      const kh1 = rows.to[i];
      for (let j = 0; j < oW; j++, o++) {
        const w0 = j * sW - pW;
        const kw0 = cols.from[j];
        const kw1 = cols.to[j];
        // torch starts from −∞ at the first real tap, so an all −∞ window reports that tap.
        let best = -Infinity;
        let at = base + (h0 + kh0 * dH) * W + w0 + kw0 * dW;
        for (let kh = kh0; kh < kh1; kh++) {
          const row = base + (h0 + kh * dH) * W + w0;
          for (let kw = kw0; kw < kw1; kw++) {
            const t = row + kw * dW;
            const v = xd[t];
            // A NaN wins and keeps winning (each later NaN replaces it), as in torch's kernel.
            if (v > best || v !== v) {
              best = v;
              at = t;
            }
          }
        }
        out[o] = best;
        index[o] = at;
      }
    }
  }
}

/** Zeros of `shape` with g[o] added at index[o]: the derivative of max pooling. Linear. */
function scatterAt(g: Tensor, index: Int32Array, shape: readonly number[]): Tensor {
  const out = allocate(
    g.dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  const gd = g.data;
  for (let o = 0; o < index.length; o++) out[index[o]] += gd[o];
  return result('poolScatter', out, shape, [g], (gg) => [gatherAt(gg, index, g.shape)]);
}

/** x[index[o]] for every o: the adjoint of `scatterAt` (and max pooling with the indices fixed). */
function gatherAt(x: Tensor, index: Int32Array, shape: readonly number[]): Tensor {
  const out = allocate(x.dtype, index.length);
  const xd = x.data;
  for (let o = 0; o < index.length; o++) out[o] = xd[index[o]];
  return result('poolGather', out, shape, [x], (g) => [scatterAt(g, index, x.shape)]);
}

/** Σ of each window / its divisor. Linear; its derivative is `meanPoolAdjoint`. */
function meanPool(x: Tensor, plan: WindowPlan, shape: number[], what: string): Tensor {
  const planes = planesOf(x, plan, what);
  const { inPlane, outPlane, starts, taps, divisor } = plan;
  const out = allocate(x.dtype, planes * outPlane);
  const xd = x.data;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let o = 0; o < outPlane; o++) {
      let s = 0;
      for (let t = starts[o]; t < starts[o + 1]; t++) s += xd[base + taps[t]];
      // Sum then divide, as torch does (not a multiply by 1/d: that rounds differently).
      out[p * outPlane + o] = s / divisor[o];
    }
  }
  const inShape = [...x.shape];
  return result('meanPool', out, shape, [x], (g) => [meanPoolAdjoint(g, plan, inShape, what)]);
}

/** ∂L/∂x[t] = Σ_{o ∋ t} Ḡ[o] / d(o): the adjoint of `meanPool`, whose derivative is `meanPool`. */
function meanPoolAdjoint(g: Tensor, plan: WindowPlan, shape: number[], what: string): Tensor {
  const { inPlane, outPlane, starts, taps, divisor } = plan;
  const planes = g.size / outPlane;
  const out = allocate(g.dtype, planes * inPlane);
  const gd = g.data;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let o = 0; o < outPlane; o++) {
      const v = gd[p * outPlane + o] / divisor[o];
      for (let t = starts[o]; t < starts[o + 1]; t++) out[base + taps[t]] += v;
    }
  }
  const outShape = [...g.shape];
  return result('meanPoolAdjoint', out, shape, [g], (gg) => [meanPool(gg, plan, outShape, what)]);
}

const pair = (v: Pair2): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Options of the 2-d max pool: stride defaults to the kernel (torch's stride=None). */
export interface MaxPool2dOptions {
  stride?: Pair2;
  padding?: Pair2;
  dilation?: Pair2;
}

/** Options of the 2-d average pool: stride defaults to the kernel; countIncludePad defaults to true. */
export interface AvgPool2dOptions {
  stride?: Pair2;
  padding?: Pair2;
  countIncludePad?: boolean;
}

function geometry2d(
  x: Tensor,
  kernel: Pair2,
  stride: Pair2 | undefined,
  padding: Pair2,
  dilation: Pair2,
  what: string,
): PoolGeometry {
  if (x.ndim !== 4) throw new RangeError(`${what}: input [${x.shape.join(', ')}] must be [N, C, H, W]`);
  const k = pair(kernel);
  return {
    height: x.shape[2],
    width: x.shape[3],
    kernel: k,
    stride: pair(stride ?? k),
    padding: pair(padding),
    dilation: pair(dilation),
  };
}

function geometry1d(
  x: Tensor,
  kernel: number,
  stride: number | undefined,
  padding: number,
  dilation: number,
  what: string,
): PoolGeometry {
  if (x.ndim !== 3) throw new RangeError(`${what}: input [${x.shape.join(', ')}] must be [N, C, L]`);
  return {
    height: 1,
    width: x.shape[2],
    kernel: [1, kernel],
    stride: [1, stride ?? kernel],
    padding: [0, padding],
    dilation: [1, dilation],
  };
}

/** torch.nn.functional.max_pool2d: x [N, C, H, W] → [N, C, oH, oW], padding read as −∞. */
export function maxPool2d(x: Tensor, kernel: Pair2, opts: MaxPool2dOptions = {}): Tensor {
  const g = geometry2d(x, kernel, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, 'maxpool2d');
  const [oH, oW] = poolOutput('maxpool2d', g);
  return maxPoolForward(x, g, oH, oW, [x.shape[0], x.shape[1], oH, oW]);
}

/** torch.nn.functional.max_pool1d: x [N, C, L] → [N, C, oL]. */
export function maxPool1d(
  x: Tensor,
  kernel: number,
  opts: { stride?: number; padding?: number; dilation?: number } = {},
): Tensor {
  const g = geometry1d(x, kernel, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, 'maxpool1d');
  const [, oL] = poolOutput('maxpool1d', g);
  return maxPoolForward(x, g, 1, oL, [x.shape[0], x.shape[1], oL]);
}

/** torch.nn.functional.avg_pool2d: x [N, C, H, W] → [N, C, oH, oW] (zeros in the padding). */
export function avgPool2d(x: Tensor, kernel: Pair2, opts: AvgPool2dOptions = {}): Tensor {
  const g = geometry2d(x, kernel, opts.stride, opts.padding ?? 0, 1, 'avgpool2d');
  const { plan, out } = stridedPlan('avgpool2d', g, opts.countIncludePad ?? true);
  return meanPool(x, plan, [x.shape[0], x.shape[1], ...out], 'avgpool2d');
}

/** torch.nn.functional.avg_pool1d: x [N, C, L] → [N, C, oL]. */
export function avgPool1d(
  x: Tensor,
  kernel: number,
  opts: { stride?: number; padding?: number; countIncludePad?: boolean } = {},
): Tensor {
  const g = geometry1d(x, kernel, opts.stride, opts.padding ?? 0, 1, 'avgpool1d');
  const { plan, out } = stridedPlan('avgpool1d', g, opts.countIncludePad ?? true);
  return meanPool(x, plan, [x.shape[0], x.shape[1], out[1]], 'avgpool1d');
}

/**
 * torch.nn.functional.adaptive_avg_pool2d: x [N, C, H, W] → [N, C, oH, oW], output row i averaging
 * input rows ⌊i·H/oH⌋ … ⌈(i + 1)·H/oH⌉ − 1 (likewise columns); windows overlap when oH ∤ H.
 */
export function adaptiveAvgPool2d(x: Tensor, output: Pair2): Tensor {
  if (x.ndim !== 4)
    throw new RangeError(`adaptive_avgpool2d: input [${x.shape.join(', ')}] must be [N, C, H, W]`);
  const [oH, oW] = pair(output);
  const [, , H, W] = x.shape;
  if (![oH, oW, H, W].every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`adaptive_avgpool2d: output ${oH}×${oW} from ${H}×${W} needs positive sizes`);
  }
  const plan = cachedPlan(`a:${H},${W},${oH},${oW}`, () =>
    planOf(H, W, oH, oW, adaptive(H, oH), adaptive(W, oW), (r, c) => r.length * c.length),
  );
  return meanPool(x, plan, [x.shape[0], x.shape[1], oH, oW], 'adaptive_avgpool2d');
}

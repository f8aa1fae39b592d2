/**
 * Reductions and their inverses. `broadcastTo` and `sumTo` are each other's derivative, which is
 * how every broadcast gradient is reduced, in one place.
 */
import { allocate, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import { broadcastAxes, normAxes, sameShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, result } from '../tensor.js';
import { expandData } from './broadcast.js';
import { constLike, div, exp, mul, sub } from './elementwise.js';
import { reshape } from './movement.js';

/** Sum over one axis of data viewed as [outer, n, inner]. */
function reduceAxis(d: FloatArray, shape: Shape, axis: number, kind: 'sum' | 'max' | 'min'): FloatArray {
  const n = shape[axis];
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const out = allocate(d instanceof Float64Array ? 'float64' : 'float32', outer * inner);
  if (kind === 'sum' && outer === 1 && inner > 1) {
    kernels().sumRows(d, out, n, inner);
    return out;
  }
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) {
      let acc = kind === 'sum' ? 0 : d[base + i];
      if (kind === 'sum') for (let j = 0; j < n; j++) acc += d[base + j * inner + i];
      else if (kind === 'max') {
        for (let j = 1; j < n; j++) {
          const v = d[base + j * inner + i];
          if (v > acc || Number.isNaN(v)) acc = v;
        }
      } else {
        for (let j = 1; j < n; j++) {
          const v = d[base + j * inner + i];
          if (v < acc || Number.isNaN(v)) acc = v;
        }
      }
      out[o * inner + i] = acc;
    }
  }
  return out;
}

/** Reduce `axes` (sorted), keeping them as size-1 dims. */
function reduceData(
  x: Tensor,
  axes: number[],
  kind: 'sum' | 'max' | 'min',
): { data: FloatArray; keepShape: number[] } {
  let data: FloatArray = x.data;
  const shape = [...x.shape];
  if (kind === 'sum' && axes.length === shape.length && axes.length > 0) {
    let s = 0;
    for (let i = 0; i < data.length; i++) s += data[i];
    const out = allocate(x.dtype, 1);
    out[0] = s;
    return { data: out, keepShape: shape.map(() => 1) };
  }
  for (let k = axes.length - 1; k >= 0; k--) {
    data = reduceAxis(data, shape, axes[k], kind);
    shape[axes[k]] = 1;
  }
  if (data === x.data) data = data.slice();
  return { data, keepShape: shape };
}

function dropAxes(shape: readonly number[], axes: number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** Stretch `x` to `shape` by broadcasting (a copy). Derivative: `sumTo` back to x's shape. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const out = expandData(x.data, x.shape, shape);
  return result('broadcastTo', out, shape, [x], (g) => [sumTo(g, x.shape)]);
}

/** Sum `g` down to `shape`: the inverse of broadcasting `shape` up to `g.shape`. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  return reshape(sum(g, broadcastAxes(shape, g.shape), true), shape);
}

/** Σ over `axis` (all axes by default). Derivative: the gradient broadcast back. */
export function sum(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  const axes = normAxes(axis, x.ndim);
  const { data, keepShape } = reduceData(x, axes, 'sum');
  const shape = keepdim ? keepShape : dropAxes(x.shape, axes);
  return result('sum', data, shape, [x], (g) => [broadcastTo(reshape(g, keepShape), x.shape)]);
}

/** Arithmetic mean over `axis` (all axes by default): sum / count. */
export function mean(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  const axes = normAxes(axis, x.ndim);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  return div(sum(x, axes, keepdim), count);
}

/**
 * Maximum over `axis`. Gradient conventions of torch: with a single numeric axis (torch.max(dim))
 * the whole gradient goes to the first maximal element; with no axis or a list of axes
 * (torch.max(), torch.amax) it is split evenly among ties.
 */
export function max(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return extreme(x, axis, keepdim, 'max');
}

/** Minimum over `axis`, with the same tie conventions as `max`. */
export function min(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return extreme(x, axis, keepdim, 'min');
}

function extreme(
  x: Tensor,
  axis: number | readonly number[] | undefined,
  keepdim: boolean,
  kind: 'max' | 'min',
): Tensor {
  if (x.size === 0) throw new RangeError(`${kind}() of an empty tensor`);
  const axes = normAxes(axis, x.ndim);
  const { data, keepShape } = reduceData(x, axes, kind);
  const shape = keepdim ? keepShape : dropAxes(x.shape, axes);
  return result(kind, data, shape, [x], (g) => {
    const mask = extremeMask(x, data, keepShape, axes, typeof axis === 'number');
    return [mul(broadcastTo(reshape(g, keepShape), x.shape), constLike(x, mask))];
  });
}

/** 1 at the selected extreme positions (first one per group, or split evenly among ties). */
function extremeMask(
  x: Tensor,
  ext: FloatArray,
  keepShape: number[],
  axes: number[],
  firstOnly: boolean,
): FloatArray {
  const e = expandData(ext, keepShape, x.shape);
  const hit = allocate(x.dtype, x.size);
  for (let i = 0; i < hit.length; i++) hit[i] = x.data[i] === e[i] ? 1 : 0;
  if (axes.length === 0) return hit; // nothing reduced (a 0-d tensor): the gradient passes through
  if (firstOnly) {
    // keep only the first hit along the single reduced axis
    const axis = axes[0];
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outer = x.size / (n * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let seen = false;
        for (let j = 0; j < n; j++) {
          const k = (o * n + j) * inner + i;
          if (hit[k] === 1) {
            if (seen) hit[k] = 0;
            seen = true;
          }
        }
      }
    }
    return hit;
  }
  const counts = reduceData(new Tensor(hit, x.shape), axes, 'sum');
  const c = expandData(counts.data, counts.keepShape, x.shape);
  for (let i = 0; i < hit.length; i++) if (hit[i] !== 0) hit[i] = 1 / c[i];
  return hit;
}

/** Row maxima (keepdim), with −∞ rows replaced by 0 so that x − m stays finite, as torch does. */
function stableShift(x: Tensor, axes: number[]): { m: FloatArray; keepShape: number[] } {
  const { data, keepShape } = reduceData(x, axes, 'max');
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) data[i] = 0;
  return { m: data, keepShape };
}

/**
 * log Σ exp(x) over `axis`, computed as m + log Σ exp(x − m) with m the maximum.
 * Derivative: softmax(x) = exp(x − logsumexp(x)).
 */
export function logsumexp(x: Tensor, axis: number | readonly number[], keepdim = false): Tensor {
  const axes = normAxes(axis, x.ndim);
  const { m, keepShape } = stableShift(x, axes);
  const me = expandData(m, keepShape, x.shape);
  const e = allocate(x.dtype, x.size);
  for (let i = 0; i < e.length; i++) e[i] = Math.exp(x.data[i] - me[i]);
  const s = reduceData(new Tensor(e, x.shape), axes, 'sum').data;
  const out = allocate(x.dtype, s.length);
  for (let i = 0; i < s.length; i++) out[i] = Math.log(s[i]) + m[i];
  const shape = keepdim ? keepShape : dropAxes(x.shape, axes);
  const y: Tensor = result('logsumexp', out, shape, [x], (g) => [
    mul(broadcastTo(reshape(g, keepShape), x.shape), exp(sub(x, reshape(y, keepShape)))),
  ]);
  return y;
}

/** softmax along `axis`: exp(x − m)/Σ exp(x − m). Derivative: y ⊙ (g − Σ g⊙y). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const axes = normAxes(axis, x.ndim);
  const { m, keepShape } = stableShift(x, axes);
  const me = expandData(m, keepShape, x.shape);
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(x.data[i] - me[i]);
  const s = expandData(reduceData(new Tensor(out, x.shape), axes, 'sum').data, keepShape, x.shape);
  for (let i = 0; i < out.length; i++) out[i] /= s[i];
  const y: Tensor = result('softmax', out, x.shape, [x], (g) => [mul(y, sub(g, sum(mul(g, y), axes, true)))]);
  return y;
}

/** log-softmax along `axis`: x − m − log Σ exp(x − m). Derivative: g − exp(y)·Σ g. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const axes = normAxes(axis, x.ndim);
  const { m, keepShape } = stableShift(x, axes);
  const me = expandData(m, keepShape, x.shape);
  const e = allocate(x.dtype, x.size);
  for (let i = 0; i < e.length; i++) e[i] = Math.exp(x.data[i] - me[i]);
  const ls = expandData(reduceData(new Tensor(e, x.shape), axes, 'sum').data, keepShape, x.shape);
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] - me[i] - Math.log(ls[i]);
  const y: Tensor = result('logSoftmax', out, x.shape, [x], (g) => [sub(g, mul(exp(y), sum(g, axes, true)))]);
  return y;
}

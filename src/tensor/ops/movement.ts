/**
 * Ops that move values without arithmetic: reshape, transpose, concat, slice, gather.
 * Each is paired with its adjoint (slice ↔ pad, gather ↔ scatter), so derivatives of any order work.
 */
import { allocate } from '../dtype.js';
import { normAxis, sizeOf, stridesOf, type Shape } from '../shape.js';
import { Tensor, result } from '../tensor.js';

/** The same values with another shape (one dim may be −1, inferred). Shares the storage of `x`. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const free = s.indexOf(-1);
  if (free >= 0) {
    const known = s.reduce((a, d, i) => (i === free ? a : a * d), 1);
    s[free] = known === 0 ? 0 : x.size / known;
  }
  if (sizeOf(s) !== x.size) {
    throw new RangeError(
      `cannot reshape [${x.shape.join(', ')}] (${x.size} elements) to [${shape.join(', ')}]`,
    );
  }
  return result('reshape', x.data, s, [x], (g) => [reshape(g, x.shape)]);
}

/** Swap two dims (the last two by default). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const nd = x.ndim;
  if (nd < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normAxis(dim0, nd);
  const b = normAxis(dim1, nd);
  if (a === b) return x;
  const shape = [...x.shape];
  [shape[a], shape[b]] = [shape[b], shape[a]];
  const inStrides = stridesOf(x.shape);
  const perm = shape.map((_, i) => (i === a ? b : i === b ? a : i));
  const srcStride = perm.map((p) => inStrides[p]); // stride in x for each output dim
  const out = allocate(x.dtype, x.size);
  const d = x.data;
  if (nd === 2) {
    const [r, c] = x.shape;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = d[i * c + j];
  } else {
    const idx = new Array<number>(nd).fill(0);
    let src = 0;
    for (let k = 0; k < out.length; k++) {
      out[k] = d[src];
      for (let q = nd - 1; q >= 0; q--) {
        idx[q]++;
        src += srcStride[q];
        if (idx[q] < shape[q]) break;
        src -= srcStride[q] * shape[q];
        idx[q] = 0;
      }
    }
  }
  return result('transpose', out, shape, [x], (g) => [transpose(g, a, b)]);
}

/** Copy a [outer, n, inner] block layout: the geometry shared by slice, pad and concat. */
function geometry(shape: Shape, axis: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[axis], inner };
}

/** Elements `start ≤ i < end` along `axis`. Derivative: the gradient padded back with zeros. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normAxis(axis, x.ndim);
  const n = x.shape[ax];
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) {
    throw new RangeError(`slice [${start}, ${end}) is out of range for dim ${ax} of size ${n}`);
  }
  const { outer, inner } = geometry(x.shape, ax);
  const len = end - start;
  const shape = [...x.shape];
  shape[ax] = len;
  const out = allocate(x.dtype, outer * len * inner);
  for (let o = 0; o < outer; o++) {
    out.set(x.data.subarray((o * n + start) * inner, (o * n + end) * inner), o * len * inner);
  }
  return result('slice', out, shape, [x], (g) => [pad(g, ax, start, n)]);
}

/** Place `x` at offset `start` along `axis` inside zeros of length `size`: the adjoint of slice. */
function pad(x: Tensor, axis: number, start: number, size: number): Tensor {
  const { outer, n: len, inner } = geometry(x.shape, axis);
  const shape = [...x.shape];
  shape[axis] = size;
  const out = allocate(x.dtype, outer * size * inner);
  for (let o = 0; o < outer; o++) {
    out.set(x.data.subarray(o * len * inner, (o + 1) * len * inner), (o * size + start) * inner);
  }
  return result('pad', out, shape, [x], (g) => [slice(g, axis, start, start + len)]);
}

/** Join tensors along `axis`; all other dims must agree. Derivative: slices of the gradient. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError('concat of no tensors');
  const ax = normAxis(axis, xs[0].ndim);
  const shape = [...xs[0].shape];
  let total = 0;
  for (const t of xs) {
    if (t.ndim !== shape.length || t.shape.some((d, i) => i !== ax && d !== shape[i])) {
      throw new RangeError(
        `concat: shape [${t.shape.join(', ')}] does not match [${shape.join(', ')}] off axis ${ax}`,
      );
    }
    total += t.shape[ax];
  }
  shape[ax] = total;
  const dtype = xs.some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  const { outer, inner } = geometry(shape, ax);
  const out = allocate(dtype, outer * total * inner);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of xs) {
    const len = t.shape[ax];
    offsets.push(offset);
    for (let o = 0; o < outer; o++) {
      out.set(t.data.subarray(o * len * inner, (o + 1) * len * inner), (o * total + offset) * inner);
    }
    offset += len;
  }
  return result('concat', out, shape, xs, (g) =>
    xs.map((t, i) => (t.requiresGrad ? slice(g, ax, offsets[i], offsets[i] + t.shape[ax]) : null)),
  );
}

/**
 * Pick one element along `axis` for every position of the other dims: for x [N, C] and
 * `index` [N] (class labels), the result is [N] with x[i, index[i]]. Derivative: scatter into zeros.
 */
export function gather(x: Tensor, index: Int32Array | readonly number[], axis = -1): Tensor {
  const ax = normAxis(axis, x.ndim);
  const { outer, n, inner } = geometry(x.shape, ax);
  const idx = index instanceof Int32Array ? index : Int32Array.from(index);
  if (idx.length !== outer * inner) {
    throw new RangeError(
      `gather: ${idx.length} indices for ${outer * inner} positions of [${x.shape.join(', ')}] off axis ${ax}`,
    );
  }
  for (let i = 0; i < idx.length; i++) {
    if (!(idx[i] >= 0 && idx[i] < n))
      throw new RangeError(`gather: index ${idx[i]} at position ${i} is outside [0, ${n})`);
  }
  const shape = x.shape.filter((_, i) => i !== ax);
  const out = allocate(x.dtype, idx.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out[o * inner + i] = x.data[(o * n + idx[o * inner + i]) * inner + i];
  }
  return result('gather', out, shape, [x], (g) => [scatter(g, idx, ax, x.shape)]);
}

/** Zeros of `shape` with `g` written at the gathered positions: the adjoint of gather. */
function scatter(g: Tensor, idx: Int32Array, axis: number, shape: Shape): Tensor {
  const { outer, n, inner } = geometry(shape, axis);
  const out = allocate(g.dtype, sizeOf(shape));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out[(o * n + idx[o * inner + i]) * inner + i] += g.data[o * inner + i];
  }
  return result('scatter', out, shape, [g], (gg) => [gather(gg, idx, axis)]);
}

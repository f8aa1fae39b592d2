import { allocate, promote, type FloatArray } from '../dtype.js';
import { kernels } from '../kernels/active.js';
import type { BinaryOp } from '../kernels/types.js';
import { broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** A number operand becomes a scalar tensor of the other operand's dtype. */
export function asTensor(x: Tensor | number, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const d = allocate(like.dtype, 1);
  d[0] = x;
  return new Tensor(d, []);
}

/** `src` (of shape `from`) copied out to the broadcast shape `to`. */
export function expandData(src: FloatArray, from: Shape, to: Shape, out?: FloatArray): FloatArray {
  const n = sizeOf(to);
  const dst = out ?? allocate(src instanceof Float64Array ? 'float64' : 'float32', n);
  if (src.length === n) {
    dst.set(src);
    return dst;
  }
  if (src.length === 1) {
    dst.fill(src[0]);
    return dst;
  }
  const st = broadcastStrides(from, to);
  const nd = to.length;
  const inner = to[nd - 1];
  const innerStride = st[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let pos = 0;
  let base = 0;
  while (pos < n) {
    if (innerStride === 0) dst.fill(src[base], pos, pos + inner);
    else for (let j = 0; j < inner; j++) dst[pos + j] = src[base + j * innerStride];
    pos += inner;
    // advance the outer multi-index (all dims but the last)
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      base += st[d];
      if (idx[d] < to[d]) break;
      base -= st[d] * to[d];
      idx[d] = 0;
    }
  }
  return dst;
}

function castTo(a: FloatArray, dtype: 'float32' | 'float64'): FloatArray {
  if (dtype === 'float64') return a instanceof Float64Array ? a : Float64Array.from(a);
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/**
 * Forward of an arithmetic binary op with NumPy broadcasting, through the kernel backend.
 * Fast paths: equal shapes, a scalar operand, a row vector over a matrix; anything else is
 * expanded to the common shape first.
 */
export function binaryForward(op: BinaryOp, a: Tensor, b: Tensor): { data: FloatArray; shape: number[] } {
  const dtype = promote(a.dtype, b.dtype);
  const ad = castTo(a.data, dtype);
  const bd = castTo(b.data, dtype);
  const k = kernels();
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(dtype, ad.length);
    k.binary(op, ad, bd, out);
    return { data: out, shape: [...a.shape] };
  }
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const out = allocate(dtype, n);
  // Row vector (or any trailing-suffix shape) broadcast over the leading rows of `a`.
  if (n === ad.length && isTrailingRow(b.shape, a.shape)) {
    k.binaryRow(op, ad, bd, out, n / bd.length, bd.length);
    return { data: out, shape };
  }
  const ea = ad.length === n ? ad : expandData(ad, a.shape, shape);
  const eb = bd.length === n ? bd : expandData(bd, b.shape, shape);
  k.binary(op, ea, eb, out);
  return { data: out, shape };
}

/** True when `small`, with leading 1s dropped, equals the trailing dims of `big`. */
function isTrailingRow(small: Shape, big: Shape): boolean {
  let s = 0;
  while (s < small.length && small[s] === 1) s++;
  const rest = small.length - s;
  if (rest === 0 || rest > big.length) return false;
  for (let i = 0; i < rest; i++) if (small[s + i] !== big[big.length - rest + i]) return false;
  return true;
}

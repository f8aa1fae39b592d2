/** Shape arithmetic: sizes, strides, NumPy broadcasting and axis normalization. */

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar, shape []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * NumPy broadcasting: align shapes on the right; each pair of dims must be equal or one of them 1.
 * @throws RangeError naming both shapes when they do not broadcast.
 */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for reading an array of shape `from` as if it had the (broadcast) shape `to`:
 * broadcast dims get stride 0.
 */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const s = stridesOf(from);
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - from.length;
  for (let i = 0; i < from.length; i++) out[i + off] = from[i] === 1 && to[i + off] !== 1 ? 0 : s[i];
  return out;
}

/** Normalize a possibly negative axis against a rank. */
export function normAxis(axis: number, ndim: number): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(ndim, 1)) {
    throw new RangeError(`axis ${axis} is out of range for a tensor of rank ${ndim}`);
  }
  return a;
}

/** Normalize `axis` (undefined = all axes) into a sorted, de-duplicated list. */
export function normAxes(axis: number | readonly number[] | undefined, ndim: number): number[] {
  if (axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (ndim === 0) {
    // As torch: a 0-d tensor accepts dim 0 or −1, and reducing over it changes nothing.
    for (const a of list)
      if (a !== 0 && a !== -1) throw new RangeError(`axis ${a} is out of range for a tensor of rank 0`);
    return [];
  }
  const set = new Set(list.map((a) => normAxis(a, ndim)));
  return [...set].sort((x, y) => x - y);
}

/**
 * The axes that were broadcast when an array of shape `small` was stretched to `big`:
 * leading axes, and axes where `small` has 1 but `big` does not. Summing the gradient over them
 * (and reshaping) undoes the broadcast.
 */
export function broadcastAxes(small: Shape, big: Shape): number[] {
  const axes: number[] = [];
  const off = big.length - small.length;
  for (let i = 0; i < big.length; i++) {
    if (i < off) axes.push(i);
    else if (small[i - off] === 1 && big[i] !== 1) axes.push(i);
  }
  return axes;
}

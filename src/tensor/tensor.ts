import { allocate, dtypeOf, type DType, type FloatArray } from './dtype.js';
import { sizeOf, type Shape } from './shape.js';

/**
 * How a tensor was made: the tensors it was computed from and the vector-Jacobian product that
 * maps the gradient of the output to the gradients of those inputs. Rules are written with Tensor
 * ops, so when they run with gradient recording on (`createGraph`), the backward pass is itself a
 * graph and can be differentiated again (Hessian-vector products, Newton's method).
 */
export interface GradNode {
  /** Op name, for error messages and debugging. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients w.r.t. each input (null where an input needs none), given the output gradient. */
  readonly vjp: (g: Tensor) => (Tensor | null)[];
}

let gradEnabled = true;

/** Run `fn` with graph recording switched to `on`, restoring the previous mode afterwards. */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = on;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Whether ops record a graph now: false under `noGrad` and during a first-order backward pass, true
 * while a `createGraph` backward pass runs (a fused op's derivative rule picks its path by this).
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording a graph: for inference and optimizer arithmetic. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * An n-dimensional array of float32 or float64 numbers, row-major and contiguous, that remembers
 * how it was computed when gradients are wanted.
 */
export class Tensor {
  /** Contiguous row-major storage. Treat as read-only once the tensor is used in a graph. */
  readonly data: FloatArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** True for leaves that want a gradient, and for every result computed from one. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for a leaf. */
  node: GradNode | null = null;

  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new RangeError(
        `data has ${data.length} elements but shape [${shape.join(', ')}] needs ${sizeOf(shape)}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1)
      throw new RangeError(`item() needs one element; this tensor has ${this.data.length}`);
    return this.data[0];
  }

  /** A flat copy of the values as plain numbers. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The values as nested arrays following the shape (a number for a scalar). */
  toNested(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The same values, cut from the graph (shares storage). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Mark as a leaf that wants a gradient; returns `this`. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

/** Nested number arrays accepted by `tensor()`. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** Options of the tensor factories. */
export interface TensorOptions {
  shape?: Shape;
  dtype?: DType;
  requiresGrad?: boolean;
}

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedNumbers;
    if (cur === undefined) break;
  }
  return shape;
}

function flattenInto(
  v: NestedNumbers,
  shape: number[],
  dim: number,
  out: FloatArray,
  pos: { i: number },
): void {
  if (dim === shape.length) {
    if (typeof v !== 'number') throw new TypeError('ragged nested array: expected a number');
    out[pos.i++] = v;
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new TypeError(`ragged nested array: expected ${shape[dim]} entries at depth ${dim}`);
  }
  for (const e of v) flattenInto(e, shape, dim + 1, out, pos);
}

/**
 * Make a tensor from a number, nested arrays or a typed array (with `shape`; a typed array of the
 * requested dtype is used without copying).
 */
export function tensor(values: NestedNumbers | FloatArray, opts: TensorOptions = {}): Tensor {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const dtype = opts.dtype ?? dtypeOf(values);
    const data =
      dtypeOf(values) === dtype
        ? values
        : dtype === 'float64'
          ? Float64Array.from(values)
          : Float32Array.from(values);
    return new Tensor(data, opts.shape ?? [values.length], opts.requiresGrad ?? false);
  }
  const shape = inferShape(values);
  const data = allocate(opts.dtype ?? 'float32', sizeOf(shape));
  flattenInto(values, shape, 0, data, { i: 0 });
  const t = new Tensor(data, shape, opts.requiresGrad ?? false);
  if (opts.shape) {
    if (sizeOf(opts.shape) !== data.length) throw new RangeError('shape does not match the number of values');
    return new Tensor(data, opts.shape, opts.requiresGrad ?? false);
  }
  return t;
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return full([], value, dtype);
}

/**
 * The result of an op: wraps `data` and, when recording and some input wants a gradient,
 * attaches the vjp rule.
 */
export function result(
  op: string,
  data: FloatArray,
  shape: Shape,
  inputs: readonly Tensor[],
  vjp: (g: Tensor) => (Tensor | null)[],
): Tensor {
  const out = new Tensor(data, shape);
  if (gradEnabled) {
    for (const x of inputs) {
      if (x.requiresGrad) {
        out.requiresGrad = true;
        out.node = { op, inputs, vjp };
        break;
      }
    }
  }
  return out;
}

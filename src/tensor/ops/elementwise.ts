/**
 * Elementwise ops, each forward with its derivative rule beside it.
 * Binary ops broadcast like NumPy; their rules undo the broadcast with `sumTo`.
 * Rules use Tensor ops (not raw loops) so the backward pass can be differentiated again;
 * masks that are piecewise constant (relu, abs, clamp, ties) enter as constants.
 */
import { allocate, promote, type FloatArray } from '../dtype.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { Tensor, result } from '../tensor.js';
import { asTensor, binaryForward, expandData } from './broadcast.js';
import { sumTo } from './reduce.js';

type Operand = Tensor | number;

/** A constant (non-differentiable) tensor shaped like `like` from a data array. */
export function constLike(like: Tensor, data: FloatArray): Tensor {
  return new Tensor(data, like.shape);
}

/** a + b */
export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const f = binaryForward('add', x, y);
  return result('add', f.data, f.shape, [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

/** a − b */
export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const f = binaryForward('sub', x, y);
  return result('sub', f.data, f.shape, [x, y], (g) => [
    sumTo(g, x.shape),
    y.requiresGrad ? sumTo(neg(g), y.shape) : null,
  ]);
}

/** a · b; ∂/∂a = b, ∂/∂b = a */
export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const f = binaryForward('mul', x, y);
  return result('mul', f.data, f.shape, [x, y], (g) => [
    x.requiresGrad ? sumTo(mul(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(mul(g, x), y.shape) : null,
  ]);
}

/** a / b; ∂/∂a = 1/b, ∂/∂b = −a/b² */
export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const f = binaryForward('div', x, y);
  return result('div', f.data, f.shape, [x, y], (g) => [
    x.requiresGrad ? sumTo(div(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(neg(div(mul(g, x), mul(y, y))), y.shape) : null,
  ]);
}

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  if (a instanceof Tensor) return [a, asTensor(b, a)];
  if (b instanceof Tensor) return [asTensor(a, b), b];
  throw new TypeError('at least one operand must be a Tensor');
}

/**
 * Elementwise maximum. Ties split the gradient 0.5 / 0.5, as torch.maximum does.
 */
export function maximum(a: Operand, b: Operand): Tensor {
  return extremum(a, b, true);
}

/** Elementwise minimum; ties split the gradient evenly. */
export function minimum(a: Operand, b: Operand): Tensor {
  return extremum(a, b, false);
}

function extremum(a: Operand, b: Operand, isMax: boolean): Tensor {
  const [x, y] = operands(a, b);
  const dtype = promote(x.dtype, y.dtype);
  const shape = broadcastShapes(x.shape, y.shape);
  const n = sizeOf(shape);
  const xd = expandData(x.data, x.shape, shape, allocate(dtype, n));
  const yd = expandData(y.data, y.shape, shape, allocate(dtype, n));
  const out = allocate(dtype, n);
  const wx = allocate(dtype, n); // weight of x in the gradient: 1, 0, or ½ at a tie
  for (let i = 0; i < n; i++) {
    const p = xd[i];
    const q = yd[i];
    if (p === q) {
      out[i] = p;
      wx[i] = 0.5;
    } else if (p > q === isMax || Number.isNaN(p)) {
      out[i] = p;
      wx[i] = 1;
    } else {
      out[i] = q;
      wx[i] = 0;
    }
  }
  return result(isMax ? 'maximum' : 'minimum', out, shape, [x, y], (g) => {
    const w = new Tensor(wx, shape);
    return [
      x.requiresGrad ? sumTo(mul(g, w), x.shape) : null,
      y.requiresGrad ? sumTo(mul(g, sub(1, w)), y.shape) : null,
    ];
  });
}

/** −x */
export function neg(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = -d[i];
  return result('neg', out, x.shape, [x], (g) => [neg(g)]);
}

/** xᵖ for a constant exponent p; d/dx = p·xᵖ⁻¹ */
export function pow(x: Tensor, p: number): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  if (p === 2) for (let i = 0; i < d.length; i++) out[i] = d[i] * d[i];
  else for (let i = 0; i < d.length; i++) out[i] = Math.pow(d[i], p);
  return result('pow', out, x.shape, [x], (g) => [
    p === 0 ? mul(g, 0) : mul(g, p === 2 ? mul(x, 2) : mul(pow(x, p - 1), p)),
  ]);
}

/** eˣ; d/dx = eˣ (the output itself) */
export function exp(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.exp(d[i]);
  const y: Tensor = result('exp', out, x.shape, [x], (g) => [mul(g, y)]);
  return y;
}

/** ln x; d/dx = 1/x */
export function log(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.log(d[i]);
  return result('log', out, x.shape, [x], (g) => [div(g, x)]);
}

/** √x; d/dx = 1/(2√x), infinite at 0 as in torch */
export function sqrt(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.sqrt(d[i]);
  const y: Tensor = result('sqrt', out, x.shape, [x], (g) => [div(g, mul(y, 2))]);
  return y;
}

/** |x|; d/dx = sign(x), with sign(0) = 0 as in torch */
export function abs(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.abs(d[i]);
  return result('abs', out, x.shape, [x], (g) => {
    const s = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) s[i] = d[i] > 0 ? 1 : d[i] < 0 ? -1 : 0;
    return [mul(g, constLike(x, s))];
  });
}

/** sin x; d/dx = cos x */
export function sin(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.sin(d[i]);
  return result('sin', out, x.shape, [x], (g) => [mul(g, cos(x))]);
}

/** cos x; d/dx = −sin x */
export function cos(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.cos(d[i]);
  return result('cos', out, x.shape, [x], (g) => [neg(mul(g, sin(x)))]);
}

/** The error function; d/dx erf(x) = 2/√π · e^(−x²) */
export function erf(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = erfScalar(d[i]);
  return result('erf', out, x.shape, [x], (g) => [mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))]);
}

/**
 * erf(x) to about one ulp in float64.
 * |x| < 3: erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) — every term positive, so
 * no cancellation. |x| ≥ 3: erf = 1 − erfc with erfc from its continued fraction (Lentz).
 */
export function erfScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x;
    let s = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      s += term;
      if (Math.abs(term) < 1e-17 * Math.abs(s)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * s;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  const tiny = 1e-300;
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = D === 0 ? tiny : D;
    C = ax + an / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/**
 * Select elementwise: `cond` nonzero → a, else b (all three broadcast). Gradients flow to the
 * branch that was taken; NaN or ∞ in the other branch does not leak into them.
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const dtype = promote(x.dtype, y.dtype);
  const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape), y.shape);
  const n = sizeOf(shape);
  const c = expandData(cond.data, cond.shape, shape, allocate(cond.dtype, n));
  const xd = expandData(x.data, x.shape, shape, allocate(dtype, n));
  const yd = expandData(y.data, y.shape, shape, allocate(dtype, n));
  const out = allocate(dtype, n);
  const mask = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const take = c[i] !== 0;
    mask[i] = take ? 1 : 0;
    out[i] = take ? xd[i] : yd[i];
  }
  return result('where', out, shape, [x, y], (g) => {
    const m = new Tensor(mask, shape);
    return [
      x.requiresGrad ? sumTo(where(m, g, 0), x.shape) : null,
      y.requiresGrad ? sumTo(where(m, 0, g), y.shape) : null,
    ];
  });
}

/**
 * Clamp to [min, max] (either bound may be null). The gradient is 1 where min ≤ x ≤ max —
 * at a bound too, as in torch — and 0 outside.
 */
export function clamp(x: Tensor, min: number | null = null, max: number | null = null): Tensor {
  const d = x.data;
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) {
    // min(max(x, lo), hi), as torch: NaN stays NaN, and with lo > hi every value becomes hi.
    out[i] = Math.min(Math.max(d[i], lo), hi);
  }
  return result('clamp', out, x.shape, [x], (g) => {
    const m = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) m[i] = d[i] >= lo && d[i] <= hi ? 1 : 0;
    return [mul(g, constLike(x, m))];
  });
}

/**
 * Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
 * expected value is unchanged; identity when not training. The mask comes from `rng`, so a seeded
 * run is reproducible.
 */
export function dropout(x: Tensor, p: number, rng: { next(): number }, training = true): Tensor {
  if (!training || p === 0) return x;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1]; got ${p}`);
  const m = allocate(x.dtype, x.size);
  if (p < 1) {
    const scale = 1 / (1 - p);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 0 : scale;
  }
  return mul(x, constLike(x, m));
}

/** The same values in another dtype; the gradient is cast back to the input's dtype. */
export function cast(x: Tensor, dtype: 'float32' | 'float64'): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocate(dtype, x.size);
  out.set(x.data);
  return result('cast', out, x.shape, [x], (g) => [cast(g, x.dtype)]);
}

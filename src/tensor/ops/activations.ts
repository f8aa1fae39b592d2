/**
 * Activation functions, forward and derivative side by side: the Tensor ops (autodiff, derivative
 * rules written with ops) and {@link ACTIVATIONS}, the one table of scalar values and derivatives
 * that the hand-written passes (the fused dense step, the RL policy MLP) and the ops' forward loops
 * use. Kinks follow PyTorch: relu'(0) = 0, leaky relu and elu take the negative branch at 0. So
 * does NaN (test/unit/tensor/activation-nan.test.ts, values from torch): every value at NaN is
 * NaN, and the derivative at NaN is torch's: 1 for relu and elu (their backward tests x ≤ 0),
 * 0.01 for leaky relu (it tests x > 0), NaN for the others.
 */
import { allocate } from '../dtype.js';
import { Tensor, result } from '../tensor.js';
import { add, clamp, constLike, erf, erfScalar, exp, mul, sub, where } from './elementwise.js';

/** The activations a model or policy spec can name. */
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'leaky_relu' | 'elu' | 'gelu' | 'softplus';

/** One activation: its scalar value, its derivative, and its Tensor op. */
export interface ActivationRule {
  /** act(v). */
  value(v: number): number;
  /** act'(v), given the pre-activation v and y = act(v) (only tanh and sigmoid read y). */
  derivative(v: number, y: number): number;
  /** The Tensor op (autodiff), same values as `value`. */
  op(x: Tensor): Tensor;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const LEAKY_SLOPE = 0.01;
const ELU_ALPHA = 1;
const SOFTPLUS_THRESHOLD = 20;

// `!(v <= 0)` rather than `v > 0` where torch's kernel tests `x <= 0`: the two differ only at NaN,
// which must come out as torch's (a NaN must not be hidden from the divergence check).
const reluValue = (v: number) => (!(v <= 0) ? v : 0);
const tanhValue = (v: number) => Math.tanh(v);
const sigmoidValue = (v: number) => 1 / (1 + Math.exp(-v));
const leakyValue = (v: number) => (v > 0 ? v : v * LEAKY_SLOPE);
const eluValue = (v: number) => (v > 0 ? v : ELU_ALPHA * Math.expm1(v));
const geluValue = (v: number) => v * 0.5 * (1 + erfScalar(v * Math.SQRT1_2));
const softplusValue = (v: number) => (v > SOFTPLUS_THRESHOLD ? v : Math.log1p(Math.exp(v)));

/** tanh x; d/dx = 1 − tanh²x */
export function tanh(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = tanhValue(d[i]);
  const y: Tensor = result('tanh', out, x.shape, [x], (g) => [mul(g, sub(1, mul(y, y)))]);
  return y;
}

/** σ(x) = 1/(1 + e⁻ˣ); dσ/dx = σ(1 − σ) */
export function sigmoid(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = sigmoidValue(d[i]);
  const y: Tensor = result('sigmoid', out, x.shape, [x], (g) => [mul(g, mul(y, sub(1, y)))]);
  return y;
}

/*
 * relu and its mask are written without per-element float comparisons: each is a branch, which data
 * of mixed sign mispredicts half the time (on the digits CNN that was most of relu's cost). The loops
 * live in functions of their own: V8 compiles a hot loop on the fly (on-stack replacement) and,
 * inline in relu, deoptimized at the not-yet-run code after it on every call.
 */

/**
 * out = relu(d) for float32 data as (v + |v|)/2: exact in float64 arithmetic for every float32 v
 * (2v cannot overflow there), +0 for v ≤ 0 (−0 included: −0 + 0 = +0) and NaN for NaN, as reluValue.
 * Only −∞ gives NaN (∞ − ∞); the test for it is a branch that is practically never taken.
 */
function reluFloat32(d: Float32Array, out: Float32Array): void {
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    const r = (v + Math.abs(v)) * 0.5;
    out[i] = r === r || !(v < 0) ? r : 0;
  }
}

/**
 * ob = gb where relu's output bits yb are not +0 (bits 0), 0 elsewhere: (yb | −yb) has the sign bit
 * set exactly when yb ≠ 0. relu's output is never −0, and is +0 exactly where x ≤ 0 (NaN stays NaN,
 * so its gradient passes, as torch's threshold_backward does).
 */
function maskBits(yb: Int32Array, gb: Int32Array, ob: Int32Array): void {
  for (let i = 0; i < yb.length; i++) {
    const b = yb[i];
    ob[i] = gb[i] & ((b | ((0 - b) | 0)) >> 31);
  }
}

/** The bits of float32 values, as int32 (a view, no copy). */
const bitsOf = (d: Float32Array): Int32Array => new Int32Array(d.buffer, d.byteOffset, d.length);

/** max(x, 0); derivative 1 for x > 0, else 0 (0 at the kink, as torch) */
export function relu(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  if (d instanceof Float32Array && out instanceof Float32Array) reluFloat32(d, out);
  else for (let i = 0; i < d.length; i++) out[i] = reluValue(d[i]);
  const y: Tensor = result('relu', out, x.shape, [x], (g) => [reluMask(g, y)]);
  return y;
}

/**
 * relu's vector-Jacobian product as one op: g where relu's output y is nonzero (x > 0, or NaN: torch's
 * threshold_backward tests x ≤ 0), +0 elsewhere. Linear in g with y a constant (the mask is piecewise
 * constant), so its own derivative is the same op with the same y, and double backward needs nothing else.
 */
function reluMask(g: Tensor, y: Tensor): Tensor {
  const gd = g.data;
  const yd = y.data;
  const out = allocate(g.dtype, gd.length);
  if (yd instanceof Float32Array && gd instanceof Float32Array && out instanceof Float32Array) {
    maskBits(bitsOf(yd), bitsOf(gd), bitsOf(out));
  } else {
    for (let i = 0; i < yd.length; i++) out[i] = yd[i] !== 0 ? gd[i] : 0;
  }
  return result('reluMask', out, g.shape, [g], (gg) => [reluMask(gg, y)]);
}

/** x for x > 0, slope·x otherwise */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : d[i] * slope;
  return result('leakyRelu', out, x.shape, [x], (g) => {
    const m = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) m[i] = d[i] > 0 ? 1 : slope;
    return [mul(g, constLike(x, m))];
  });
}

/** x for x > 0, α(eˣ − 1) otherwise; derivative α·eˣ on the negative side */
export function elu(x: Tensor, alpha = 1): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : alpha * Math.expm1(d[i]);
  return result('elu', out, x.shape, [x], (g) => {
    const m = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) m[i] = d[i] <= 0 ? 0 : 1;
    // exp of min(x, 0): the positive side is never selected, and exp(large x) = ∞ there would turn
    // the zero gradient that `where` sends to the untaken branch into NaN (0·∞) in double backward.
    return [where(constLike(x, m), g, mul(g, mul(exp(clamp(x, null, 0)), alpha)))];
  });
}

/**
 * GELU, the exact form PyTorch uses by default: x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)).
 * d/dx = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
 */
export function gelu(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = geluValue(d[i]);
  return result('gelu', out, x.shape, [x], (g) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI);
    return [mul(g, add(cdf, mul(x, pdf)))];
  });
}

/**
 * softplus(x) = log(1 + e^(βx))/β, linear (x) where βx > threshold for numerical stability,
 * exactly as torch.nn.functional.softplus; derivative σ(βx) (1 on the linear part).
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) {
    const bx = d[i] * beta;
    out[i] = bx > threshold ? d[i] : Math.log1p(Math.exp(bx)) / beta;
  }
  return result('softplus', out, x.shape, [x], (g) => {
    const lin = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) lin[i] = d[i] * beta > threshold ? 1 : 0;
    // σ(βx) through the sigmoid op (its rule uses σ itself), so no e^(−βx) = ∞ enters a second derivative
    return [where(constLike(x, lin), g, mul(g, sigmoid(mul(x, beta))))];
  });
}

/**
 * The activation table: value and derivative of each activation, as PyTorch computes them
 * (gelu's derivative in torch's form Φ(v) + v·φ(v); elu's as α·eᵛ from the input, as torch's
 * elu_backward with is_result = false).
 */
export const ACTIVATIONS: Readonly<Record<Activation, ActivationRule>> = {
  relu: { value: reluValue, derivative: (v) => (v <= 0 ? 0 : 1), op: (x) => relu(x) },
  tanh: { value: tanhValue, derivative: (_v, y) => 1 - y * y, op: (x) => tanh(x) },
  sigmoid: {
    value: sigmoidValue,
    derivative: (_v, y) => y * (1 - y),

    op: (x) => sigmoid(x),
  },
  leaky_relu: {
    value: leakyValue,
    derivative: (v) => (v > 0 ? 1 : LEAKY_SLOPE),

    op: (x) => leakyRelu(x, LEAKY_SLOPE),
  },
  elu: {
    value: eluValue,
    derivative: (v) => (v <= 0 ? ELU_ALPHA * Math.exp(v) : 1),

    op: (x) => elu(x, ELU_ALPHA),
  },
  gelu: {
    value: geluValue,
    derivative: (v) => (erfScalar(v * Math.SQRT1_2) + 1) * 0.5 + v * (Math.exp(v * v * -0.5) * INV_SQRT_2PI),

    op: (x) => gelu(x),
  },
  softplus: {
    value: softplusValue,
    derivative: (v) => (v > SOFTPLUS_THRESHOLD ? 1 : 1 / (Math.exp(-v) + 1)),

    op: (x) => softplus(x, 1, SOFTPLUS_THRESHOLD),
  },
};

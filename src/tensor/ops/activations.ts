/**
 * Activation functions, forward and derivative side by side. Kinks follow PyTorch:
 * relu'(0) = 0, leaky relu and elu take the negative branch at 0.
 */
import { allocate } from '../dtype.js';
import { Tensor, result } from '../tensor.js';
import { add, clamp, constLike, erf, erfScalar, exp, mul, sub, where } from './elementwise.js';

/** tanh x; d/dx = 1 − tanh²x */
export function tanh(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.tanh(d[i]);
  const y: Tensor = result('tanh', out, x.shape, [x], (g) => [mul(g, sub(1, mul(y, y)))]);
  return y;
}

/** σ(x) = 1/(1 + e⁻ˣ); dσ/dx = σ(1 − σ) */
export function sigmoid(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  for (let i = 0; i < d.length; i++) out[i] = 1 / (1 + Math.exp(-d[i]));
  const y: Tensor = result('sigmoid', out, x.shape, [x], (g) => [mul(g, mul(y, sub(1, y)))]);
  return y;
}

/** max(x, 0); derivative 1 for x > 0, else 0 (0 at the kink, as torch) */
export function relu(x: Tensor): Tensor {
  const d = x.data;
  const out = allocate(x.dtype, d.length);
  // `!(v <= 0)` keeps NaN as NaN, as torch does (a NaN must not be hidden from the divergence check).
  for (let i = 0; i < d.length; i++) out[i] = !(d[i] <= 0) ? d[i] : 0;
  return result('relu', out, x.shape, [x], (g) => {
    const m = allocate(x.dtype, d.length);
    for (let i = 0; i < d.length; i++) m[i] = d[i] > 0 ? 1 : 0;
    return [mul(g, constLike(x, m))];
  });
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
    for (let i = 0; i < d.length; i++) m[i] = d[i] > 0 ? 1 : 0;
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
  for (let i = 0; i < d.length; i++) out[i] = d[i] * 0.5 * (1 + erfScalar(d[i] * Math.SQRT1_2));
  return result('gelu', out, x.shape, [x], (g) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
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

/**
 * Batch normalisation in training mode as one op (torch.nn.functional.batch_norm, training=True),
 * so that a batchnorm layer costs two passes forward and two backward instead of ~10 broadcasting
 * graph nodes each way (on the digits CNN the composite was about half of a training step).
 *
 * For x [N, C, …] with n = N·Π(…) values per channel c:
 *
 *   μ_c = Σ x / n,   σ²_c = Σ (x − μ_c)² / n (biased),   r_c = 1/√(σ²_c + ε),   x̂ = (x − μ_c)·r_c,
 *   y = x̂·γ_c + β_c   (γ = 1, β = 0 without the affine parameters).
 *
 * First-order derivative, fused the same way (torch's batch_norm_backward), with Ḡ = ∂L/∂y:
 *
 *   ∂β_c = Σ Ḡ,   ∂γ_c = Σ Ḡ·x̂,   ∂x = γ_c·r_c·(Ḡ − ∂β_c/n − x̂·∂γ_c/n).
 *
 * When the backward pass is itself recorded (double backward, Hessian-vector products), the rule
 * instead rebuilds the same function from Tensor ops ({@link batchNormOps}) and takes autodiff's
 * vector-Jacobian product of it, so every order stays exact.
 */
import { grad } from '../autodiff.js';
import { allocate, promote, type DType, type FloatArray } from '../dtype.js';
import { Tensor, isGradEnabled, result } from '../tensor.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reshape } from './movement.js';
import { mean } from './reduce.js';

/** What a training-mode batch norm returns: the output and the batch statistics (for the running ones). */
export interface BatchNormResult {
  y: Tensor;
  /** μ_c, per channel. */
  mean: Float64Array;
  /** The biased σ²_c, per channel. */
  variance: Float64Array;
}

/** [N, C, …] → N, C and the size of one channel's plane (1 for [N, C]). */
function layoutOf(x: Tensor, what: string): { N: number; C: number; inner: number } {
  if (x.ndim < 2) throw new RangeError(`${what}: input [${x.shape.join(', ')}] must be [N, C, …]`);
  const [N, C] = x.shape;
  return { N, C, inner: N * C === 0 ? 0 : x.size / (N * C) };
}

function checkAffine(what: string, C: number, weight?: Tensor | null, bias?: Tensor | null): void {
  if (!weight !== !bias) throw new RangeError(`${what}: weight and bias come together or not at all`);
  for (const p of [weight, bias]) {
    if (p && p.size !== C)
      throw new RangeError(`${what}: affine parameter [${p.shape.join(', ')}] must hold ${C}`);
  }
}

/**
 * The same training-mode batch norm from Tensor ops (mean, sub, mul, sqrt, div over the reduced
 * axes): the reference the fused op is checked against, and what its double backward differentiates.
 */
export function batchNormOps(x: Tensor, eps: number, weight?: Tensor | null, bias?: Tensor | null): Tensor {
  const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const mu = mean(x, axes, true);
  const xc = sub(x, mu);
  const variance = mean(mul(xc, xc), axes, true);
  const y = div(xc, sqrt(add(variance, eps)));
  if (!weight || !bias) return y;
  const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
  return add(mul(y, reshape(weight, shape)), reshape(bias, shape));
}

/**
 * Training-mode batch norm of x [N, C, …] over every axis but the channel axis 1, with optional γ, β
 * [C]. Differentiable to any order in x, γ and β; dtype is float64 when any operand is. The statistics
 * are accumulated in float64 whatever the dtype.
 */
export function batchNorm(
  x: Tensor,
  eps: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
): BatchNormResult {
  const { N, C, inner } = layoutOf(x, 'batchNorm');
  checkAffine('batchNorm', C, weight, bias);
  const n = N * inner;
  const xd = x.data;
  const mu = new Float64Array(C);
  const variance = new Float64Array(C);
  // Two passes (mean, then the squares about it), as the op composite: one-pass Σx² − nμ² cancels.
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      mu[c] += sumOf(xd, base, inner);
    }
  }
  for (let c = 0; c < C; c++) mu[c] /= n;
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      variance[c] += squaresAbout(xd, base, inner, mu[c]);
    }
  }
  const invStd = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    variance[c] /= n;
    invStd[c] = 1 / Math.sqrt(variance[c] + eps);
  }
  let dtype: DType = x.dtype;
  if (weight && bias) dtype = promote(dtype, promote(weight.dtype, bias.dtype));
  const wd = weight ? weight.data : null;
  const bd = bias ? bias.data : null;
  const out = allocate(dtype, x.size);
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      const m = mu[c];
      const r = invStd[c];
      const g = wd ? wd[c] : 1;
      const b = bd ? bd[c] : 0;
      for (let l = 0; l < inner; l++) out[base + l] = (xd[base + l] - m) * r * g + b;
    }
  }
  const inputs = weight && bias ? [x, weight, bias] : [x];
  const y = result('batchNorm', out, x.shape, inputs, (gy) => {
    if (isGradEnabled() && (gy.requiresGrad || inputs.some((t) => t.requiresGrad))) {
      // Recorded backward: autodiff through the op composite, so the derivative is itself differentiable.
      const wanted = inputs.filter((t) => t.requiresGrad);
      const gs = grad(batchNormOps(x, eps, weight, bias), wanted, { gradOutput: gy, createGraph: true });
      let k = 0;
      return inputs.map((t) => (t.requiresGrad ? gs[k++] : null));
    }
    return batchNormBackward(gy.data, x, mu, invStd, weight ?? null, bias ?? null, N, C, inner);
  });
  return { y, mean: mu, variance };
}

/*
 * The per-channel sums below run four partial sums side by side: one running sum is a chain of
 * dependent float additions (~4 cycles each), which made the reductions most of the op's time.
 * The order is fixed, so the sums are deterministic.
 */

/** Σ d[base … base + len). */
function sumOf(d: FloatArray, base: number, len: number): number {
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let l = 0;
  for (; l + 4 <= len; l += 4) {
    t0 += d[base + l];
    t1 += d[base + l + 1];
    t2 += d[base + l + 2];
    t3 += d[base + l + 3];
  }
  for (; l < len; l++) t0 += d[base + l];
  return t0 + t1 + (t2 + t3);
}

/** Σ (d − m)² over d[base … base + len). */
function squaresAbout(d: FloatArray, base: number, len: number, m: number): number {
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let l = 0;
  for (; l + 4 <= len; l += 4) {
    const a = d[base + l] - m;
    const b = d[base + l + 1] - m;
    const c = d[base + l + 2] - m;
    const e = d[base + l + 3] - m;
    t0 += a * a;
    t1 += b * b;
    t2 += c * c;
    t3 += e * e;
  }
  for (; l < len; l++) {
    const a = d[base + l] - m;
    t0 += a * a;
  }
  return t0 + t1 + (t2 + t3);
}

/** out = [Σ g, Σ g·(x − m)·r] over [base … base + len). */
function sumsOfGrad(
  g: FloatArray,
  x: FloatArray,
  base: number,
  len: number,
  m: number,
  r: number,
  out: Float64Array,
): void {
  let a0 = 0;
  let a1 = 0;
  let b0 = 0;
  let b1 = 0;
  let l = 0;
  for (; l + 2 <= len; l += 2) {
    const g0 = g[base + l];
    const g1 = g[base + l + 1];
    a0 += g0;
    a1 += g1;
    b0 += g0 * ((x[base + l] - m) * r);
    b1 += g1 * ((x[base + l + 1] - m) * r);
  }
  for (; l < len; l++) {
    const g0 = g[base + l];
    a0 += g0;
    b0 += g0 * ((x[base + l] - m) * r);
  }
  out[0] = a0 + a1;
  out[1] = b0 + b1;
}

/**
 * ∂x = γ_c·r_c·(Ḡ − ∂β_c/n − x̂·∂γ_c/n) into `out`. A function of its own, as the sums above: V8
 * compiles a hot loop on the fly and, inline, deoptimized at the not-yet-run code after it.
 */
function inputGrad(
  gd: FloatArray,
  xd: FloatArray,
  out: FloatArray,
  mu: Float64Array,
  invStd: Float64Array,
  wd: FloatArray | null,
  sg: Float64Array,
  sgx: Float64Array,
  N: number,
  C: number,
  inner: number,
): void {
  const n = N * inner;
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      const m = mu[c];
      const r = invStd[c];
      const k = (wd ? wd[c] : 1) * r;
      const meanG = sg[c] / n;
      const meanGx = sgx[c] / n;
      for (let l = 0; l < inner; l++) {
        const xh = (xd[base + l] - m) * r;
        out[base + l] = k * (gd[base + l] - meanG - xh * meanGx);
      }
    }
  }
}

/** The fused first-order rule (see the file header): [∂x, ∂γ, ∂β] for the inputs that want one. */
function batchNormBackward(
  gd: FloatArray,
  x: Tensor,
  mu: Float64Array,
  invStd: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
  N: number,
  C: number,
  inner: number,
): (Tensor | null)[] {
  const xd = x.data;
  // ∂β = Σ Ḡ and ∂γ = Σ Ḡ·x̂, in float64, one pass.
  const pair = new Float64Array(2);
  const sg = new Float64Array(C);
  const sgx = new Float64Array(C);
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      sumsOfGrad(gd, xd, base, inner, mu[c], invStd[c], pair);
      sg[c] += pair[0];
      sgx[c] += pair[1];
    }
  }
  let dx: Tensor | null = null;
  if (x.requiresGrad) {
    const out = allocate(x.dtype, x.size);
    inputGrad(gd, xd, out, mu, invStd, weight ? weight.data : null, sg, sgx, N, C, inner);
    dx = new Tensor(out, x.shape);
  }
  const perChannel = (p: Tensor | null, sums: Float64Array): Tensor | null => {
    if (!p || !p.requiresGrad) return null;
    const d = allocate(p.dtype, p.size);
    d.set(sums);
    return new Tensor(d, p.shape);
  };
  return weight && bias ? [dx, perChannel(weight, sgx), perChannel(bias, sg)] : [dx];
}

/** Running statistics as a constant [1, C, 1, …] tensor of x's dtype, to broadcast over x. */
function perChannelConst(values: ArrayLike<number>, like: Tensor): Tensor {
  const data = allocate(like.dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i];
  return new Tensor(
    data,
    like.shape.map((d, i) => (i === 1 ? d : 1)),
  );
}

/**
 * Eval-mode batch norm from Tensor ops, (x − m)/√(v + ε)·γ + β with the running statistics m, v
 * (constants) rounded to x's dtype: the reference of {@link batchNormEval} and its double backward.
 */
export function batchNormEvalOps(
  x: Tensor,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  eps: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
): Tensor {
  const rm = perChannelConst(runningMean, x);
  const rv = perChannelConst(runningVar, x);
  const y = div(sub(x, rm), sqrt(add(rv, eps)));
  if (!weight || !bias) return y;
  const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
  return add(mul(y, reshape(weight, shape)), reshape(bias, shape));
}

/**
 * Eval-mode batch norm (torch's batch_norm with training=False) as one op: with s_c = √(v_c + ε) from
 * the running statistics, y = (x − m_c)/s_c·γ_c + β_c, an affine map of x per channel. Derivative:
 * ∂x = Ḡ·γ_c/s_c, ∂γ_c = Σ Ḡ·(x − m_c)/s_c, ∂β_c = Σ Ḡ (recorded backward: through
 * {@link batchNormEvalOps}). The statistics are read rounded to x's dtype, as the op composite does.
 */
export function batchNormEval(
  x: Tensor,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  eps: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
): Tensor {
  const { N, C, inner } = layoutOf(x, 'batchNormEval');
  checkAffine('batchNormEval', C, weight, bias);
  if (runningMean.length !== C || runningVar.length !== C) {
    throw new RangeError(`batchNormEval: running statistics must hold ${C} values`);
  }
  // Rounded to x's dtype first, then √(v + ε) and its rounding as the composite's sqrt(add(rv, ε)).
  const round = allocate(x.dtype, 2 * C);
  const m = round.subarray(0, C);
  const sd = round.subarray(C);
  for (let c = 0; c < C; c++) {
    m[c] = runningMean[c];
    sd[c] = runningVar[c];
    sd[c] = sd[c] + eps;
    sd[c] = Math.sqrt(sd[c]);
  }
  let dtype: DType = x.dtype;
  if (weight && bias) dtype = promote(dtype, promote(weight.dtype, bias.dtype));
  const xd = x.data;
  const wd = weight ? weight.data : null;
  const bd = bias ? bias.data : null;
  const out = allocate(dtype, x.size);
  for (let s = 0; s < N; s++) {
    for (let c = 0; c < C; c++) {
      const base = (s * C + c) * inner;
      const mc = m[c];
      const sc = sd[c];
      const g = wd ? wd[c] : 1;
      const b = bd ? bd[c] : 0;
      for (let l = 0; l < inner; l++) out[base + l] = ((xd[base + l] - mc) / sc) * g + b;
    }
  }
  const inputs = weight && bias ? [x, weight, bias] : [x];
  return result('batchNormEval', out, x.shape, inputs, (gy) => {
    if (isGradEnabled() && (gy.requiresGrad || inputs.some((t) => t.requiresGrad))) {
      const wanted = inputs.filter((t) => t.requiresGrad);
      const ops = batchNormEvalOps(x, runningMean, runningVar, eps, weight, bias);
      const gs = grad(ops, wanted, { gradOutput: gy, createGraph: true });
      let k = 0;
      return inputs.map((t) => (t.requiresGrad ? gs[k++] : null));
    }
    const gd = gy.data;
    const sg = new Float64Array(C);
    const sgx = new Float64Array(C);
    const dx = x.requiresGrad ? allocate(x.dtype, x.size) : null;
    for (let s = 0; s < N; s++) {
      for (let c = 0; c < C; c++) {
        const base = (s * C + c) * inner;
        const mc = m[c];
        const sc = sd[c];
        const k = wd ? wd[c] / sc : 1 / sc;
        let a = 0;
        let b = 0;
        for (let l = 0; l < inner; l++) {
          const g = gd[base + l];
          a += g;
          b += g * ((xd[base + l] - mc) / sc);
          if (dx) dx[base + l] = g * k;
        }
        sg[c] += a;
        sgx[c] += b;
      }
    }
    const perParam = (p: Tensor | null | undefined, sums: Float64Array): Tensor | null => {
      if (!p || !p.requiresGrad) return null;
      const d = allocate(p.dtype, p.size);
      d.set(sums);
      return new Tensor(d, p.shape);
    };
    const gx = dx ? new Tensor(dx, x.shape) : null;
    return weight && bias ? [gx, perParam(weight, sgx), perParam(bias, sg)] : [gx];
  });
}

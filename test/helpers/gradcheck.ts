/**
 * Finite-difference checks of the autodiff engine, in float64.
 *
 * First derivatives (`gradcheck`): a function `f(...xs)` is scalarized as
 *   F(xs) = Σ f(xs) ⊙ w        (w a fixed random weighting of f's output; w = 1 when f is a scalar)
 * and each analytic ∂F/∂x_ij from `grad` is compared with the central difference
 *   (F(x + h e_ij) − F(x − h e_ij)) / 2h,   h = 1e-6,
 * which has truncation error O(h² F''') ≈ 1e-12 and rounding error O(ε·|F|/h) ≈ 1e-10·|F|.
 * Pass when |analytic − numeric| ≤ atol + rtol·|numeric| (both 1e-6 by default).
 *
 * Second derivatives (`gradgradcheck`): the gradient g(xs) = ∇F is taken with `createGraph: true`, then
 * differentiated again along a direction v:  H v = ∇(Σ_i ⟨g_i, v_i⟩)  (double backward, as
 * torch.autograd.functional.vhp; H is symmetric for C² functions). It is compared with the central
 * difference of the first gradient along v:  (g(x + h v) − g(x − h v)) / 2h.
 * For small inputs every coordinate direction e_j is checked (the whole Hessian), otherwise a few
 * random directions.
 */
import { Tensor, tensor, grad, noGrad, referenceKernels, type Kernels } from '../../src/tensor/index.js';
import { createWasmKernels } from '../../src/tensor/kernels/wasm/index.js';
import { createNativeKernels } from '../../src/tensor/kernels/native/index.js';
import { createRng, type Rng } from '../../src/rng/rng.js';

export interface CheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the output weighting w and of random directions. */
  seed?: number;
  /** Second order: check every coordinate direction when the total input size is at most this. */
  fullHessianUpTo?: number;
  /** Second order: number of random directions otherwise. */
  directions?: number;
}

export interface Mismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
  /** Which second-order direction (−1 for first order). */
  direction: number;
}

export interface CheckResult {
  ok: boolean;
  maxError: number;
  mismatches: Mismatch[];
  /** A one-line description of the worst mismatch, for assertion messages. */
  message: string;
}

type Fn = (...xs: Tensor[]) => Tensor;

/** Float64 leaf copies (requiresGrad) of `xs`, with `delta` added to element `index` of input `which`. */
function leaves(
  xs: readonly Tensor[],
  which = -1,
  index = -1,
  delta = 0,
  dir?: Float64Array[],
  scale = 0,
): Tensor[] {
  return xs.map((x, i) => {
    const d = Float64Array.from(x.data);
    if (i === which) d[index] += delta;
    if (dir) for (let j = 0; j < d.length; j++) d[j] += scale * dir[i][j];
    return tensor(d, { shape: [...x.shape], dtype: 'float64', requiresGrad: true });
  });
}

/** Fixed random weighting for `f`'s output shape (1 for a scalar output). */
export function outputWeights(shape: readonly number[], rng: Rng): Tensor | null {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return null;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1);
  return tensor(w, { shape: [...shape], dtype: 'float64' });
}

/** F(xs) = Σ f(xs)·w as a tensor (a scalar). */
function scalarize(f: Fn, xs: Tensor[], w: Tensor | null): Tensor {
  const out = f(...xs);
  if (w === null) {
    if (out.size !== 1) throw new Error(`gradcheck: output shape [${out.shape}] but no weights`);
    return out.ndim === 0 ? out : out.sum();
  }
  return out.mul(w).sum();
}

function valueOf(f: Fn, xs: Tensor[], w: Tensor | null): number {
  return noGrad(() => scalarize(f, xs, w)).item();
}

function asArray(g: Tensor | null | undefined, n: number): Float64Array {
  if (g === null || g === undefined) return new Float64Array(n);
  if (g.size !== n) throw new Error(`gradcheck: gradient has ${g.size} elements, input has ${n}`);
  return Float64Array.from(g.data);
}

function firstGrad(f: Fn, xs: Tensor[], w: Tensor | null): Float64Array[] {
  const F = scalarize(f, xs, w);
  if (!F.requiresGrad) return xs.map((x) => new Float64Array(x.size));
  const gs = grad(F, xs);
  return xs.map((x, i) => asArray(gs[i], x.size));
}

function finish(mismatches: Mismatch[], maxError: number, what: string): CheckResult {
  let message = `${what}: ok (max error ${maxError.toExponential(2)})`;
  if (mismatches.length > 0) {
    const worst = mismatches.reduce((a, b) =>
      Math.abs(a.analytic - a.numeric) >= Math.abs(b.analytic - b.numeric) ? a : b,
    );
    message =
      `${what}: ${mismatches.length} mismatches; worst input ${worst.input} index ${worst.index}` +
      (worst.direction >= 0 ? ` direction ${worst.direction}` : '') +
      `: analytic ${worst.analytic} vs numeric ${worst.numeric}`;
  }
  return { ok: mismatches.length === 0, maxError, mismatches, message };
}

function shapeOfOutput(f: Fn, xs: Tensor[]): number[] {
  return [...noGrad(() => f(...leaves(xs))).shape];
}

/** First-derivative check of every input of `f` at `xs` (their data is copied to float64 leaves). */
export function gradcheck(f: Fn, xs: readonly Tensor[], opts: CheckOptions = {}): CheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const rng = createRng(opts.seed ?? 12345);
  const base = leaves(xs);
  const w = outputWeights(shapeOfOutput(f, base), rng);
  const analytic = firstGrad(f, base, w);
  const mismatches: Mismatch[] = [];
  let maxError = 0;
  for (let i = 0; i < xs.length; i++) {
    for (let j = 0; j < xs[i].size; j++) {
      const fp = valueOf(f, leaves(xs, i, j, eps), w);
      const fm = valueOf(f, leaves(xs, i, j, -eps), w);
      const numeric = (fp - fm) / (2 * eps);
      const err = Math.abs(analytic[i][j] - numeric);
      maxError = Math.max(maxError, err);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        mismatches.push({ input: i, index: j, analytic: analytic[i][j], numeric, direction: -1 });
      }
    }
  }
  return finish(mismatches, maxError, 'gradcheck');
}

/**
 * Second-derivative check: double-backward H·v against finite differences of the first gradient.
 * Also returns the analytic H·v products it computed (one per direction).
 */
export function gradgradcheck(f: Fn, xs: readonly Tensor[], opts: CheckOptions = {}): CheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const rng = createRng(opts.seed ?? 54321);
  const base0 = leaves(xs);
  const w = outputWeights(shapeOfOutput(f, base0), rng);
  const total = xs.reduce((a, x) => a + x.size, 0);
  const dirs: Float64Array[][] = [];
  if (total <= (opts.fullHessianUpTo ?? 24)) {
    for (let i = 0; i < xs.length; i++)
      for (let j = 0; j < xs[i].size; j++) {
        const d = xs.map((x) => new Float64Array(x.size));
        d[i][j] = 1;
        dirs.push(d);
      }
  } else {
    for (let k = 0; k < (opts.directions ?? 3); k++)
      dirs.push(xs.map((x) => Float64Array.from({ length: x.size }, () => rng.normal())));
  }
  const mismatches: Mismatch[] = [];
  let maxError = 0;
  dirs.forEach((v, k) => {
    const base = leaves(xs);
    const analytic = hvpByDoubleBackward(f, base, w, v);
    const gp = firstGrad(f, leaves(xs, -1, -1, 0, v, eps), w);
    const gm = firstGrad(f, leaves(xs, -1, -1, 0, v, -eps), w);
    for (let i = 0; i < xs.length; i++)
      for (let j = 0; j < xs[i].size; j++) {
        const numeric = (gp[i][j] - gm[i][j]) / (2 * eps);
        const err = Math.abs(analytic[i][j] - numeric);
        maxError = Math.max(maxError, err);
        if (!(err <= atol + rtol * Math.abs(numeric))) {
          mismatches.push({ input: i, index: j, analytic: analytic[i][j], numeric, direction: k });
        }
      }
  });
  return finish(mismatches, maxError, 'gradgradcheck');
}

/**
 * H·v by double backward: g = ∇F with createGraph, then ∇⟨g, v⟩. Inputs the first gradient does not
 * depend on (a linear F) get zeros (the engine returns zeros for unused inputs), and a first gradient that carries no graph at all
 * means every second derivative is zero.
 */
export function hvpByDoubleBackward(
  f: Fn,
  xs: Tensor[],
  w: Tensor | null,
  v: Float64Array[],
): Float64Array[] {
  const F = scalarize(f, xs, w);
  if (!F.requiresGrad) return xs.map((x) => new Float64Array(x.size));
  const g = grad(F, xs, { createGraph: true });
  let s: Tensor | null = null;
  for (let i = 0; i < xs.length; i++) {
    const gi = g[i];
    if (gi === null || gi === undefined || !gi.requiresGrad) continue;
    const vi = tensor(v[i], { shape: [...xs[i].shape], dtype: 'float64' });
    const term = gi.mul(vi).sum();
    s = s === null ? term : s.add(term);
  }
  if (s === null) return xs.map((x) => new Float64Array(x.size));
  const h = grad(s, xs);
  return xs.map((x, i) => asArray(h[i], x.size));
}

/** Central-difference Jacobian of a tensor function at x: shape [...out.shape, ...x.shape], flat. */
export function numericJacobian(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  eps = 1e-6,
): { data: Float64Array; outSize: number } {
  const outSize = noGrad(() => f(leaves([x])[0])).size;
  const n = x.size;
  const data = new Float64Array(outSize * n);
  for (let j = 0; j < n; j++) {
    const p = noGrad(() => f(leaves([x], 0, j, eps)[0])).data;
    const m = noGrad(() => f(leaves([x], 0, j, -eps)[0])).data;
    for (let o = 0; o < outSize; o++) data[o * n + j] = (p[o] - m[o]) / (2 * eps);
  }
  return { data, outSize };
}

/** Central-difference Hessian of a scalar function, via differences of its autodiff gradient. */
export function numericHessian(f: (x: Tensor) => Tensor, x: Tensor, eps = 1e-6): Float64Array {
  const n = x.size;
  const H = new Float64Array(n * n);
  const g = (xx: Tensor): Float64Array => firstGrad((t) => f(t), [xx], null)[0];
  for (let j = 0; j < n; j++) {
    const p = g(leaves([x], 0, j, eps)[0]);
    const m = g(leaves([x], 0, j, -eps)[0]);
    for (let i = 0; i < n; i++) H[i * n + j] = (p[i] - m[i]) / (2 * eps);
  }
  return H;
}

/**
 * Random float64 data of a shape from the seeded generator, kept off kinks:
 * `awayFrom` pushes |x − k| ≥ margin for every kink k; `positive` draws from [lo, hi].
 */
export function randomTensor(
  rng: Rng,
  shape: readonly number[],
  opts: {
    scale?: number;
    positive?: boolean;
    lo?: number;
    hi?: number;
    awayFrom?: number[];
    margin?: number;
    requiresGrad?: boolean;
  } = {},
): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  const margin = opts.margin ?? 0.1;
  for (let i = 0; i < n; i++) {
    let x: number;
    if (opts.positive) x = rng.uniform(opts.lo ?? 0.2, opts.hi ?? 2.5);
    else {
      for (;;) {
        x = (opts.scale ?? 1) * rng.normal();
        if (!(opts.awayFrom ?? []).some((k) => Math.abs(x - k) < margin)) break;
      }
    }
    d[i] = x;
  }
  return tensor(d, { shape: [...shape], dtype: 'float64', requiresGrad: opts.requiresGrad ?? true });
}

/** |a − b| ≤ rel·max(|a|, |b|) + abs: the comparison the golden tests use. */
export function closeRel(a: number, b: number, rel = 1e-12, abs = 1e-14): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + abs;
}

/** First index where two arrays differ beyond `closeRel`, with both values; null when all match. */
export function firstMismatch(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rel = 1e-12,
  abs = 1e-14,
): { index: number; got: number; want: number } | null {
  if (got.length !== want.length) return { index: -1, got: got.length, want: want.length };
  for (let i = 0; i < want.length; i++)
    if (!closeRel(got[i], want[i], rel, abs)) return { index: i, got: got[i], want: want[i] };
  return null;
}

/**
 * Kernel backends to run the engine checks under: the TypeScript reference, the WebAssembly SIMD backend
 * and the native OpenBLAS backend, each with its size thresholds at 0 (so even tiny test tensors go
 * through it), those that are available in this process.
 */
export function kernelBackends(): [string, Kernels][] {
  const list: [string, Kernels][] = [['reference', referenceKernels]];
  const wasm = createWasmKernels(referenceKernels, { matmulMinFlops: 0, elementwiseMin: 0 });
  if (wasm) list.push(['wasm', wasm]);
  const native = createNativeKernels(wasm ?? referenceKernels, { minFlops: 0 });
  if (native) list.push(['native', native]);
  return list;
}

/**
 * Damped Newton's method over one flat float64 parameter vector, with the objective injected as
 * callbacks (the training loop wires them to the autodiff engine's gradient, Hessian and HVP).
 *
 * One {@link newtonStep} is one Newton iteration at x with gradient g and Hessian H:
 *
 * 1. Direction. Solve (H + λI)·p = −g.
 *    - n ≤ cgThreshold: Cholesky of H + λI, starting at λ = `damping`; while the factorization fails
 *      (H + λI not positive definite) λ ← 10·λ (from 1e-8·max(1, max|Hᵢᵢ|) when damping is 0).
 *    - n > cgThreshold: Newton-CG, truncated conjugate gradients on (H + λI)·p = −g using only
 *      Hessian-vector products (scipy's `_minimize_newtoncg` rules): start at p = 0, stop when
 *      ‖r‖₁ ≤ η·‖g‖₁ with η = min(0.5, √‖g‖₁), or after `cgMaxIter` (default 20·n) iterations;
 *      curvature guard on q = dᵀ(H + λI)d: 0 ≤ q ≤ 3·ε₆₄·‖d‖² stops; q < 0 stops, and on the first
 *      iteration falls back to steepest descent scaled by (rᵀr)/(−q).
 *    If the direction is not a descent direction (only possible on a degenerate CG exit) p = −g.
 * 2. Newton decrement λ² = −gᵀp = gᵀ(H + λI)⁻¹g (for Cholesky; the CG estimate otherwise).
 *    λ²/2 estimates f(x) − f(x*) near the optimum, a natural stopping rule.
 * 3. Step. With `lineSearch`, backtracking Armijo: t = 1, 1/2, 1/4, … (at most `maxBacktracks`
 *    halvings) until f(x + t·p) ≤ f(x) + c·t·gᵀp (c = `armijoC`, 1e-4). If no t qualifies the step
 *    is rejected (x unchanged, `accepted: false`). Without line search x ← x + p. When the
 *    decrement is below the loss's rounding (λ² ≤ 16·ε·max(1, |f|)) the full step is taken: there
 *    the Armijo comparison only sees rounding noise.
 *
 * Deviation from scipy: the CG zero-curvature stop is relative, dᵀ(H+λI)d ≤ 3·ε·‖d‖².
 *
 * State and diagnostics are plain numbers and strings (JSON-serializable as they are).
 */
import { choleskyShifted, choleskySolve, dot, norm1, norm2 } from './linalg.js';
import { OptimConfigError } from './types.js';
import { NEWTON as TORCH_DEFAULTS } from '../catalog/optimizers.js';

/** The objective, as callbacks over the flat parameter vector (they must not keep or mutate x). */
export interface NewtonProblem {
  /** Loss and gradient at x. */
  lossAndGrad(x: Float64Array): { loss: number; grad: Float64Array };
  /** Loss only (used by the line search); defaults to `lossAndGrad(x).loss`. */
  loss?(x: Float64Array): number;
  /** Full Hessian at x, n×n row-major (only the lower triangle is read). Needed when n ≤ cgThreshold unless hvp is given. */
  hessian?(x: Float64Array): Float64Array;
  /** Hessian-vector product H(x)·v. Needed when n > cgThreshold unless hessian is given. */
  hvp?(x: Float64Array, v: Float64Array): Float64Array;
}

export interface NewtonHyper {
  /** Initial Levenberg damping λ added to the Hessian diagonal (default 1e-4; 0 = pure Newton). */
  damping: number;
  /** Backtracking Armijo line search (default true). */
  lineSearch: boolean;
  /** Above this many parameters use Newton-CG with HVPs instead of a dense Cholesky (default 500). */
  cgThreshold: number;
  /** Armijo sufficient-decrease constant c (default 1e-4). */
  armijoC: number;
  /** Maximum halvings of the step (default 30). */
  maxBacktracks: number;
  /** Maximum ×10 damping increases before giving up (default 40). */
  maxDampingIncreases: number;
  /** CG iteration cap (default 20·n, scipy's). */
  cgMaxIter: number | null;
}

export const NEWTON_DEFAULTS: NewtonHyper = { ...TORCH_DEFAULTS };

/**
 * What {@link newtonStep} accepts: any subset of {@link NewtonHyper}; a JobSpec `newton` optimizer
 * object works as is (`type` is ignored, its `maxIter` is the CG iteration cap).
 */
export type NewtonOptions = Partial<NewtonHyper> & { type?: 'newton'; maxIter?: number };

/** Fill defaults and validate (throws {@link OptimConfigError}). */
export function resolveNewton(hp: NewtonOptions = {}): NewtonHyper {
  const r: NewtonHyper = {
    damping: hp.damping ?? NEWTON_DEFAULTS.damping,
    lineSearch: hp.lineSearch ?? NEWTON_DEFAULTS.lineSearch,
    cgThreshold: hp.cgThreshold ?? NEWTON_DEFAULTS.cgThreshold,
    armijoC: hp.armijoC ?? NEWTON_DEFAULTS.armijoC,
    maxBacktracks: hp.maxBacktracks ?? NEWTON_DEFAULTS.maxBacktracks,
    maxDampingIncreases: hp.maxDampingIncreases ?? NEWTON_DEFAULTS.maxDampingIncreases,
    cgMaxIter: hp.cgMaxIter ?? hp.maxIter ?? NEWTON_DEFAULTS.cgMaxIter,
  };
  if (!(Number.isFinite(r.damping) && r.damping >= 0)) {
    throw new OptimConfigError('damping', `Invalid damping value: ${String(r.damping)}`);
  }
  if (typeof r.lineSearch !== 'boolean')
    throw new OptimConfigError('lineSearch', `Invalid lineSearch value: ${String(r.lineSearch)}`);
  if (!(r.cgThreshold >= 0))
    throw new OptimConfigError('cgThreshold', `Invalid cgThreshold value: ${String(r.cgThreshold)}`);
  if (!(r.armijoC > 0 && r.armijoC < 1))
    throw new OptimConfigError('armijoC', `Invalid armijoC value: ${String(r.armijoC)}`);
  if (!(Number.isInteger(r.maxBacktracks) && r.maxBacktracks >= 0)) {
    throw new OptimConfigError('maxBacktracks', `Invalid maxBacktracks value: ${String(r.maxBacktracks)}`);
  }
  if (!(Number.isInteger(r.maxDampingIncreases) && r.maxDampingIncreases >= 0)) {
    throw new OptimConfigError(
      'maxDampingIncreases',
      `Invalid maxDampingIncreases value: ${String(r.maxDampingIncreases)}`,
    );
  }
  if (r.cgMaxIter !== null && !(Number.isInteger(r.cgMaxIter) && r.cgMaxIter > 0)) {
    throw new OptimConfigError('cgMaxIter', `Invalid cgMaxIter value: ${String(r.cgMaxIter)}`);
  }
  return r;
}

/** Counters carried across iterations (plain numbers: serializable as is). */
export interface NewtonState {
  /** Iterations done. */
  iteration: number;
  lossEvaluations: number;
  gradientEvaluations: number;
  hessianEvaluations: number;
  hvpEvaluations: number;
  /** Loss at the end of the last iteration (null before the first, or without line search). */
  lastLoss: number | null;
  /** Damping used by the last iteration. */
  lastDamping: number | null;
}

export function newtonInit(): NewtonState {
  return {
    iteration: 0,
    lossEvaluations: 0,
    gradientEvaluations: 0,
    hessianEvaluations: 0,
    hvpEvaluations: 0,
    lastLoss: null,
    lastDamping: null,
  };
}

/** Why the CG inner loop stopped. */
export type CgStop = 'tolerance' | 'max-iterations' | 'zero-curvature' | 'negative-curvature';

/** Per-iteration diagnostics (plain data). */
export interface NewtonDiagnostics {
  /** 1-based iteration number. */
  iteration: number;
  method: 'cholesky' | 'cg';
  /** Loss and gradient 2-norm at the start of the iteration. */
  loss: number;
  gradNorm: number;
  /** Loss after the step (null without line search: not evaluated). */
  newLoss: number | null;
  /** Damping λ the direction was computed with. */
  damping: number;
  /** ×10 increases needed before the Cholesky succeeded. */
  dampingIncreases: number;
  /** Newton decrement squared, −gᵀp = gᵀ(H + λI)⁻¹g. */
  decrement: number;
  /** Step length t taken (0 when rejected). */
  stepSize: number;
  accepted: boolean;
  /** Halvings done by the line search. */
  backtracks: number;
  /** CG iterations (0 on the Cholesky path). */
  cgIterations: number;
  cgStop: CgStop | null;
  /** True when the direction fell back to steepest descent. */
  steepestDescent: boolean;
}

function maxAbsDiag(h: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(h[i * n + i]));
  return m;
}

interface Direction {
  p: Float64Array;
  damping: number;
  dampingIncreases: number;
  cgIterations: number;
  cgStop: CgStop | null;
}

function choleskyDirection(h: Float64Array, g: Float64Array, hp: NewtonHyper): Direction {
  const n = g.length;
  if (h.length !== n * n) throw new Error(`newton: hessian has ${h.length} entries, expected ${n}×${n}`);
  const L = new Float64Array(n * n);
  let lambda = hp.damping;
  let increases = 0;
  while (!choleskyShifted(h, n, lambda, L)) {
    if (increases >= hp.maxDampingIncreases || !Number.isFinite(lambda)) {
      throw new Error(
        `newton: H + λI is not positive definite even at λ = ${lambda} (is the Hessian finite?)`,
      );
    }
    lambda = lambda === 0 ? 1e-8 * Math.max(1, maxAbsDiag(h, n)) : lambda * 10;
    increases++;
  }
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = -g[i];
  choleskySolve(L, n, p);
  return { p, damping: lambda, dampingIncreases: increases, cgIterations: 0, cgStop: null };
}

/** Truncated CG on (H + λI)p = −g, scipy `_minimize_newtoncg` rules. */
function cgDirection(
  matvec: (v: Float64Array) => Float64Array,
  g: Float64Array,
  lambda: number,
  maxIter: number,
): Direction {
  const n = g.length;
  const p = new Float64Array(n);
  const r = Float64Array.from(g); // residual (H+λI)p + g, with p = 0
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = -r[i];
  const mag = norm1(g);
  const termcond = Math.min(0.5, Math.sqrt(mag)) * mag;
  let rr = dot(r, r);
  let stop: CgStop = 'max-iterations';
  let it = 0;
  for (; it < maxIter; it++) {
    if (norm1(r) <= termcond) {
      stop = 'tolerance';
      break;
    }
    const hd = matvec(d);
    if (lambda !== 0) for (let i = 0; i < n; i++) hd[i] += lambda * d[i];
    const curv = dot(d, hd);
    // scipy tests curv ≤ 3·ε absolutely, which stalls once ‖g‖ ≲ 1e-8 (dᵀHd ~ ‖g‖²); relative to ‖d‖² instead
    if (curv >= 0 && curv <= 3 * Number.EPSILON * dot(d, d)) {
      stop = 'zero-curvature';
      break;
    }
    if (curv < 0) {
      stop = 'negative-curvature';
      if (it === 0) {
        const s = rr / -curv; // steepest descent, scaled as scipy does
        for (let i = 0; i < n; i++) p[i] = -s * g[i];
      }
      break;
    }
    const alpha = rr / curv;
    for (let i = 0; i < n; i++) {
      p[i] += alpha * d[i];
      r[i] += alpha * hd[i];
    }
    const rrNext = dot(r, r);
    const beta = rrNext / rr;
    for (let i = 0; i < n; i++) d[i] = -r[i] + beta * d[i];
    rr = rrNext;
  }
  return { p, damping: lambda, dampingIncreases: 0, cgIterations: it, cgStop: stop };
}

/**
 * One damped Newton iteration; updates `params` in place (unless the line search rejects the step)
 * and `state`, and returns the iteration's diagnostics.
 */
export function newtonStep(
  params: Float64Array,
  problem: NewtonProblem,
  state: NewtonState,
  hpIn: NewtonOptions = {},
): NewtonDiagnostics {
  const hp = resolveNewton(hpIn);
  const n = params.length;
  const { loss, grad } = problem.lossAndGrad(params);
  state.gradientEvaluations++;
  if (grad.length !== n) throw new Error(`newton: gradient has ${grad.length} entries, parameters ${n}`);
  const gradNorm = norm2(grad);
  if (!problem.hessian && !problem.hvp)
    throw new Error('newton: the problem provides neither hessian nor hvp');
  const useCg =
    n > hp.cgThreshold
      ? problem.hvp !== undefined || problem.hessian !== undefined
      : problem.hessian === undefined;

  let dir: Direction;
  if (gradNorm === 0) {
    dir = { p: new Float64Array(n), damping: hp.damping, dampingIncreases: 0, cgIterations: 0, cgStop: null };
  } else if (!useCg) {
    const h = problem.hessian!(params);
    state.hessianEvaluations++;
    dir = choleskyDirection(h, grad, hp);
  } else {
    let matvec: (v: Float64Array) => Float64Array;
    if (problem.hvp) {
      matvec = (v) => {
        state.hvpEvaluations++;
        return Float64Array.from(problem.hvp!(params, v));
      };
    } else {
      if (!problem.hessian) throw new Error('newton: Newton-CG needs hvp (or hessian)');
      const h = problem.hessian(params);
      state.hessianEvaluations++;
      matvec = (v) => {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += h[i * n + j] * v[j];
          out[i] = s;
        }
        return out;
      };
    }
    dir = cgDirection(matvec, grad, hp.damping, hp.cgMaxIter ?? 20 * n);
  }

  const p = dir.p;
  let slope = dot(grad, p);
  let steepestDescent = false;
  if (gradNorm > 0 && !(slope < 0)) {
    for (let i = 0; i < n; i++) p[i] = -grad[i];
    slope = -gradNorm * gradNorm;
    steepestDescent = true;
  }
  if (dir.cgStop === 'negative-curvature' && dir.cgIterations === 0) steepestDescent = true;

  const diag: NewtonDiagnostics = {
    iteration: ++state.iteration,
    method: useCg ? 'cg' : 'cholesky',
    loss,
    gradNorm,
    newLoss: null,
    damping: dir.damping,
    dampingIncreases: dir.dampingIncreases,
    decrement: 0 - slope, // not −slope: a zero slope must give +0
    stepSize: 0,
    accepted: true,
    backtracks: 0,
    cgIterations: dir.cgIterations,
    cgStop: dir.cgStop,
    steepestDescent,
  };
  state.lastDamping = dir.damping;
  if (gradNorm === 0) {
    diag.newLoss = loss;
    state.lastLoss = loss;
    return diag;
  }

  if (!hp.lineSearch) {
    for (let i = 0; i < n; i++) params[i] += p[i];
    diag.stepSize = 1;
    state.lastLoss = null;
    return diag;
  }

  const trial = new Float64Array(n);
  const evalLoss = (x: Float64Array): number => {
    state.lossEvaluations++;
    return problem.loss ? problem.loss(x) : problem.lossAndGrad(x).loss;
  };
  // Near the optimum the predicted decrease falls below the loss's rounding, and the Armijo test
  // turns into noise (random halvings stall convergence at ‖g‖ ~ 1e-12): take the full step.
  if (-slope <= 16 * Number.EPSILON * Math.max(1, Math.abs(loss))) {
    for (let i = 0; i < n; i++) params[i] += p[i];
    diag.stepSize = 1;
    diag.newLoss = evalLoss(params);
    state.lastLoss = diag.newLoss;
    return diag;
  }
  let t = 1;
  for (let b = 0; b <= hp.maxBacktracks; b++) {
    for (let i = 0; i < n; i++) trial[i] = params[i] + t * p[i];
    const f = evalLoss(trial);
    if (Number.isFinite(f) && f <= loss + hp.armijoC * t * slope) {
      params.set(trial);
      diag.stepSize = t;
      diag.newLoss = f;
      diag.backtracks = b;
      state.lastLoss = f;
      return diag;
    }
    t /= 2;
  }
  diag.accepted = false;
  diag.backtracks = hp.maxBacktracks;
  diag.newLoss = loss;
  state.lastLoss = loss;
  return diag;
}

/**
 * L-BFGS with PyTorch's semantics — a faithful port of `torch/optim/lbfgs.py` (torch 1.13), including
 * `_cubic_interpolate` and the strong-Wolfe line search `_strong_wolfe`, so that a float64 run
 * reproduces torch's trajectory to rounding.
 *
 * Like torch, all parameters form one flat vector `x` and each {@link lbfgsStep} call is one
 * `optimizer.step(closure)`: it evaluates the closure, then runs up to `maxIter` inner iterations.
 * The state (history of (y, s) pairs, last direction and step, …) persists across calls.
 *
 * Direction: the two-loop recursion gives d = −H·g, where H is the L-BFGS inverse-Hessian
 * approximation built from the last `historySize` pairs s = x_{k+1} − x_k, y = g_{k+1} − g_k (kept
 * only when yᵀs > 1e-10) and the initial scaling H₀ = (yᵀs / yᵀy)·I. The very first iteration uses
 * d = −g with step t = min(1, 1/‖g‖₁)·lr; later ones use t = lr, then either a fixed move x += t·d
 * or the strong-Wolfe line search (sufficient decrease c1 = 1e-4, curvature c2 = 0.9, 25 evaluations).
 *
 * Full-batch only: the closure must be deterministic.
 */
import { dot } from './linalg.js';

/** Objective evaluated at a point: its value and gradient (the gradient array is not mutated). */
import { LBFGS as TORCH_DEFAULTS } from '../catalog/optimizers.js';

export type LbfgsClosure = (x: Float64Array) => { loss: number; grad: Float64Array };

/** Hyper-parameters, named like torch's (camelCase). */
export interface LbfgsOptions {
  /** Step length scale (torch `lr`, default 1). */
  lr?: number;
  /** Inner iterations per {@link lbfgsStep} (torch `max_iter`, default 20). */
  maxIter?: number;
  /** Function evaluations per step (torch `max_eval`, default ⌊maxIter·5/4⌋). */
  maxEval?: number;
  /** Stop when max|g| ≤ this (torch `tolerance_grad`, default 1e-7). */
  toleranceGrad?: number;
  /** Stop on tiny change of loss/step/directional derivative (torch `tolerance_change`, default 1e-9). */
  toleranceChange?: number;
  /** Number of (y, s) pairs kept (torch `history_size`, default 100). */
  historySize?: number;
  /** `'strong_wolfe'` or `null` (fixed step), torch `line_search_fn`. */
  lineSearchFn?: 'strong_wolfe' | null;
}

/** Persistent optimizer state (torch's `state[params[0]]`). */
export interface LbfgsState {
  funcEvals: number;
  nIter: number;
  d: Float64Array | null;
  t: number | null;
  oldDirs: Float64Array[];
  oldStps: Float64Array[];
  ro: number[];
  hDiag: number;
  prevFlatGrad: Float64Array | null;
  prevLoss: number | null;
}

/** Outcome of one {@link lbfgsStep}. */
export interface LbfgsStepResult {
  /** Loss at the point where the step began (what torch's `step` returns). */
  loss: number;
  /** Loss at the last evaluated point (the new point unless the last iteration skipped re-evaluation). */
  lastLoss: number;
  /** Inner iterations performed. */
  iterations: number;
  /** Closure evaluations made in this step. */
  evals: number;
}

type Required_ = Required<LbfgsOptions>;

/** Fill torch's defaults. */
export function lbfgsDefaults(opts: LbfgsOptions = {}): Required_ {
  const d = TORCH_DEFAULTS;
  const maxIter = opts.maxIter ?? d.maxIter;
  return {
    lr: opts.lr ?? d.lr,
    maxIter,
    maxEval: opts.maxEval ?? Math.floor((maxIter * 5) / 4),
    toleranceGrad: opts.toleranceGrad ?? d.toleranceGrad,
    toleranceChange: opts.toleranceChange ?? d.toleranceChange,
    historySize: opts.historySize ?? d.historySize,
    lineSearchFn: opts.lineSearchFn ?? d.lineSearchFn,
  };
}

/** A fresh state (before the first step). */
export function lbfgsInit(): LbfgsState {
  return {
    funcEvals: 0,
    nIter: 0,
    d: null,
    t: null,
    oldDirs: [],
    oldStps: [],
    ro: [],
    hDiag: 1,
    prevFlatGrad: null,
    prevLoss: null,
  };
}

// Python's min/max on two values: the first argument wins unless the second is strictly
// smaller/larger (so NaN propagates exactly as in torch's code, unlike Math.min/max).
const pyMax = (a: number, b: number): number => (b > a ? b : a);
const pyMin = (a: number, b: number): number => (b < a ? b : a);

function absMax(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

function absSum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

/** x + t·d as a new array (torch `p.add_(d, alpha=t)` on a copy). */
function axpy(x: Float64Array, t: number, d: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + t * d[i]!;
  return out;
}

/**
 * Minimizer of the cubic interpolating (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`
 * (default [min(x1,x2), max(x1,x2)]); the bounds' midpoint when the cubic has no real minimizer.
 * Port of torch's `_cubic_interpolate` (itself from `torch/optim/polyinterp.lua`):
 *   d1 = g1 + g2 − 3(f1 − f2)/(x1 − x2),  d2 = √(d1² − g1·g2),
 *   x* = x2 − (x2 − x1)·(g2 + d2 − d1)/(g2 − g1 + 2·d2)   (for x1 ≤ x2).
 */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  let xminBound: number, xmaxBound: number;
  if (bounds !== undefined) [xminBound, xmaxBound] = bounds;
  else [xminBound, xmaxBound] = x1 <= x2 ? [x1, x2] : [x2, x1];
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    let minPos: number;
    if (x1 <= x2) minPos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    else minPos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

/** Result of the line search: value, gradient and step at the accepted point, evaluations made. */
export interface StrongWolfeResult {
  f: number;
  g: Float64Array;
  t: number;
  evals: number;
}

/**
 * Strong-Wolfe line search along d from x — port of torch's `_strong_wolfe` (from `lswolfe.lua`).
 * Finds t with f(x+td) ≤ f + c1·t·gᵀd and |∇f(x+td)ᵀd| ≤ −c2·gᵀd: a bracketing phase that grows t
 * by cubic extrapolation (within [t + 0.01(t − t_prev), 10t]), then a zoom phase by cubic
 * interpolation with a safeguard that keeps trial points 10% of the bracket away from its ends.
 */
export function strongWolfe(
  objFunc: (x: Float64Array, t: number, d: Float64Array) => { loss: number; grad: Float64Array },
  x: Float64Array,
  t: number,
  d: Float64Array,
  f: number,
  g: Float64Array,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): StrongWolfeResult {
  const dNorm = absMax(d);
  g = g.slice();
  let { loss: fNew, grad: gNew } = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew, d);

  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Float64Array[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // interpolate (extrapolate) within [t + 0.01(t − t_prev), 10t]
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.slice();
    gtdPrev = gtdNew;
    ({ loss: fNew, grad: gNew } = objFunc(x, t, d));
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  // zoom phase
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0]!,
      bracketF[0]!,
      bracketGtd[0]!,
      bracket[1]!,
      bracketF[1]!,
      bracketGtd[1]!,
    );
    const bMax = pyMax(bracket[0]!, bracket[1]!);
    const bMin = pyMin(bracket[0]!, bracket[1]!);
    const eps = 0.1 * (bMax - bMin);
    if (pyMin(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        if (Math.abs(t - bMax) < Math.abs(t - bMin)) t = bMax - eps;
        else t = bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }

    ({ loss: fNew, grad: gNew } = objFunc(x, t, d));
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d);
    lsIter += 1;

    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]!) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.slice();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
        // old high becomes new low
        bracket[highPos] = bracket[lowPos]!;
        bracketF[highPos] = bracketF[lowPos]!;
        bracketG[highPos] = bracketG[lowPos]!;
        bracketGtd[highPos] = bracketGtd[lowPos]!;
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.slice();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return { f: bracketF[lowPos]!, g: bracketG[lowPos]!, t: bracket[lowPos]!, evals: lsFuncEvals };
}

/**
 * One torch `LBFGS.step(closure)`: updates `x` in place and `state`. The closure is called with the
 * current point (and, in the line search, with trial points x + t·d).
 */
export function lbfgsStep(
  x: Float64Array,
  closure: LbfgsClosure,
  state: LbfgsState,
  options: LbfgsOptions = {},
): LbfgsStepResult {
  const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn } =
    lbfgsDefaults(options);

  const first = closure(x);
  const origLoss = first.loss;
  let loss = origLoss;
  let flatGrad: Float64Array = first.grad.slice();
  let currentEvals = 1;
  state.funcEvals += 1;

  let optCond = absMax(flatGrad) <= toleranceGrad;
  if (optCond) return { loss: origLoss, lastLoss: loss, iterations: 0, evals: currentEvals };

  let d = state.d;
  let t = state.t;
  let oldDirs = state.oldDirs;
  let oldStps = state.oldStps;
  let ro = state.ro;
  let hDiag = state.hDiag;
  let prevFlatGrad = state.prevFlatGrad;
  let prevLoss = state.prevLoss;

  let nIter = 0;
  while (nIter < maxIter) {
    nIter += 1;
    state.nIter += 1;

    // ---- descent direction
    if (state.nIter === 1) {
      d = flatGrad.map((v) => -v);
      oldDirs = [];
      oldStps = [];
      ro = [];
      hDiag = 1;
    } else {
      const y = new Float64Array(flatGrad.length);
      for (let i = 0; i < y.length; i++) y[i] = flatGrad[i]! - prevFlatGrad![i]!;
      const s = new Float64Array(flatGrad.length);
      for (let i = 0; i < s.length; i++) s[i] = d![i]! * t!;
      const ys = dot(y, s);
      if (ys > 1e-10) {
        if (oldDirs.length === historySize) {
          oldDirs.shift();
          oldStps.shift();
          ro.shift();
        }
        oldDirs.push(y);
        oldStps.push(s);
        ro.push(1 / ys);
        hDiag = ys / dot(y, y);
      }
      // two-loop recursion: q = −g, then r = H₀q and corrections
      const numOld = oldDirs.length;
      const al = new Array<number>(numOld);
      const q = flatGrad.map((v) => -v);
      for (let i = numOld - 1; i >= 0; i--) {
        al[i] = dot(oldStps[i]!, q) * ro[i]!;
        const a = -al[i]!;
        const od = oldDirs[i]!;
        for (let j = 0; j < q.length; j++) q[j] = q[j]! + a * od[j]!;
      }
      const r = q.map((v) => v * hDiag);
      for (let i = 0; i < numOld; i++) {
        const beI = dot(oldDirs[i]!, r) * ro[i]!;
        const a = al[i]! - beI;
        const os = oldStps[i]!;
        for (let j = 0; j < r.length; j++) r[j] = r[j]! + a * os[j]!;
      }
      d = r;
    }

    prevFlatGrad = flatGrad.slice();
    prevLoss = loss;

    // ---- step length
    if (state.nIter === 1) t = pyMin(1, 1 / absSum(flatGrad)) * lr;
    else t = lr;

    const gtd = dot(flatGrad, d!);
    if (gtd > -toleranceChange) break;

    let lsFuncEvals = 0;
    if (lineSearchFn !== null) {
      if (lineSearchFn !== 'strong_wolfe') throw new Error("only 'strong_wolfe' is supported");
      const xInit = x.slice();
      const objFunc = (x0: Float64Array, tt: number, dd: Float64Array) => closure(axpy(x0, tt, dd));
      const ls = strongWolfe(objFunc, xInit, t, d!, loss, flatGrad, gtd);
      loss = ls.f;
      flatGrad = ls.g;
      t = ls.t;
      lsFuncEvals = ls.evals;
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + t * d![i]!;
      optCond = absMax(flatGrad) <= toleranceGrad;
    } else {
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + t * d![i]!;
      if (nIter !== maxIter) {
        const ev = closure(x);
        loss = ev.loss;
        flatGrad = ev.grad.slice();
        optCond = absMax(flatGrad) <= toleranceGrad;
        lsFuncEvals = 1;
      }
    }
    currentEvals += lsFuncEvals;
    state.funcEvals += lsFuncEvals;

    // ---- stop conditions
    if (nIter === maxIter) break;
    if (currentEvals >= maxEval) break;
    if (optCond) break;
    let moveMax = 0;
    for (let i = 0; i < d!.length; i++) {
      const v = Math.abs(d![i]! * t);
      if (v > moveMax || Number.isNaN(v)) moveMax = v;
    }
    if (moveMax <= toleranceChange) break;
    if (Math.abs(loss - prevLoss) < toleranceChange) break;
  }

  state.d = d;
  state.t = t;
  state.oldDirs = oldDirs;
  state.oldStps = oldStps;
  state.ro = ro;
  state.hDiag = hDiag;
  state.prevFlatGrad = prevFlatGrad;
  state.prevLoss = prevLoss;
  return { loss: origLoss, lastLoss: loss, iterations: nIter, evals: currentEvals };
}

/**
 * {@link lbfgsStep} over a list of parameter arrays (a model's tensors in state_dict order), the
 * way torch flattens `param_groups[0]['params']`. The closure reads the parameters as they are when
 * it is called (like a torch closure reading the model) and returns the loss and per-parameter
 * gradients; during the line search the parameters temporarily hold trial points. On return they
 * hold the new point. Float32 parameters are stored rounded; the iterate itself stays float64.
 */
export function lbfgsStepParams(
  params: Array<Float32Array | Float64Array>,
  closure: () => { loss: number; grads: ReadonlyArray<ArrayLike<number>> },
  state: LbfgsState,
  options: LbfgsOptions = {},
): LbfgsStepResult {
  const sizes = params.map((p) => p.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const x = new Float64Array(total);
  const scatter = (v: Float64Array) => {
    let o = 0;
    for (const p of params) {
      for (let i = 0; i < p.length; i++) p[i] = v[o + i]!;
      o += p.length;
    }
  };
  let o = 0;
  for (const p of params) {
    x.set(p, o);
    o += p.length;
  }
  const flatClosure: LbfgsClosure = (point) => {
    scatter(point);
    const { loss, grads } = closure();
    const g = new Float64Array(total);
    let off = 0;
    grads.forEach((gi, k) => {
      if (gi.length !== sizes[k])
        throw new Error(`lbfgs: gradient ${k} has ${gi.length} entries, parameter ${sizes[k]}`);
      for (let i = 0; i < gi.length; i++) g[off + i] = gi[i]!;
      off += gi.length;
    });
    return { loss, grad: g };
  };
  const r = lbfgsStep(x, flatClosure, state, options);
  scatter(x);
  return r;
}

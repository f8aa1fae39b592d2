/**
 * The `minimize` task: run an optimizer on an objective of a few named variables and report the
 * trajectory and what the end point is (value, gradient, Hessian, its eigenvalues and whether the
 * point is a minimum, maximum or saddle).
 *
 * Every optimizer works: the first-order ones through `createOptimizer` (one gradient per step,
 * lr from the schedule), Newton through `newtonStep` (dense Hessian from the engine, or HVPs above
 * its cgThreshold), L-BFGS through `lbfgsStep` (one torch `.step()` — up to maxIter inner iterations
 * — per step). Gradients, HVPs and the Hessian come from the engine's autodiff of the parsed
 * expression; the objective is never evaluated as JavaScript.
 *
 * A schedule advances once per step (`per` does not matter here: there are no epochs), with
 * `steps` as OneCycle's total. Newton has no lr and ignores the schedule.
 */
import type { MinimizeJobSpec } from '../../contracts/job-spec.js';
import { compileObjective, type CompiledObjective } from '../../expr/compile.js';
import type { ExprLimits } from '../../expr/limits.js';
import { classifyStationaryPoint, symmetricEigen, type StationaryKind } from '../../optim/eigen.js';
import { lbfgsInit, lbfgsStep } from '../../optim/lbfgs.js';
import { newtonInit, newtonStep } from '../../optim/newton.js';
import { createOptimizer, type OptimizerSpec as FirstOrderSpec } from '../../optim/registry.js';
import { scheduleAt, type ScheduleSpec } from '../../optim/schedules.js';
import { grad, hessian, hvp, tensor, type Tensor } from '../../tensor/index.js';
import {
  DONE,
  outcomes,
  Run,
  startClock,
  timeoutMessage,
  unitRunOptions,
  type StopReason,
} from '../runner.js';

/** The parts of a minimize JobSpec the runner reads. */
export type MinimizeSpec = Pick<MinimizeJobSpec, 'objective' | 'start' | 'steps' | 'optimizer'> & {
  schedule?: MinimizeJobSpec['schedule'];
  dtype?: MinimizeJobSpec['dtype'];
  maxWallSeconds?: MinimizeJobSpec['maxWallSeconds'];
};

/** One point of the trajectory: the iterate before step `step` (step = steps: the final point). */
export interface MinimizeEvent {
  type: 'progress';
  step: number;
  point: Record<string, number>;
  value: number;
  gradNorm: number;
  /** lr used by the step from this point (null for Newton and for the final point). */
  lr: number | null;
}

export interface MinimizeResult {
  variables: string[];
  point: Record<string, number>;
  value: number;
  gradient: Record<string, number>;
  gradNorm: number;
  /** Hessian at the final point, rows in variable order (null above {@link HESSIAN_MAX_VARIABLES} variables). */
  hessian: number[][] | null;
  /** Hessian eigenvalues, ascending (null above {@link HESSIAN_MAX_VARIABLES} variables). */
  eigenvalues: number[] | null;
  /**
   * minimum / maximum / saddle / degenerate, from the eigenvalues' signs (null when not computed).
   * It describes the curvature at the end point; whether that point is stationary is `gradNorm`'s say.
   */
  classification: StationaryKind | null;
  /** Steps taken (fewer than asked when the gradient vanished exactly or Newton / L-BFGS stopped moving). */
  steps: number;
  /** Objective+gradient evaluations. */
  evaluations: number;
  durationMs: number;
}

export interface MinimizeOutcome {
  status: 'succeeded' | 'cancelled' | 'failed';
  /** Null when the run diverged; a timed-out run reports where it stopped. */
  result: MinimizeResult | null;
  error: { code: 'DIVERGED' | 'INVALID_OBJECTIVE' | 'TIMEOUT'; message: string } | null;
}

/**
 * Where a run stands between two steps: enough to continue exactly (plain data with typed arrays;
 * `encodeOptimState` / `decodeOptimState` of src/optim make it JSON and back bit for bit).
 */
export interface MinimizeCheckpoint {
  /** Steps completed. */
  step: number;
  /** The iterate (Float32Array for float32 jobs). */
  x: Float64Array | Float32Array;
  /** The optimizer's state (first-order, Newton or L-BFGS). */
  optState: unknown;
  evaluations: number;
  /** The last objective evaluation (reused when the next step starts at the same point). */
  cache: { x: Float64Array; loss: number; grad: Float64Array } | null;
}

export interface MinimizeOptions {
  signal?: AbortSignal;
  onEvent?(e: MinimizeEvent): void;
  /** Override the expression limits (e.g. the service's configured maxExpressionLength). */
  exprLimits?: Partial<ExprLimits>;
  /** Continue from a checkpoint of the same spec. */
  resume?: MinimizeCheckpoint;
  /** Receives a checkpoint (a copy) every `checkpointEveryMs` (default 5000) and at the end. */
  onCheckpoint?(c: MinimizeCheckpoint): void | Promise<void>;
  checkpointEveryMs?: number;
  /** Yield to the event loop after this much work (default 20 ms). */
  yieldEveryMs?: number;
  /** Minimum time between progress events (default 0: every trajectory point). */
  progressEveryMs?: number;
  /** Server-wide wall-time cap in seconds (the spec's maxWallSeconds may be lower). */
  maxWallSeconds?: number;
}

function norm2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

function named(vars: readonly string[], a: ArrayLike<number>): Record<string, number> {
  const o: Record<string, number> = {};
  vars.forEach((v, i) => (o[v] = a[i]!));
  return o;
}

/** Loss and gradient of a compiled objective at x, computed by the engine in `dtype`. */
export function objectiveLossAndGrad(
  obj: CompiledObjective,
  x: ArrayLike<number>,
  dtype: 'float32' | 'float64' = 'float64',
): { loss: number; grad: Float64Array } {
  const t = tensor(Float64Array.from(x as ArrayLike<number>), { dtype, requiresGrad: true });
  const out = obj.f(t);
  const [g] = grad(out, [t]);
  return { loss: out.item(), grad: Float64Array.from(g!.data) };
}

/**
 * Above this many variables the final Hessian and its eigenvalues are not computed: the Jacobi
 * eigen-solver is O(n³) per sweep (n = 200 takes ~0.7 s, n = 400 ~7 s on the dev machine).
 */
export const HESSIAN_MAX_VARIABLES = 200;

/**
 * Run the minimize task. Never throws for numerical trouble: a non-finite value fails with DIVERGED.
 * Every way out (done, cancelled, timed out) evaluates the end point, saves a final checkpoint and
 * reports the end point's curvature.
 */
export async function runMinimize(spec: MinimizeSpec, opts: MinimizeOptions = {}): Promise<MinimizeOutcome> {
  const clock = startClock(Date.now);
  const dtype = spec.dtype ?? 'float64';
  const variables = Object.keys(spec.start);
  // ExprError propagates: the API validates the objective up front and answers 400 with its position
  const obj = compileObjective(spec.objective, {
    variables,
    ...(opts.exprLimits ? { limits: opts.exprLimits } : {}),
  });
  const n = obj.variables.length;
  const x = new Float64Array(n);
  obj.variables.forEach((v, i) => (x[i] = spec.start[v]!));
  // float32 jobs keep the iterate in float32, as torch would
  const xs: Float64Array | Float32Array = dtype === 'float32' ? Float32Array.from(x) : x;

  let evaluations = 0;
  let cache: { x: Float64Array; loss: number; grad: Float64Array } | null = null;
  const lossAndGrad = (p: ArrayLike<number>): { loss: number; grad: Float64Array } => {
    if (cache && cache.x.length === p.length && cache.x.every((v, i) => Object.is(v, p[i]))) {
      return { loss: cache.loss, grad: cache.grad.slice() };
    }
    const r = objectiveLossAndGrad(obj, p, dtype);
    evaluations++;
    cache = { x: Float64Array.from(p as ArrayLike<number>), loss: r.loss, grad: r.grad.slice() };
    return r;
  };
  const f64 = (p: Float64Array): Tensor => tensor(p.slice(), { dtype: 'float64' });

  const opt = spec.optimizer;
  const schedule = (spec.schedule ?? null) as ScheduleSpec | null;
  const first = opt.type !== 'newton' && opt.type !== 'lbfgs' ? createOptimizer(opt as FirstOrderSpec) : null;
  const firstState = first ? first.init([xs]) : null;
  const newtonState = opt.type === 'newton' ? newtonInit() : null;
  const lbfgsState = opt.type === 'lbfgs' ? lbfgsInit() : null;
  const baseLr = opt.type === 'newton' ? null : (opt as { lr: number }).lr;

  const optState: object = (firstState ?? newtonState ?? lbfgsState) as object;
  let k = 0;
  if (opts.resume) {
    const r = opts.resume;
    if (r.x.length !== n)
      throw new Error('minimize: the checkpoint does not match the spec (variable count differs)');
    xs.set(r.x);
    if (xs !== x) x.set(xs);
    k = r.step;
    evaluations = r.evaluations;
    cache = r.cache
      ? { x: Float64Array.from(r.cache.x), loss: r.cache.loss, grad: Float64Array.from(r.cache.grad) }
      : null;
    Object.assign(optState, structuredClone(r.optState));
  }
  const snapshot = (): MinimizeCheckpoint => ({
    step: k,
    x: xs.slice(),
    optState: structuredClone(optState),
    evaluations,
    cache: cache ? { x: cache.x.slice(), loss: cache.loss, grad: cache.grad.slice() } : null,
  });
  const run = new Run<MinimizeEvent, MinimizeCheckpoint>(unitRunOptions(clock, opts, spec.maxWallSeconds));
  let reportedEnd = false;
  const diverged = (value: number, g: Float64Array): MinimizeOutcome | undefined =>
    Number.isFinite(value) && g.every(Number.isFinite)
      ? undefined
      : outcomes.failed(
          'DIVERGED',
          `the objective or its gradient became non-finite (value ${value}) at step ${k}`,
        );

  /** One optimizer step from the current point (its trajectory point reported first). */
  const step = (): MinimizeOutcome | typeof DONE | undefined => {
    const { loss, grad: g } = lossAndGrad(xs);
    const bad = diverged(loss, g);
    if (bad) return bad;
    const sched = baseLr === null ? null : scheduleAt(schedule, baseLr, k, spec.steps);
    const gradNorm = norm2(g);
    run.progress.offer({
      type: 'progress',
      step: k,
      point: named(obj.variables, xs),
      value: loss,
      gradNorm,
      lr: sched?.lr ?? null,
    });
    if (gradNorm === 0) {
      reportedEnd = true; // exactly stationary: no optimizer moves from here, and this event is the end point
      return DONE;
    }
    const before = Float64Array.from(xs);
    if (first) {
      first.step([xs], [g], firstState!, {
        lr: sched!.lr,
        ...(sched!.momentum !== undefined ? { momentum: sched!.momentum } : {}),
      });
    } else if (newtonState) {
      newtonStep(
        x,
        {
          lossAndGrad: (p) => lossAndGrad(p),
          loss: (p) => lossAndGrad(p).loss,
          hessian: (p) => Float64Array.from(hessian(obj.f, f64(p)).data),
          hvp: (p, v) => Float64Array.from(hvp(obj.f, f64(p), f64(v)).data),
        },
        newtonState,
        opt as Parameters<typeof newtonStep>[3],
      );
      if (xs !== x) xs.set(x);
    } else {
      const o = opt as Extract<MinimizeSpec['optimizer'], { type: 'lbfgs' }>;
      lbfgsStep(x, (p) => lossAndGrad(p), lbfgsState!, { ...o, lr: sched!.lr });
      if (xs !== x) xs.set(x);
    }
    if (xs !== x) x.set(xs);
    k++;
    // Newton / L-BFGS no longer move (converged to rounding, or every step rejected)
    return !first && before.every((v, i) => v === xs[i]) ? DONE : undefined;
  };

  const stop = async (reason: StopReason): Promise<MinimizeOutcome> => {
    const { loss: value, grad: g } = lossAndGrad(xs);
    const bad = diverged(value, g);
    if (bad) return bad;
    const gradNorm = norm2(g);
    await run.checkpoint(snapshot());
    if (!reportedEnd)
      run.progress.offer({
        type: 'progress',
        step: k,
        point: named(obj.variables, xs),
        value,
        gradNorm,
        lr: null,
      });

    // curvature at the end point, always in float64
    let H: number[][] | null = null;
    let eigenvalues: number[] | null = null;
    if (n <= HESSIAN_MAX_VARIABLES) {
      const h = hessian(obj.f, f64(Float64Array.from(xs))).data;
      H = [];
      for (let i = 0; i < n; i++) H.push(Array.from(h.subarray(i * n, (i + 1) * n)));
      eigenvalues = symmetricEigen(H).values;
    }
    const result: MinimizeResult = {
      variables: obj.variables,
      point: named(obj.variables, xs),
      value,
      gradient: named(obj.variables, g),
      gradNorm,
      hessian: H,
      eigenvalues,
      classification: eigenvalues ? classifyStationaryPoint(eigenvalues) : null,
      steps: k,
      evaluations,
      durationMs: clock.elapsed(),
    };
    if (reason === 'timeout') return outcomes.failed('TIMEOUT', timeoutMessage.job(run.wallLimitMs), result);
    return reason === 'cancelled' ? outcomes.cancelled(result) : outcomes.succeeded(result);
  };

  return run.loop<MinimizeOutcome>({ finished: () => k >= spec.steps, step, snapshot, stop });
}

/**
 * Full-batch second-order and quasi-Newton training: Newton's method (Hessian from autodiff,
 * or Hessian-vector products for Newton-CG) and L-BFGS. Each epoch is one optimizer iteration
 * over the whole training set (Newton: one damped step; L-BFGS: one `.step()` of up to maxIter
 * inner iterations, as torch). The objective is deterministic: dropout is off.
 *
 * The parameters are one flat vector x (see flat-objective.ts), so the loss is a function of x
 * that autodiff can differentiate twice.
 */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import type { Model } from '../models/dense.js';
import { lbfgsInit, lbfgsStep, type LbfgsState } from '../optim/lbfgs.js';
import { newtonInit, newtonStep, type NewtonState } from '../optim/newton.js';
import type { Rng } from '../rng/rng.js';
import { grad, hessian, hvp, Tensor, type FloatArray } from '../tensor/index.js';
import { evaluate, type Split } from './batches.js';
import { finalDiagnostics } from './diagnostics.js';
import { linearHessian, type LinearProblem } from './linear-hessian.js';
import { flatObjective, flatten, unflatten } from './flat-objective.js';
import { namedWeights } from './named-weights.js';
import type { ResumeState, TrainOptions, TrainOutcome, TrainResult } from './types.js';

export interface SecondOrderContext {
  model: Model;
  split: Split;
  outWidth: number;
  params: FloatArray[];
  names: string[];
  parameters: number;
  rngs: { shuffle: Rng; dropout: Rng };
  t0: number;
  now: () => number;
}

/** The training set of a linear model as linearHessian takes it. */
function linearProblem(spec: SupervisedJobSpec, split: Split, outputs: number): LinearProblem {
  const ds = split.train;
  const y = spec.loss === 'cross_entropy' ? Int32Array.from(ds.y) : ds.y;
  return {
    x: ds.x.subarray(0, ds.rows * ds.features),
    rows: ds.rows,
    features: ds.features,
    outputs,
    loss: spec.loss,
    y,
    huberDelta: spec.huberDelta,
    l2: spec.regularization.l2,
  };
}

/** ‖x − before‖ / ‖before‖: the relative size of one iteration's update. */
function ratio(x: Float64Array, before: Float64Array): number {
  let du = 0;
  let pp = 0;
  for (let i = 0; i < x.length; i++) {
    du += (x[i] - before[i]) ** 2;
    pp += before[i] ** 2;
  }
  return pp === 0 ? (du === 0 ? 0 : Infinity) : Math.sqrt(du / pp);
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export async function runSecondOrder(
  spec: SupervisedJobSpec,
  ctx: SecondOrderContext,
  opts: TrainOptions,
): Promise<TrainOutcome> {
  const { model, split, params, names, parameters, t0, now } = ctx;
  const dtype = spec.training.dtype;
  const f = flatObjective(spec, model, split);
  const toTensor = (x: Float64Array) =>
    new Tensor(dtype === 'float64' ? x : Float32Array.from(x), [x.length]);
  const lossAndGrad = (x: Float64Array) => {
    const xt = toTensor(x).requireGrad();
    const loss = f(xt);
    const [g] = grad(loss, [xt]);
    return { loss: loss.item(), grad: Float64Array.from(g.data) };
  };
  // Linear models: the Hessian in closed form (one Gram product per block); otherwise autodiff.
  const linear = model.config.type === 'linear' ? linearProblem(spec, split, ctx.outWidth) : null;
  const hess = linear
    ? (x: Float64Array) => linearHessian(linear, x)
    : (x: Float64Array) => Float64Array.from(hessian(f, toTensor(x)).data);
  const hvpAt = (x: Float64Array, v: Float64Array) =>
    Float64Array.from(hvp(f, toTensor(x), toTensor(v)).data);

  const opt = spec.optimizer;
  const state: unknown = opts.resume
    ? structuredClone(opts.resume.optimizer)
    : opt.type === 'newton'
      ? newtonInit()
      : lbfgsInit();
  let epoch = opts.resume?.epoch ?? 0;
  let step = opts.resume?.step ?? 0;
  const elapsedBefore = opts.resume?.elapsedMs ?? 0;
  const emit = opts.onEvent ?? (() => {});
  const x = flatten(params);
  let lastResult: TrainResult | null = null;
  const wallLimit =
    Math.min(spec.training.maxWallSeconds ?? Infinity, opts.maxWallSeconds ?? Infinity) * 1000;

  const snapshot = (): ResumeState => ({
    version: 1,
    step,
    epoch,
    batchInEpoch: 0,
    names,
    params: params.map((p) => p.slice()),
    optimizer: structuredClone(state),
    shuffleRngAtEpochStart: ctx.rngs.shuffle.state(),
    dropoutRng: ctx.rngs.dropout.state(),
    epochLossSum: 0,
    epochRows: 0,
    best: { value: Infinity, epoch: -1, since: 0, params: null },
    elapsedMs: elapsedBefore + (now() - t0),
  });

  const before = new Float64Array(x.length);
  for (; epoch < spec.training.epochs; epoch++) {
    before.set(x);
    let loss: number;
    let after: number;
    let gradNorm: number | null = null;
    let diag: Record<string, number | boolean> | undefined;
    if (opt.type === 'newton') {
      const r = newtonStep(x, { lossAndGrad, hessian: hess, hvp: hvpAt }, state as NewtonState, {
        damping: opt.damping,
        lineSearch: opt.lineSearch,
        cgThreshold: opt.cgThreshold,
      });
      loss = r.loss;
      after = r.newLoss ?? NaN;
      gradNorm = r.gradNorm;
      diag = {
        damping: r.damping,
        decrement: r.decrement,
        stepSize: r.stepSize,
        accepted: r.accepted,
        backtracks: r.backtracks,
        cgIterations: r.cgIterations,
        steepestDescent: r.steepestDescent,
      };
    } else if (opt.type === 'lbfgs') {
      const r = lbfgsStep(x, lossAndGrad, state as LbfgsState, opt);
      loss = r.loss;
      after = r.lastLoss;
      diag = { iterations: r.iterations, evals: r.evals };
    } else {
      throw new Error(`not a second-order optimizer: ${opt.type}`);
    }
    step++;
    if (!Number.isFinite(loss)) {
      const message = `loss became ${loss} at step ${step}; ${opt.type === 'newton' ? 'raise optimizer.damping' : 'lower optimizer.lr'}`;
      emit({ type: 'log', level: 'error', message });
      return {
        status: 'failed',
        result: null,
        error: { code: 'DIVERGED', message },
        weights: namedWeights(model, params),
        state: snapshot(),
      };
    }
    unflatten(x, params);
    // Newton reports the gradient norm at the iterate it started from; L-BFGS's is evaluated here.
    if (gradNorm === null) {
      const g = lossAndGrad(x).grad;
      let gn = 0;
      for (let i = 0; i < g.length; i++) gn += g[i] * g[i];
      gradNorm = Math.sqrt(gn);
    }
    emit({
      type: 'progress',
      step,
      epoch: epoch + 1,
      epochs: spec.training.epochs,
      totalSteps: spec.training.epochs,
      loss,
      lr: opt.type === 'lbfgs' ? opt.lr : 1,
      gradNorm,
      updateRatio: ratio(x, before),
    });
    const ev = evaluate(model, split, spec);
    // The loss after the step when the optimizer evaluated it (line search), else one evaluation.
    const trainLoss = Number.isFinite(after) ? after : f(toTensor(x)).item();
    emit({
      type: 'epoch',
      epoch: epoch + 1,
      loss: trainLoss,
      valLoss: ev.valLoss,
      metrics: ev.metrics,
      newton: diag,
    });
    lastResult = {
      loss: trainLoss,
      valLoss: ev.valLoss,
      metrics: ev.metrics,
      parameters,
      durationMs: 0,
      steps: step,
      epochs: epoch + 1,
    };

    await yieldNow();
    if (opts.signal?.aborted) {
      epoch++;
      const s = snapshot();
      if (opts.onCheckpoint) await opts.onCheckpoint(s);
      return {
        status: 'cancelled',
        result: null,
        error: null,
        weights: namedWeights(model, params),
        state: s,
      };
    }
    if (elapsedBefore + (now() - t0) > wallLimit) {
      epoch++;
      const message = `training ran past its wall-time limit of ${wallLimit / 1000} s at step ${step}`;
      return {
        status: 'failed',
        result: null,
        error: { code: 'TIMEOUT', message },
        weights: namedWeights(model, params),
        state: snapshot(),
      };
    }
    if (opts.checkpointEveryMs && opts.onCheckpoint) {
      epoch++;
      await opts.onCheckpoint(snapshot());
      epoch--;
    }
  }
  const result = {
    ...(lastResult as TrainResult),
    durationMs: Math.round(elapsedBefore + (now() - t0)),
    ...finalDiagnostics(opts, spec, model, split, ctx.rngs.shuffle),
  };
  return {
    status: 'succeeded',
    result,
    error: null,
    weights: namedWeights(model, params),
    state: snapshot(),
  };
}

/**
 * Full-batch second-order and quasi-Newton training: Newton's method (Hessian from autodiff,
 * or Hessian-vector products for Newton-CG) and L-BFGS. Each epoch is one optimizer iteration
 * over the whole training set (Newton: one damped step; L-BFGS: one `.step()` of up to maxIter
 * inner iterations, as torch). The objective is deterministic: dropout is off.
 *
 * The parameters are one flat vector x (see flat-objective.ts), so the loss is a function of x
 * that autodiff can differentiate twice.
 */
import type { SupervisedJobSpec } from '../../contracts/job-spec.js';
import { lbfgsInit, lbfgsStep, type LbfgsState } from '../../optim/lbfgs.js';
import { newtonInit, newtonStep, type NewtonState } from '../../optim/newton.js';
import { grad, hessian, hvp, Tensor } from '../../tensor/index.js';
import { evaluate, type Split } from '../batches.js';
import { finalDiagnostics } from '../diagnostics.js';
import { flatObjective, flatten, unflatten } from '../flat-objective.js';
import { linearHessian, type LinearProblem } from '../linear-hessian.js';
import { namedWeights } from '../named-weights.js';
import { DONE, outcomes, Run, timeoutMessage, wallLimitMs } from '../runner.js';
import type { ResumeState, TrainEvent, TrainOptions, TrainOutcome, TrainResult } from '../types.js';
import type { SupervisedContext } from './supervised-context.js';

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

export async function runSecondOrder(
  spec: SupervisedJobSpec,
  ctx: SupervisedContext,
  opts: TrainOptions,
): Promise<TrainOutcome> {
  const { model, split, params, names, parameters, clock } = ctx;
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
  const x = flatten(params);
  let lastResult: TrainResult | null = null;
  // Each iteration is expensive: yield after every one, and checkpoint after every one when
  // periodic checkpoints are on at all.
  const run = new Run<TrainEvent, ResumeState>({
    clock,
    signal: opts.signal,
    onEvent: opts.onEvent,
    progressEveryMs: 0,
    onCheckpoint: opts.onCheckpoint,
    checkpointEveryMs: opts.checkpointEveryMs ? 0 : null,
    yieldEveryMs: 0,
    wallLimitMs: wallLimitMs(spec.training.maxWallSeconds, opts.maxWallSeconds),
  });
  const weights = () => namedWeights(model, params);

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
    elapsedMs: clock.elapsed(),
  });

  const before = new Float64Array(x.length);
  /** One optimizer iteration over the whole training set; an outcome when the loss is not finite. */
  const iteration = (): TrainOutcome | typeof DONE | undefined | Promise<TrainOutcome> => {
    if (epoch >= spec.training.epochs) return DONE;
    if (pauseDue()) return paused();
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
      run.emit({ type: 'log', level: 'error', message });
      return { ...outcomes.failed('DIVERGED', message), weights: weights(), state: snapshot() };
    }
    unflatten(x, params);
    // Newton reports the gradient norm at the iterate it started from; L-BFGS's is evaluated here.
    if (gradNorm === null) {
      const g = lossAndGrad(x).grad;
      let gn = 0;
      for (let i = 0; i < g.length; i++) gn += g[i] * g[i];
      gradNorm = Math.sqrt(gn);
    }
    run.progress.send({
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
    run.emit({
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

    epoch++;
    return pauseDue() ? paused() : undefined;
  };

  // A sweep's rung: one iteration is one epoch, so the state after it is the exact boundary.
  const pauseDue = () =>
    opts.untilEpoch !== undefined && epoch >= opts.untilEpoch && epoch < spec.training.epochs;
  const paused = async (): Promise<TrainOutcome> => {
    const state = snapshot();
    await run.checkpoint(state);
    if (!lastResult) {
      // A replayed segment resumed at its rung: the same numbers, evaluated afresh.
      const ev = evaluate(model, split, spec);
      lastResult = {
        loss: f(toTensor(x)).item(),
        valLoss: ev.valLoss,
        metrics: ev.metrics,
        parameters,
        durationMs: 0,
        steps: step,
        epochs: epoch,
      };
    }
    const result = { ...lastResult, durationMs: Math.round(clock.elapsed()) };
    return { ...outcomes.paused(result), weights: weights(), state };
  };

  return run.loop<TrainOutcome>({
    // The checks between units run after the last iteration too (a cancel there still stops the
    // run, and a checkpoint is saved): the unit after the last one says DONE.
    finished: () => false,
    snapshot,
    step: iteration,
    async stop(reason) {
      if (reason === 'done') {
        const result = {
          ...(lastResult as TrainResult),
          durationMs: Math.round(clock.elapsed()),
          ...finalDiagnostics(opts, spec, model, split, ctx.rngs.shuffle),
        };
        return { ...outcomes.succeeded(result), weights: weights(), state: snapshot() };
      }
      const state = snapshot();
      if (reason === 'timeout') {
        const message = timeoutMessage.atStep(run.wallLimitMs, step);
        return { ...outcomes.failed('TIMEOUT', message), weights: weights(), state };
      }
      await run.checkpoint(state);
      return { ...outcomes.cancelled(), weights: weights(), state };
    },
  });
}

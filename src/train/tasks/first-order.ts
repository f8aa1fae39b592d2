/**
 * First-order supervised training: one mini-batch per runner unit, the fused dense step (or the
 * autodiff engine), any optimizer of src/optim with its schedule, gradient clipping, validation,
 * running training metrics and early stopping. `train` (supervised.ts) builds the model and the
 * split and hands them over; the runner owns the clock, abort, cadence and throttling.
 */
import type { SupervisedJobSpec } from '../../contracts/job-spec.js';
import { batchRanges, epochOrder, gatherRows } from '../../data/index.js';
import { computeLoss, penalty } from '../../models/losses.js';
import { assertScheduleCompatible, createOptimizer, scheduleAt, type OptimState } from '../../optim/index.js';
import { createRng, type RngStateFull } from '../../rng/rng.js';
import { add, allocate, grad, type FloatArray } from '../../tensor/index.js';
import { evaluate, gatherBatch } from '../batches.js';
import { finalDiagnostics } from '../diagnostics.js';
import { FusedDense } from '../fused-dense.js';
import { namedWeights } from '../named-weights.js';
import { outcomes, Run, timeoutMessage, wallLimitMs } from '../runner.js';
import { RunningMetrics } from '../running-metrics.js';
import type { NamedWeights } from '../../tensor/index.js';
import type { ResumeState, TrainEvent, TrainOptions, TrainOutcome, TrainResult } from '../types.js';
import type { SupervisedContext } from './supervised-context.js';

/** Where a first-order run stands: the data cursor and the running sums of the current epoch. */
interface Cursor {
  /** Optimizer steps done. */
  step: number;
  /** Completed epochs. */
  epoch: number;
  /** Batches of the current epoch done. */
  batchInEpoch: number;
  epochLossSum: number;
  epochRows: number;
  best: ResumeState['best'];
  shuffleAtEpochStart: RngStateFull;
}

/** Train `ctx.model` with a first-order optimizer, from `opts.resume` when given. */
export async function runFirstOrder(
  spec: SupervisedJobSpec,
  ctx: SupervisedContext,
  opts: TrainOptions,
): Promise<TrainOutcome> {
  const { model, modelConfig, split, outWidth, params, names, parameters, rngs, clock } = ctx;
  const tr = spec.training;
  const dtype = tr.dtype;
  const train = split.train;
  const opt = createOptimizer(spec.optimizer as Parameters<typeof createOptimizer>[0]);
  assertScheduleCompatible(opt, spec.schedule ?? null);
  const ranges = batchRanges(train.rows, tr.batchSize);
  const stepsPerEpoch = ranges.length;
  const fullBatch = stepsPerEpoch === 1;
  const identity = Int32Array.from({ length: train.rows }, (_, i) => i);
  let gathered = false;
  const totalSteps = tr.epochs * stepsPerEpoch;
  const per = spec.schedule?.per ?? 'epoch';
  const scheduleLength = per === 'step' ? totalSteps : tr.epochs;
  const untilEpoch = opts.untilEpoch;

  // Run state, restored from the checkpoint when resuming.
  const optState: OptimState = opts.resume
    ? (structuredClone(opts.resume.optimizer) as OptimState)
    : opt.init(params);
  const shuffleRng = createRng(0, opts.resume?.shuffleRngAtEpochStart ?? rngs.shuffle.state());
  const dropoutRng = opts.resume ? createRng(0, opts.resume.dropoutRng) : rngs.dropout;
  const c: Cursor = {
    step: opts.resume?.step ?? 0,
    epoch: opts.resume?.epoch ?? 0,
    batchInEpoch: opts.resume?.batchInEpoch ?? 0,
    epochLossSum: opts.resume?.epochLossSum ?? 0,
    epochRows: opts.resume?.epochRows ?? 0,
    best: opts.resume
      ? structuredClone(opts.resume.best)
      : { value: Infinity, epoch: -1, since: 0, params: null as FloatArray[] | null },
    shuffleAtEpochStart: shuffleRng.state(),
  };

  const snapshot = (): ResumeState => ({
    version: 1,
    step: c.step,
    epoch: c.epoch,
    batchInEpoch: c.batchInEpoch,
    names,
    params: params.map((p) => p.slice()),
    ...(model.buffers.length ? { buffers: model.buffers.map((b) => b.data.slice()) } : {}),
    optimizer: structuredClone(optState),
    shuffleRngAtEpochStart: c.shuffleAtEpochStart,
    dropoutRng: dropoutRng.state(),
    epochLossSum: c.epochLossSum,
    epochRows: c.epochRows,
    epochMetrics: running.state(),
    best: structuredClone(c.best),
    elapsedMs: clock.elapsed(),
  });
  const weights = (): NamedWeights => namedWeights(model, params);

  const run = new Run<TrainEvent, ResumeState>({
    clock,
    signal: opts.signal,
    onEvent: opts.onEvent,
    progressEveryMs: opts.progressEveryMs ?? 100,
    onCheckpoint: opts.onCheckpoint,
    checkpointEveryMs: opts.checkpointEveryMs || null,
    yieldEveryMs: opts.yieldEveryMs ?? 20,
    wallLimitMs: wallLimitMs(tr.maxWallSeconds, opts.maxWallSeconds),
  });
  let lastResult: TrainResult | null = null;
  const prevParams = params.map((p) => p.slice());

  const l1 = spec.regularization.l1;
  const l2 = spec.regularization.l2;
  // The fused dense step covers linear and mlp; a sequential model always runs on autodiff.
  const fused =
    opts.engine === 'autodiff' || modelConfig.type === 'sequential'
      ? null
      : new FusedDense(modelConfig, train.features, outWidth, dtype, spec.loss, spec.huberDelta, l1, l2);
  const maxRows = ranges.reduce((m, [a, b]) => Math.max(m, b - a), 0);
  const fusedX = allocate(dtype, maxRows * train.features);
  const fusedY =
    spec.loss === 'cross_entropy' ? new Int32Array(maxRows) : allocate(dtype, maxRows * train.targets);
  const classification = spec.loss === 'cross_entropy' || spec.loss === 'bce';
  const running = new RunningMetrics(classification, classification ? outWidth : train.targets);
  if (opts.resume?.epochMetrics) running.restore(opts.resume.epochMetrics);
  const monitorKey = tr.earlyStopping
    ? tr.earlyStopping.monitor === 'auto'
      ? split.val
        ? 'valLoss'
        : 'loss'
      : tr.earlyStopping.monitor
    : null;

  // The current epoch's batch order and (per-epoch) schedule value; null until the epoch starts.
  let order: Int32Array | null = null;
  let sched = { lr: opt.hp.lr } as ReturnType<typeof scheduleAt>;
  const startEpoch = () => {
    // Mid-epoch resume: the generator was restored at this epoch's start, so the order is redrawn.
    if (c.batchInEpoch === 0) c.shuffleAtEpochStart = shuffleRng.state();
    // One full batch: the order cannot change the gradient (beyond rounding), so no shuffle, and
    // the rows are gathered once.
    order = fullBatch ? identity : epochOrder(train.rows, tr.shuffle, shuffleRng);
    sched = scheduleAt(spec.schedule ?? null, opt.hp.lr, per === 'step' ? 0 : c.epoch, scheduleLength);
  };

  /** One optimizer step on the next batch; an outcome when the loss is not finite. */
  const batch = (order: Int32Array): TrainOutcome | undefined => {
    const [s, e] = ranges[c.batchInEpoch];
    const rows = e - s;
    const lrv = per === 'step' ? scheduleAt(spec.schedule ?? null, opt.hp.lr, c.step, scheduleLength) : sched;

    let lossValue: number;
    let dataLossValue: number;
    let grads: FloatArray[];
    if (fused) {
      // The fused step: rows gathered into reused buffers, no graph, no allocation.
      if (!(fullBatch && gathered)) gatherRows(train.x, train.features, order, s, e, fusedX);
      gatherRows(train.y, train.targets, order, s, e, fusedY);
      gathered = true;
      const r = fused.step(params, fusedX, fusedY, rows, true, dropoutRng);
      if (!split.val) running.add(fused.output(rows), fusedY, rows);
      dataLossValue = r.dataLoss;
      lossValue = r.dataLoss + r.penalty;
      grads = fused.grads;
    } else {
      const { x, targets } = gatherBatch(train, order, s, e, dtype, spec.loss);
      const out = model.forward(x, { training: true, rng: dropoutRng });
      if (!split.val) running.add(out.data, targets.kind === 'classes' ? targets.y : targets.y.data, rows);
      const dataLoss = computeLoss(spec.loss, out, targets, spec.huberDelta);
      const pen = penalty(model.params, l1, l2);
      const loss = pen ? add(dataLoss, pen) : dataLoss;
      lossValue = loss.item();
      dataLossValue = dataLoss.item();
      grads = Number.isFinite(lossValue)
        ? grad(
            loss,
            model.params.map((p) => p.tensor),
          ).map((g) => g.data)
        : [];
    }
    if (!Number.isFinite(lossValue)) {
      return diverged(lossValue, c.step + 1, lrv.lr);
    }
    const lastOfEpoch = c.batchInEpoch === stepsPerEpoch - 1;
    const report = lastOfEpoch || run.progress.due();
    // The norm is needed only to clip or to report: not a pass over every gradient each step.
    const gradNorm = report || tr.gradClipNorm !== null ? globalNorm(grads) : NaN;
    if (tr.gradClipNorm !== null) clipInPlace(grads, gradNorm, tr.gradClipNorm);

    if (report) params.forEach((p, i) => prevParams[i].set(p));
    opt.step(
      params,
      grads,
      optState,
      lrv.momentum === undefined ? { lr: lrv.lr } : { lr: lrv.lr, momentum: lrv.momentum },
    );
    c.step++;
    c.epochLossSum += dataLossValue * rows;
    c.epochRows += rows;
    if (report) {
      run.progress.send({
        type: 'progress',
        step: c.step,
        epoch: c.epoch + 1,
        epochs: tr.epochs,
        totalSteps,
        loss: lossValue,
        lr: lrv.lr,
        gradNorm,
        updateRatio: updateRatio(params, prevParams),
      });
    }
    c.batchInEpoch++;
    return undefined;
  };

  /** End of epoch: mean training loss, validation, metrics, early stopping (an outcome if it stops). */
  const endEpoch = (): TrainOutcome | undefined => {
    const trainLoss = c.epochLossSum / c.epochRows;
    const evalRes = split.val ? evaluate(model, split, spec) : { valLoss: null, metrics: running.result() };
    running.reset();
    run.emit({
      type: 'epoch',
      epoch: c.epoch + 1,
      loss: trainLoss,
      valLoss: evalRes.valLoss,
      metrics: evalRes.metrics,
    });
    lastResult = {
      loss: trainLoss,
      valLoss: evalRes.valLoss,
      metrics: evalRes.metrics,
      parameters,
      durationMs: 0,
      steps: c.step,
      epochs: c.epoch + 1,
    };
    c.batchInEpoch = 0;
    c.epochLossSum = 0;
    c.epochRows = 0;
    order = null;
    if (tr.earlyStopping && monitorKey) {
      const v = monitorKey === 'valLoss' ? (evalRes.valLoss ?? trainLoss) : trainLoss;
      if (v < c.best.value - tr.earlyStopping.minDelta) {
        const keep = tr.earlyStopping.restoreBest;
        c.best = {
          value: v,
          epoch: c.epoch + 1,
          since: 0,
          params: keep ? params.map((p) => p.slice()) : null,
          // The running statistics belong to the best weights too.
          ...(keep && model.buffers.length ? { buffers: model.buffers.map((b) => b.data.slice()) } : {}),
        };
      } else if (++c.best.since >= tr.earlyStopping.patience) {
        const why = `early stopping: ${monitorKey} did not improve by more than ${tr.earlyStopping.minDelta} for ${c.best.since} epochs (best ${c.best.value} at epoch ${c.best.epoch})`;
        run.emit({ type: 'log', level: 'info', message: why });
        if (c.best.params) c.best.params.forEach((p, i) => params[i].set(p));
        c.best.buffers?.forEach((b, i) => model.buffers[i].data.set(b));
        c.epoch++;
        return succeeded(why);
      }
    }
    c.epoch++;
    return undefined;
  };

  return run.loop<TrainOutcome>({
    finished: () => c.epoch >= tr.epochs,
    snapshot,
    // A unit: the end of the previous epoch if its last batch is done, then the next batch (so the
    // checks between units fall between two batches, as a resume state expects).
    async step() {
      if (order === null) startEpoch();
      if (c.batchInEpoch === stepsPerEpoch) {
        // A pause (a sweep's rung) checkpoints the state *before* this end of epoch: resuming it
        // redoes the end of epoch (the same numbers, nothing random) and then draws the next
        // epoch's order from the very generator state an unpaused run would, so the continued run
        // is bit for bit the unpaused one; a replay with the same untilEpoch pauses again at once.
        const pause = untilEpoch !== undefined && c.epoch + 1 >= untilEpoch && c.epoch + 1 < tr.epochs;
        const before = pause ? snapshot() : null;
        const stopped = endEpoch();
        if (stopped || c.epoch >= tr.epochs) return stopped;
        if (before) return paused(before);
        startEpoch();
      }
      return batch(order!);
    },
    async stop(reason) {
      if (reason === 'done') return succeeded();
      const state = snapshot();
      if (reason === 'timeout') {
        const message = timeoutMessage.atStep(run.wallLimitMs, c.step);
        return { ...outcomes.failed('TIMEOUT', message), weights: weights(), state };
      }
      await run.checkpoint(state);
      return { ...outcomes.cancelled(), weights: weights(), state };
    },
  });

  function succeeded(stoppedEarly?: string): TrainOutcome {
    const evalRes = lastResult ?? { loss: NaN, valLoss: null, metrics: {} };
    const result: TrainResult = {
      loss: evalRes.loss,
      valLoss: evalRes.valLoss,
      metrics: evalRes.metrics,
      parameters,
      durationMs: Math.round(clock.elapsed()),
      steps: c.step,
      epochs: c.epoch,
      ...(stoppedEarly ? { stoppedEarly } : {}),
      ...finalDiagnostics(opts, spec, model, split, rngs.init),
    };
    return { ...outcomes.succeeded(result), weights: weights(), state: snapshot() };
  }
  async function paused(before: ResumeState): Promise<TrainOutcome> {
    await run.checkpoint(before);
    const r = lastResult!;
    const result: TrainResult = { ...r, durationMs: Math.round(clock.elapsed()) };
    return { ...outcomes.paused(result), weights: weights(), state: before };
  }
  function diverged(value: number, atStep: number, lr: number): TrainOutcome {
    const what = Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    const message = `loss became ${what} at step ${atStep}; lower optimizer.lr (now ${lr})`;
    run.emit({ type: 'log', level: 'error', message });
    return { ...outcomes.failed('DIVERGED', message), weights: weights(), state: snapshot() };
  }
}

function updateRatio(params: readonly FloatArray[], prev: readonly FloatArray[]): number {
  let du = 0;
  let pp = 0;
  for (let k = 0; k < params.length; k++) {
    const p = params[k];
    const q = prev[k];
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - q[i];
      du += d * d;
      pp += q[i] * q[i];
    }
  }
  return pp === 0 ? (du === 0 ? 0 : Infinity) : Math.sqrt(du / pp);
}

/** √(Σ‖g‖²) over all gradients: torch.nn.utils.clip_grad_norm_'s total norm. */
export function globalNorm(grads: readonly FloatArray[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return Math.sqrt(s);
}

/** torch.nn.utils.clip_grad_norm_: scale by min(1, max/(norm + 1e-6)). */
export function clipInPlace(grads: FloatArray[], norm: number, maxNorm: number): void {
  const coef = maxNorm / (norm + 1e-6);
  if (coef >= 1) return;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
}

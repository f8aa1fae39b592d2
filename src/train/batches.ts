/** Turning dataset rows into batch tensors and targets, and evaluating a model on a split. */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import { outputWidth } from '../contracts/job-spec.js';
import { gatherRows } from '../data/batching.js';
import type { Dataset } from '../data/types.js';
import type { Model } from '../models/dense.js';
import { computeLoss, type LossName, type Targets } from '../models/losses.js';
import { accuracy, meanAbsoluteError, r2 } from '../models/metrics.js';
import { allocate, noGrad, Tensor, type DType } from '../tensor/index.js';

export interface Split {
  train: Dataset;
  val: Dataset | null;
}

/** Largest label and whether all labels are integers, from the dataset itself. */
function labelsOf(ds: Dataset): { integer: boolean; min: number; max: number } {
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ds.y.length; i++) {
    const v = ds.y[i];
    if (!Number.isInteger(v)) integer = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { integer, min, max };
}

/** Output width for this spec and data: targets, 1 for bce, classes for cross_entropy. */
export function outputWidthFor(spec: SupervisedJobSpec, data: Dataset): number {
  const classes = spec.model.classes ?? (spec.loss === 'cross_entropy' ? data.classes : undefined);
  return outputWidth(spec.loss, { targets: data.targets, labels: labelsOf(data) }, classes);
}

/** Targets of rows `idx` in the form the loss takes. */
export function makeTargets(ds: Dataset, idx: ArrayLike<number>, dtype: DType, loss: LossName): Targets {
  const n = idx.length;
  if (loss === 'cross_entropy') {
    const y = new Int32Array(n);
    gatherRows(ds.y, ds.targets, idx, 0, n, y);
    return { kind: 'classes', y };
  }
  const y = allocate(dtype, n * ds.targets);
  gatherRows(ds.y, ds.targets, idx, 0, n, y);
  return { kind: 'values', y: new Tensor(y, [n, ds.targets]) };
}

/** Inputs [rows, features] of the given rows. */
export function inputsOf(ds: Dataset, idx: ArrayLike<number>, dtype: DType): Tensor {
  const n = idx.length;
  const x = allocate(dtype, n * ds.features);
  gatherRows(ds.x, ds.features, idx, 0, n, x);
  return new Tensor(x, [n, ds.features]);
}

/** The batch of rows order[start..end). */
export function gatherBatch(
  ds: Dataset,
  order: Int32Array,
  start: number,
  end: number,
  dtype: DType,
  loss: LossName,
): { x: Tensor; targets: Targets } {
  const idx = order.subarray(start, end);
  return { x: inputsOf(ds, idx, dtype), targets: makeTargets(ds, idx, dtype, loss) };
}

function allRows(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * Loss and metrics of the model on a dataset, without dropout and without recording a graph.
 * Classification (bce, cross_entropy) → accuracy; regression → r2 and mae.
 */
export function scoreOn(
  model: Model,
  ds: Dataset,
  spec: SupervisedJobSpec,
): { loss: number; metrics: Record<string, number> } {
  return noGrad(() => {
    const idx = allRows(ds.rows);
    const dtype = spec.training.dtype;
    const out = model.forward(inputsOf(ds, idx, dtype), { training: false });
    const targets = makeTargets(ds, idx, dtype, spec.loss);
    const loss = computeLoss(spec.loss, out, targets, spec.huberDelta).item();
    const metrics: Record<string, number> = {};
    if (spec.loss === 'cross_entropy' || spec.loss === 'bce') {
      const labels = targets.kind === 'classes' ? targets.y : targets.y.data;
      metrics.accuracy = accuracy(out.data, model.outWidth, labels);
    } else if (targets.kind === 'values') {
      metrics.r2 = r2(out.data, targets.y.data, model.outWidth);
      metrics.mae = meanAbsoluteError(out.data, targets.y.data);
    }
    return { loss, metrics };
  });
}

/** End-of-epoch evaluation: validation loss (when there is a validation split) and metrics. */
export function evaluate(
  model: Model,
  split: Split,
  spec: SupervisedJobSpec,
): { valLoss: number | null; metrics: Record<string, number> } {
  if (split.val && split.val.rows > 0) {
    const v = scoreOn(model, split.val, spec);
    return { valLoss: v.loss, metrics: v.metrics };
  }
  return { valLoss: null, metrics: scoreOn(model, split.train, spec).metrics };
}

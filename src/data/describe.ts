/** Summaries of a dataset for its description and for validating a JobSpec against it. */
import type { Dataset } from './types.js';

/** Whether the targets can serve as labels: all integers? and their range. */
export interface LabelSummary {
  integer: boolean;
  min: number;
  max: number;
}

/** Label summary over every target value of `ds`. */
export function labelSummary(ds: Dataset): LabelSummary {
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ds.y.length; i++) {
    const v = ds.y[i];
    if (integer && !Number.isInteger(v)) integer = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { integer, min, max };
}

/** The shape of `ds` as `src/contracts/job-spec.ts`'s `DataShape` (rows, features, targets, labels). */
export function datasetShape(ds: Dataset): { rows: number; features: number; targets: number; labels: LabelSummary } {
  return { rows: ds.rows, features: ds.features, targets: ds.targets, labels: labelSummary(ds) };
}

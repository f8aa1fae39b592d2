/**
 * The building blocks every part of the JobSpec uses: number rules with their messages, the dtype,
 * activation and loss enums, regularization and init schemes, and the dataset shape validation
 * reasons about (built-in datasets from src/catalog/datasets.ts).
 */
import { z } from 'zod';
import * as D from '../../catalog/optimizers.js';
import { BUILTIN_DATASETS as CATALOG, type BuiltinDatasetName } from '../../catalog/datasets.js';
import { limitMessage, type Limits } from '../limits.js';

export { BUILTIN_DATASET_NAMES, type BuiltinDatasetName } from '../../catalog/datasets.js';

/** What validation needs to know about a dataset's labels. */
export interface LabelInfo {
  /** Every target value is an integer. */
  integer: boolean;
  /** Smallest and largest target value. */
  min: number;
  max: number;
}

/** The shape of a dataset as far as validation and estimates are concerned. */
export interface DataShape {
  rows: number;
  features: number;
  /** Target columns (1 for a flat `y`). */
  targets: number;
  labels: LabelInfo;
}

/**
 * Shape, task, description and suggested sequential `input` of each built-in dataset
 * (src/catalog/datasets.ts).
 */
export const BUILTIN_DATASETS: Readonly<
  Record<
    BuiltinDatasetName,
    DataShape & {
      task: 'classification' | 'regression';
      classes?: number;
      description: string;
      input: readonly number[];
    }
  >
> = CATALOG;

/** A problem found by a cross-field check: a path into the spec and a message naming what to change. */
export interface SpecIssue {
  path: (string | number)[];
  message: string;
}

export const nonNeg = (what: string) => z.number().min(0, { error: `${what} must be ≥ 0` });
export const positive = (what: string) => z.number().gt(0, { error: `${what} must be > 0` });
export const posInt = (what: string) => z.int().min(1, { error: `${what} must be an integer ≥ 1` });
export const unit = (what: string) =>
  z
    .number()
    .min(0, { error: `${what} must be in [0, 1)` })
    .lt(1, { error: `${what} must be in [0, 1)` });
export const maximize = z
  .boolean()
  .default(false)
  .describe('Maximize the objective instead of minimizing (gradient negated first, as torch does).');
export const betas = z
  .tuple([unit('betas[0]'), unit('betas[1]')])
  .default([...D.ADAM.betas])
  .describe('Coefficients (β1, β2) of the running averages of the gradient and its square; each in [0, 1).');
export const eps = (d: number) =>
  nonNeg('eps').default(d).describe('Term added to the denominator for numerical stability.');
export const weightDecay = (d: number) =>
  nonNeg('weightDecay').default(d).describe('L2 penalty coefficient λ (PyTorch weight_decay).');
export const per = z
  .enum(['epoch', 'step'])
  .default('epoch')
  .describe(
    'Advance the schedule once per epoch (default) or after every optimizer step; the first epoch/step uses the base lr.',
  );

export const DTypeSchema = z
  .enum(['float32', 'float64'])
  .describe('Floating-point precision of parameters and computation.');
export type DType = z.output<typeof DTypeSchema>;

export const ActivationSchema = z
  .enum(['relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus'])
  .describe(
    'Hidden-layer activation (torch.nn defaults: leaky_relu slope 0.01, elu α 1, gelu exact erf form, softplus β 1).',
  );
export type Activation = z.output<typeof ActivationSchema>;

export const LossSchema = z
  .enum(['mse', 'mae', 'huber', 'bce', 'cross_entropy'])
  .describe(
    'Loss, mean-reduced: mse, mae, huber (huberDelta) for regression; bce on logits with 0/1 labels; cross_entropy on logits with class indices.',
  );
export type Loss = z.output<typeof LossSchema>;

export const RegularizationSpecSchema = z
  .strictObject({
    l1: nonNeg('l1').default(0).describe('L1 penalty λ1·Σ|w| on weights (not biases), added to the loss.'),
    l2: nonNeg('l2').default(0).describe('L2 penalty λ2·Σw² on weights (not biases), added to the loss.'),
  })
  .describe('Penalties on weights (not biases) added to the loss.');
export type RegularizationSpec = z.output<typeof RegularizationSpecSchema>;

export const InitSchemeSchema = z
  .enum(['default', 'zeros', 'xavier_uniform', 'xavier_normal', 'kaiming_uniform', 'kaiming_normal'])
  .describe(
    '"default" is torch.nn.Linear\'s own init; the others set weights by that rule and biases to zero.',
  );
export type InitScheme = z.output<typeof InitSchemeSchema>;

/** A number array nested 1 to `maxArrayDepth` deep (a bias is depth 1, a weight matrix depth 2). */
export type NestedNumberArray = number[] | NestedNumberArray[];

/** A string of at most `maxStringLength` characters, refused with a message naming `what`. */
export const limitedString = (L: Readonly<Pick<Limits, 'maxStringLength'>>) => (what: string) =>
  z.string().max(L.maxStringLength, {
    error: (iss) =>
      limitMessage(`${what} has`, `${(iss.input as string).length} characters`, L, 'maxStringLength'),
  });

/** Rows held out for validation: ⌈rows·fraction⌉ (as sklearn's train_test_split), 0 when fraction is 0. */
export function validationRows(rows: number, fraction: number): number {
  if (!(fraction > 0)) return 0;
  // The epsilon keeps 0.1·30 = 3.0000000000000004 from rounding up to 4.
  return Math.min(rows, Math.ceil(rows * fraction - 1e-9));
}

/** Parameters of a dense stack `sizes[0] → sizes[1] → …` (weights + biases). */
export function denseParameters(sizes: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += (sizes[i - 1] + 1) * sizes[i];
  return n;
}

/** Labels of a flat or column `y`. */
export function labelInfo(y: readonly (number | readonly number[])[]): LabelInfo {
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  for (const row of y) {
    for (const v of typeof row === 'number' ? [row] : row) {
      if (!Number.isInteger(v)) integer = false;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { integer, min, max };
}

/** Optimizer steps in one epoch over `rows` training rows. */
export function stepsPerEpoch(rows: number, batchSize: number | 'full'): number {
  if (rows <= 0) return 0;
  return batchSize === 'full' ? 1 : Math.ceil(rows / batchSize);
}

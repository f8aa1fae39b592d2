/**
 * The JobSpec: what a client POSTs to `/v1/jobs` (see `shared/design/api-v1.md`).
 *
 * One zod schema is the single source of the TypeScript types, the validation (with precise paths and
 * messages) and the OpenAPI document. Objects are strict (unknown keys are refused, so a typo such as
 * `learningRate` fails loudly instead of being ignored) and every default is filled in, so the parsed
 * value (`JobSpec`) is the normalized spec stored with the job.
 *
 * Optimizer hyper-parameters and defaults are PyTorch's (`torch.optim`, camelCased); where PyTorch has
 * no default (SGD's `lr`) the field is required.
 *
 * No transforms are used, so the schema converts to JSON Schema both as input and as output. Cross-field
 * rules live in `superRefine` checks.
 *
 * A deployment with other limits builds its own schema with {@link createJobSpecSchema}.
 */
// Installs the contracts' validation messages (did-you-mean, Required, union variants).
import './messages.js';
import * as D from '../catalog/optimizers.js';
import {
  BUILTIN_DATASET_NAMES,
  BUILTIN_DATASETS as CATALOG,
  type BuiltinDatasetName,
} from '../catalog/datasets.js';
import { z } from 'zod';
import { DEFAULT_LIMITS, limitMessage, type Limits } from './limits.js';
import { checkXYShape, ONLY_CLEAN } from './xy-shape.js';

// ---------------------------------------------------------------------------------------------------
// Built-in datasets: names and shapes, from src/catalog/datasets.ts (shared with src/data).
// ---------------------------------------------------------------------------------------------------

export { BUILTIN_DATASET_NAMES, type BuiltinDatasetName } from '../catalog/datasets.js';

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

/** Shape, task and description of each built-in dataset (src/catalog/datasets.ts). */
export const BUILTIN_DATASETS: Readonly<
  Record<
    BuiltinDatasetName,
    DataShape & { task: 'classification' | 'regression'; classes?: number; description: string }
  >
> = CATALOG;

// ---------------------------------------------------------------------------------------------------
// Small building blocks
// ---------------------------------------------------------------------------------------------------

/** A problem found by a cross-field check: a path into the spec and a message naming what to change. */
export interface SpecIssue {
  path: (string | number)[];
  message: string;
}

const nonNeg = (what: string) => z.number().min(0, { error: `${what} must be ≥ 0` });
const positive = (what: string) => z.number().gt(0, { error: `${what} must be > 0` });
const posInt = (what: string) => z.int().min(1, { error: `${what} must be an integer ≥ 1` });
const unit = (what: string) =>
  z
    .number()
    .min(0, { error: `${what} must be in [0, 1)` })
    .lt(1, { error: `${what} must be in [0, 1)` });
const maximize = z
  .boolean()
  .default(false)
  .describe('Maximize the objective instead of minimizing (gradient negated first, as torch does).');
const betas = z
  .tuple([unit('betas[0]'), unit('betas[1]')])
  .default([...D.ADAM.betas])
  .describe('Coefficients (β1, β2) of the running averages of the gradient and its square; each in [0, 1).');
const eps = (d: number) =>
  nonNeg('eps').default(d).describe('Term added to the denominator for numerical stability.');
const weightDecay = (d: number) =>
  nonNeg('weightDecay').default(d).describe('L2 penalty coefficient λ (PyTorch weight_decay).');
const per = z
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
/** Alias of {@link LossSchema} under the name the other sub-schemas follow. */
export const LossSpecSchema = LossSchema;
export type LossSpec = Loss;

// ---------------------------------------------------------------------------------------------------
// Optimizers (torch.optim defaults)
// ---------------------------------------------------------------------------------------------------

export const SgdSchema = z
  .strictObject({
    type: z.literal('sgd'),
    lr: nonNeg('lr').describe('Learning rate (required: torch.optim.SGD has no default).'),
    momentum: nonNeg('momentum').default(D.SGD.momentum).describe('Momentum factor μ.'),
    dampening: nonNeg('dampening').default(D.SGD.dampening).describe('Dampening τ for momentum.'),
    nesterov: z
      .boolean()
      .default(D.SGD.nesterov)
      .describe('Nesterov momentum; needs momentum > 0 and dampening 0.'),
    weightDecay: weightDecay(D.SGD.weightDecay),
    maximize,
  })
  .superRefine((o, ctx) => {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['nesterov'],
        message: `nesterov needs momentum > 0 and dampening 0 (got momentum ${o.momentum}, dampening ${o.dampening})`,
      });
    }
  }, ONLY_CLEAN)
  .describe('Stochastic gradient descent with optional (Nesterov) momentum: torch.optim.SGD.');

export const AdagradSchema = z
  .strictObject({
    type: z.literal('adagrad'),
    lr: nonNeg('lr').default(D.ADAGRAD.lr).describe('Learning rate.'),
    lrDecay: nonNeg('lrDecay')
      .default(D.ADAGRAD.lrDecay)
      .describe('Learning-rate decay: lr / (1 + (t − 1)·lrDecay).'),
    initialAccumulatorValue: nonNeg('initialAccumulatorValue')
      .default(D.ADAGRAD.initialAccumulatorValue)
      .describe('Initial value of the sum of squared gradients.'),
    eps: eps(D.ADAGRAD.eps),
    weightDecay: weightDecay(D.ADAGRAD.weightDecay),
    maximize,
  })
  .describe('torch.optim.Adagrad.');

export const RmspropSchema = z
  .strictObject({
    type: z.literal('rmsprop'),
    lr: nonNeg('lr').default(D.RMSPROP.lr).describe('Learning rate.'),
    alpha: nonNeg('alpha')
      .default(D.RMSPROP.alpha)
      .describe('Smoothing constant of the squared-gradient average.'),
    eps: eps(D.RMSPROP.eps),
    momentum: nonNeg('momentum').default(D.RMSPROP.momentum).describe('Momentum factor.'),
    centered: z
      .boolean()
      .default(D.RMSPROP.centered)
      .describe('Normalize by the estimated variance of the gradient.'),
    weightDecay: weightDecay(D.RMSPROP.weightDecay),
    maximize,
  })
  .describe('torch.optim.RMSprop (no bias correction).');

const adamFields = (type: 'adam' | 'adamw', wd: number) => ({
  type: z.literal(type),
  lr: nonNeg('lr').default(D.ADAM.lr).describe('Learning rate.'),
  betas,
  eps: eps(D.ADAM.eps),
  weightDecay:
    type === 'adamw'
      ? nonNeg('weightDecay')
          .default(wd)
          .describe('Decoupled weight decay: θ ← θ·(1 − lr·λ) before the Adam step.')
      : weightDecay(wd),
  amsgrad: z
    .boolean()
    .default(D.ADAM.amsgrad)
    .describe('Use the maximum of past raw second moments (AMSGrad).'),
  maximize,
});

export const AdamSchema = z
  .strictObject(adamFields('adam', D.ADAM.weightDecay))
  .describe('torch.optim.Adam (L2 weight decay coupled into the moments).');
export const AdamwSchema = z
  .strictObject(adamFields('adamw', D.ADAMW.weightDecay))
  .describe('torch.optim.AdamW (decoupled weight decay, default 0.01).');

export const NadamSchema = z
  .strictObject({
    type: z.literal('nadam'),
    lr: nonNeg('lr').default(D.NADAM.lr).describe('Learning rate.'),
    betas,
    eps: eps(D.NADAM.eps),
    weightDecay: weightDecay(D.NADAM.weightDecay),
    momentumDecay: nonNeg('momentumDecay').default(D.NADAM.momentumDecay).describe('Momentum decay ψ.'),
  })
  .describe('torch.optim.NAdam (torch ≥ 2.0 formula).');

export const RadamSchema = z
  .strictObject({
    type: z.literal('radam'),
    lr: nonNeg('lr').default(D.RADAM.lr).describe('Learning rate.'),
    betas,
    eps: eps(D.RADAM.eps),
    weightDecay: weightDecay(D.RADAM.weightDecay),
  })
  .describe('torch.optim.RAdam (rectification once ρ_t > 5).');

export const NewtonSchema = z
  .strictObject({
    type: z.literal('newton'),
    damping: nonNeg('damping')
      .default(D.NEWTON.damping)
      .describe('Levenberg-style damping λ: solve (H + λI)·d = −g.'),
    lineSearch: z
      .boolean()
      .default(D.NEWTON.lineSearch)
      .describe('Backtracking (Armijo) line search along the Newton direction.'),
    cgThreshold: z
      .int()
      .min(0, { error: 'cgThreshold must be an integer ≥ 0' })
      .default(D.NEWTON.cgThreshold)
      .describe(
        'Up to this many parameters the dense Hessian is built and solved; above it, conjugate gradient on Hessian-vector products.',
      ),
    maxIter: posInt('maxIter')
      .optional()
      .describe('Most conjugate-gradient iterations per step (default: the parameter count).'),
  })
  .describe('Damped Newton\'s method on the full batch (needs training.batchSize "full").');

export const LbfgsSchema = z
  .strictObject({
    type: z.literal('lbfgs'),
    lr: nonNeg('lr').default(D.LBFGS.lr).describe('Learning rate (step length).'),
    maxIter: posInt('maxIter').default(D.LBFGS.maxIter).describe('Inner iterations per optimizer step.'),
    maxEval: posInt('maxEval')
      .optional()
      .describe('Most function evaluations per step (torch default: maxIter·5/4).'),
    toleranceGrad: nonNeg('toleranceGrad')
      .default(D.LBFGS.toleranceGrad)
      .describe('Stop when the gradient max-norm is at most this.'),
    toleranceChange: nonNeg('toleranceChange')
      .default(D.LBFGS.toleranceChange)
      .describe('Stop when the loss or step changes less than this.'),
    historySize: posInt('historySize').default(D.LBFGS.historySize).describe('Update history kept.'),
    lineSearchFn: z
      .enum(['strong_wolfe'])
      .nullable()
      .default(D.LBFGS.lineSearchFn)
      .describe('null: fixed step lr; "strong_wolfe": line search.'),
  })
  .describe('torch.optim.LBFGS on the full batch (needs training.batchSize "full").');

export const OptimizerSpecSchema = z
  .discriminatedUnion('type', [
    SgdSchema,
    AdagradSchema,
    RmspropSchema,
    AdamSchema,
    AdamwSchema,
    NadamSchema,
    RadamSchema,
    NewtonSchema,
    LbfgsSchema,
  ])
  .describe('The optimizer and its hyper-parameters (PyTorch names camelCased, PyTorch defaults).');

export type SgdSpec = z.output<typeof SgdSchema>;
export type AdagradSpec = z.output<typeof AdagradSchema>;
export type RmspropSpec = z.output<typeof RmspropSchema>;
export type AdamSpec = z.output<typeof AdamSchema>;
export type AdamwSpec = z.output<typeof AdamwSchema>;
export type NadamSpec = z.output<typeof NadamSchema>;
export type RadamSpec = z.output<typeof RadamSchema>;
export type NewtonSpec = z.output<typeof NewtonSchema>;
export type LbfgsSpec = z.output<typeof LbfgsSchema>;
export type OptimizerSpec = z.output<typeof OptimizerSpecSchema>;
export type OptimizerType = OptimizerSpec['type'];

/** Optimizers that need the full batch (each step evaluates the whole objective). */
export const FULL_BATCH_OPTIMIZERS: readonly OptimizerType[] = ['newton', 'lbfgs'];

// ---------------------------------------------------------------------------------------------------
// Learning-rate schedules (torch.optim.lr_scheduler)
// ---------------------------------------------------------------------------------------------------

export const StepScheduleSchema = z
  .strictObject({
    type: z.literal('step'),
    stepSize: posInt('stepSize').describe('Multiply the lr by gamma every stepSize schedule steps.'),
    gamma: positive('gamma').default(0.1).describe('Multiplicative factor.'),
    per,
  })
  .describe('StepLR.');

export const ExponentialScheduleSchema = z
  .strictObject({
    type: z.literal('exponential'),
    gamma: positive('gamma').describe('Multiplicative factor per schedule step.'),
    per,
  })
  .describe('ExponentialLR.');

export const CosineScheduleSchema = z
  .strictObject({
    type: z.literal('cosine'),
    tMax: posInt('tMax').describe('Half period in schedule steps.'),
    etaMin: nonNeg('etaMin').default(0).describe('Minimum learning rate.'),
    per,
  })
  .describe('CosineAnnealingLR.');

export const LinearScheduleSchema = z
  .strictObject({
    type: z.literal('linear'),
    startFactor: z
      .number()
      .gt(0, { error: 'startFactor must be in (0, 1]' })
      .max(1, { error: 'startFactor must be in (0, 1]' })
      .default(1 / 3)
      .describe('Factor of the base lr at the first step.'),
    endFactor: z
      .number()
      .min(0, { error: 'endFactor must be in [0, 1]' })
      .max(1, { error: 'endFactor must be in [0, 1]' })
      .default(1)
      .describe('Factor reached after totalIters steps.'),
    totalIters: posInt('totalIters')
      .default(5)
      .describe('Schedule steps over which the factor changes linearly.'),
    per,
  })
  .describe('LinearLR.');

export const OneCycleScheduleSchema = z
  .strictObject({
    type: z.literal('onecycle'),
    maxLr: positive('maxLr').describe(
      'Peak learning rate (replaces the optimizer lr; the cycle starts at maxLr / divFactor).',
    ),
    totalSteps: posInt('totalSteps')
      .optional()
      .describe(
        'Schedule steps in the cycle; default: epochs (per "epoch") or epochs × steps per epoch (per "step").',
      ),
    pctStart: z
      .number()
      .min(0, { error: 'pctStart must be in [0, 1]' })
      .max(1, { error: 'pctStart must be in [0, 1]' })
      .default(0.3)
      .describe('Fraction of the cycle spent increasing the lr.'),
    annealStrategy: z.enum(['cos', 'linear']).default('cos').describe('Annealing shape.'),
    cycleMomentum: z
      .boolean()
      .default(true)
      .describe('Cycle momentum (SGD/RMSprop momentum, Adam-family β1) inversely to the lr.'),
    baseMomentum: nonNeg('baseMomentum').default(0.85).describe('Lower momentum bound.'),
    maxMomentum: nonNeg('maxMomentum').default(0.95).describe('Upper momentum bound.'),
    divFactor: positive('divFactor').default(25).describe('Initial lr = maxLr / divFactor.'),
    finalDivFactor: positive('finalDivFactor')
      .default(1e4)
      .describe('Final lr = initial lr / finalDivFactor.'),
    threePhase: z.boolean().default(false).describe('Use the three-phase variant.'),
    per,
  })
  .describe('OneCycleLR.');

export const ScheduleSpecSchema = z
  .discriminatedUnion('type', [
    StepScheduleSchema,
    ExponentialScheduleSchema,
    CosineScheduleSchema,
    LinearScheduleSchema,
    OneCycleScheduleSchema,
  ])
  .describe('Learning-rate schedule (torch.optim.lr_scheduler semantics).');

export type StepScheduleSpec = z.output<typeof StepScheduleSchema>;
export type ExponentialScheduleSpec = z.output<typeof ExponentialScheduleSchema>;
export type CosineScheduleSpec = z.output<typeof CosineScheduleSchema>;
export type LinearScheduleSpec = z.output<typeof LinearScheduleSchema>;
export type OneCycleScheduleSpec = z.output<typeof OneCycleScheduleSchema>;
export type ScheduleSpec = z.output<typeof ScheduleSpecSchema>;

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

// ---------------------------------------------------------------------------------------------------
// Helpers shared by the checks and the estimate
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// The schema factory
// ---------------------------------------------------------------------------------------------------

function indexText(n: number): string {
  return `[${n}]`;
}

/** Check a nested number array: rectangular, finite numbers, depth within the limit. */
function checkNested(
  value: unknown,
  L: Readonly<Limits>,
  ctx: z.RefinementCtx,
  path: (string | number)[] = [],
): void {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  if (shape.length > L.maxArrayDepth) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: limitMessage('array nesting depth is', shape.length, L, 'maxArrayDepth'),
    });
    return;
  }
  const walk = (node: unknown, depth: number, at: number[]): boolean => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, ...at],
          message: `element ${at.map(indexText).join('')} is not a finite number`,
        });
        return false;
      }
      return true;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, ...at],
        message: `array is not rectangular: ${at.map(indexText).join('') || 'top level'} should have ${shape[depth]} elements (shape ${JSON.stringify(shape)})`,
      });
      return false;
    }
    for (let i = 0; i < node.length; i++) if (!walk(node[i], depth + 1, [...at, i])) return false;
    return true;
  };
  walk(value, 0, []);
}

function buildSchemas(L: Readonly<Limits>) {
  const name = (what: string) =>
    z.string().max(L.maxStringLength, {
      error: (iss) =>
        limitMessage(`${what} has`, `${(iss.input as string).length} characters`, L, 'maxStringLength'),
    });

  const classes = z
    .int()
    .min(2, { error: 'classes must be an integer ≥ 2' })
    .max(L.maxClasses, { error: (iss) => limitMessage('classes is', iss.input as number, L, 'maxClasses') })
    .optional()
    .describe('Number of classes for cross_entropy (default: largest label + 1).');

  const hiddenWidth = z
    .int()
    .min(1, { error: 'hidden layer widths must be integers ≥ 1' })
    .max(L.maxHiddenWidth, {
      error: (iss) => limitMessage('hidden layer width is', iss.input as number, L, 'maxHiddenWidth'),
    });
  const hidden = z
    .array(hiddenWidth)
    .min(1, { error: 'hidden needs at least one layer (use model type "linear" for none)' })
    .max(L.maxHiddenLayers, {
      error: (iss) =>
        limitMessage('hidden has', `${(iss.input as unknown[]).length} layers`, L, 'maxHiddenLayers'),
    })
    .describe('Hidden layer widths, input side first.');

  const LinearModelSchema = z
    .strictObject({ type: z.literal('linear'), classes })
    .describe(
      'One Linear layer: linear, logistic or softmax regression, by the loss. Parameters: weight [out, in], bias [out].',
    );
  const MlpModelSchema = z
    .strictObject({
      type: z.literal('mlp'),
      hidden,
      activation: ActivationSchema.default('relu'),
      dropout: unit('dropout')
        .default(0)
        .describe('Dropout probability after each hidden activation, in [0, 1).'),
      classes,
    })
    .describe(
      'torch.nn.Sequential(Linear, Act, [Dropout,] Linear, …): parameters 0.weight, 0.bias, 2.weight, …',
    );
  const ModelSpecSchema = z
    .discriminatedUnion('type', [LinearModelSchema, MlpModelSchema])
    .describe('The model.');

  const row = z.array(z.number());
  const InlineDataSchema = z
    .strictObject({
      x: z
        .array(row)
        .min(1, { error: 'x needs at least one row' })
        .max(L.maxInlineRows, {
          error: (iss) =>
            limitMessage('x has', `${(iss.input as unknown[]).length} rows`, L, 'maxInlineRows'),
        })
        .describe('Features, one array per row.'),
      y: z
        .array(z.union([z.number(), row]))
        .describe('Targets: one number per row, or one array per row for several target columns.'),
    })
    .superRefine((d, ctx) => {
      checkXYShape(d, L, ctx);
    }, ONLY_CLEAN)
    .describe('A small dataset inside the spec.');

  const DataSpecSchema = z
    .strictObject({
      builtin: z
        .enum(BUILTIN_DATASET_NAMES)
        .optional()
        .describe('A built-in dataset (GET /v1/datasets/builtin lists them).'),
      datasetId: name('datasetId')
        .regex(/^ds_[A-Za-z0-9_-]+$/, { error: 'datasetId must look like "ds_…" (letters, digits, _ and -)' })
        .optional()
        .describe('An uploaded dataset (POST /v1/datasets).'),
      inline: InlineDataSchema.optional(),
    })
    .superRefine((d, ctx) => {
      const given = (['builtin', 'datasetId', 'inline'] as const).filter((k) => d[k] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `data needs exactly one of builtin, datasetId or inline (got ${given.length === 0 ? 'none' : given.join(' and ')})`,
        });
      }
    }, ONLY_CLEAN)
    .describe('Where the training data comes from: exactly one of builtin, datasetId, inline.');

  const EarlyStoppingSchema = z
    .strictObject({
      patience: posInt('patience').default(10).describe('Epochs without improvement before stopping.'),
      minDelta: nonNeg('minDelta').default(0).describe('Smallest decrease that counts as an improvement.'),
      monitor: z
        .enum(['auto', 'valLoss', 'loss'])
        .default('auto')
        .describe(
          'Quantity watched; "auto" is valLoss when validationSplit > 0, otherwise loss (see resolveMonitor).',
        ),
      restoreBest: z
        .boolean()
        .default(false)
        .describe('Keep the weights of the best epoch rather than the last.'),
    })
    .describe('Stop when the monitored loss has not improved by minDelta for patience epochs.');

  const wallSeconds = positive('maxWallSeconds').max(L.maxWallSeconds, {
    error: (iss) => limitMessage('maxWallSeconds is', iss.input as number, L, 'maxWallSeconds'),
  });

  const TrainingSpecSchema = z
    .strictObject({
      epochs: posInt('epochs')
        .max(L.maxEpochs, { error: (iss) => limitMessage('epochs is', iss.input as number, L, 'maxEpochs') })
        .default(100)
        .describe('Passes over the training rows.'),
      batchSize: z
        .union([
          posInt('batchSize').max(L.maxBatchSize, {
            error: (iss) => limitMessage('batchSize is', iss.input as number, L, 'maxBatchSize'),
          }),
          z.literal('full'),
        ])
        .default(32)
        .describe(
          '"full": batch gradient descent; 1: stochastic; n: mini-batches of n rows (the last may be smaller).',
        ),
      shuffle: z.boolean().default(true).describe('Reshuffle the training rows every epoch (seeded).'),
      seed: z
        .int()
        .min(0, { error: 'seed must be an integer ≥ 0' })
        .default(0)
        .describe('Seed of every random draw: init, split, shuffling, dropout.'),
      validationSplit: unit('validationSplit')
        .default(0)
        .describe('Fraction of rows held out (⌈rows·fraction⌉, after a seeded shuffle).'),
      dtype: DTypeSchema.default('float32'),
      earlyStopping: EarlyStoppingSchema.nullable().default(null),
      gradClipNorm: positive('gradClipNorm')
        .nullable()
        .default(null)
        .describe('Clip the global gradient L2 norm to this (torch clip_grad_norm_).'),
      maxWallSeconds: wallSeconds
        .optional()
        .describe('Fail with TIMEOUT after this many seconds of training.'),
    })
    .superRefine((t, ctx) => {
      if (t.earlyStopping?.monitor === 'valLoss' && t.validationSplit === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['earlyStopping', 'monitor'],
          message:
            'earlyStopping.monitor "valLoss" needs validationSplit > 0 (it is 0); monitor "loss" or set validationSplit',
        });
      }
    }, ONLY_CLEAN)
    .describe('How training runs.');

  const initWeights = z
    .record(
      name('init.weights key'),
      z.array(z.any()).superRefine((v, ctx) => checkNested(v, L, ctx), ONLY_CLEAN),
    )
    .superRefine((w, ctx) => {
      const n = Object.keys(w).length;
      if (n > L.maxInitWeightTensors) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: limitMessage('init.weights has', `${n} entries`, L, 'maxInitWeightTensors'),
        });
      }
    }, ONLY_CLEAN) as unknown as z.ZodType<Record<string, NestedNumberArray>>;

  const InitSpecSchema = z
    .strictObject({
      scheme: InitSchemeSchema.default('default'),
      weights: initWeights
        .optional()
        .describe(
          'Initial values by state_dict name, e.g. { "weight": [[0.5, -0.3]], "bias": [0.1] }; any subset. Shapes are checked against the model when training starts.',
        ),
    })
    .describe('Initial parameters.');

  const MetadataSchema = z
    .record(
      z.string().max(L.maxMetadataKeyLength, {
        error: (iss) =>
          limitMessage(
            'metadata key has',
            `${(iss.input as string).length} characters`,
            L,
            'maxMetadataKeyLength',
          ),
      }),
      z.string().max(L.maxMetadataValueLength, {
        error: (iss) =>
          limitMessage(
            'metadata value has',
            `${(iss.input as string).length} characters`,
            L,
            'maxMetadataValueLength',
          ),
      }),
    )
    .superRefine((m, ctx) => {
      const n = Object.keys(m).length;
      if (n > L.maxMetadataKeys)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: limitMessage('metadata has', `${n} keys`, L, 'maxMetadataKeys'),
        });
    }, ONLY_CLEAN)
    .describe('Free-form string labels stored with the job.');

  const SupervisedJobSpecSchema = z
    .strictObject({
      task: z
        .literal('supervised')
        .default('supervised')
        .describe('Supervised learning on a dataset (the default task).'),
      model: ModelSpecSchema,
      data: DataSpecSchema,
      loss: LossSchema,
      huberDelta: positive('huberDelta').default(1).describe('δ of the huber loss.'),
      optimizer: OptimizerSpecSchema.prefault({ type: 'adam' }),
      schedule: ScheduleSpecSchema.nullable().default(null),
      regularization: RegularizationSpecSchema.prefault({}),
      training: TrainingSpecSchema.prefault({}),
      init: InitSpecSchema.prefault({}),
      metadata: MetadataSchema.default({}),
    })
    .superRefine((s, ctx) => {
      for (const i of supervisedIssues(s as SupervisedJobSpec, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('Train a model on a dataset.');

  // ---- minimize (issue 6): optimize a closed-form objective directly ----
  const variable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    error: 'variable names are identifiers: a letter or _, then letters, digits or _',
  });
  const MinimizeObjectiveSchema = z
    .union([
      z
        .string()
        .min(1, { error: 'objective must not be empty' })
        .max(L.maxExpressionLength, {
          error: (iss) =>
            limitMessage(
              'objective has',
              `${(iss.input as string).length} characters`,
              L,
              'maxExpressionLength',
            ),
        })
        .describe('An expression in the variables of start, e.g. "(1 - x)^2 + 100*(y - x^2)^2".'),
      z.strictObject({ builtin: z.enum(MINIMIZE_BUILTINS).describe('A classic test function of x and y.') }),
    ])
    .describe('The function to minimize.');

  const MinimizeJobSpecSchema = z
    .strictObject({
      task: z.literal('minimize'),
      objective: MinimizeObjectiveSchema,
      start: z
        .record(variable, z.number())
        .describe('Starting point: a value for every variable of the objective.'),
      steps: posInt('steps')
        .max(L.maxMinimizeSteps, {
          error: (iss) => limitMessage('steps is', iss.input as number, L, 'maxMinimizeSteps'),
        })
        .default(100)
        .describe('Optimizer steps.'),
      optimizer: OptimizerSpecSchema,
      schedule: ScheduleSpecSchema.nullable().default(null),
      dtype: DTypeSchema.default('float64'),
      maxWallSeconds: wallSeconds.optional(),
      metadata: MetadataSchema.default({}),
    })
    .superRefine((s, ctx) => {
      for (const i of minimizeIssues(s as MinimizeJobSpec, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('Minimize a function of a few variables (optimizer playground).');

  // ---- reinforce (issue 6): policy-gradient RL on small environments ----
  const maxSteps = (d: number) =>
    posInt('maxSteps')
      .max(L.maxEpisodeSteps, {
        error: (iss) => limitMessage('maxSteps is', iss.input as number, L, 'maxEpisodeSteps'),
      })
      .default(d)
      .describe('Steps after which an episode is cut off.');
  const EnvSpecSchema = z
    .discriminatedUnion('type', [
      z
        .strictObject({ type: z.literal('cartpole'), maxSteps: maxSteps(500) })
        .describe('CartPole-v1: 4 observations, 2 actions, reward 1 per step.'),
      z
        .strictObject({
          type: z.literal('bandit'),
          arms: z
            .int()
            .min(2, { error: 'arms must be an integer ≥ 2' })
            .max(1000, { error: (iss) => limitMessage('arms is', iss.input as number, 1000) })
            .default(10),
          stdDev: nonNeg('stdDev').default(1).describe('Reward noise σ; arm means ~ N(0, 1) from the seed.'),
        })
        .describe('k-armed Gaussian bandit: one-step episodes, constant observation.'),
      z
        .strictObject({
          type: z.literal('gridworld'),
          size: z
            .int()
            .min(2, { error: 'size must be an integer ≥ 2' })
            .max(32, { error: (iss) => limitMessage('size is', iss.input as number, 32) })
            .default(5),
          slip: unit('slip').default(0).describe('Probability that a move goes in a random direction.'),
          maxSteps: maxSteps(100),
        })
        .describe(
          'size×size grid from the top-left to the bottom-right corner; one-hot observation, 4 actions, −0.01 per step, +1 at the goal.',
        ),
    ])
    .describe('The environment.');

  const ReinforceJobSpecSchema = z
    .strictObject({
      task: z.literal('reinforce'),
      env: EnvSpecSchema,
      episodes: posInt('episodes')
        .max(L.maxEpisodes, {
          error: (iss) => limitMessage('episodes is', iss.input as number, L, 'maxEpisodes'),
        })
        .default(500)
        .describe('Episodes to run (one policy update per episode).'),
      gamma: z
        .number()
        .min(0, { error: 'gamma must be in [0, 1]' })
        .max(1, { error: 'gamma must be in [0, 1]' })
        .default(0.99)
        .describe('Discount factor.'),
      baseline: z
        .enum(['none', 'running_mean', 'value'])
        .default('running_mean')
        .describe('Variance reduction for REINFORCE returns.'),
      entropyCoef: nonNeg('entropyCoef').default(0).describe('Weight of the entropy bonus.'),
      policy: z
        .strictObject({ hidden: hidden.default([32]), activation: ActivationSchema.default('tanh') })
        .prefault({})
        .describe('Policy MLP (and value MLP when baseline is "value").'),
      optimizer: OptimizerSpecSchema.prefault({ type: 'adam', lr: 0.01 }),
      seed: z.int().min(0, { error: 'seed must be an integer ≥ 0' }).default(0),
      dtype: DTypeSchema.default('float32'),
      maxWallSeconds: wallSeconds.optional(),
      metadata: MetadataSchema.default({}),
    })
    .superRefine((s, ctx) => {
      for (const i of reinforceIssues(s as ReinforceJobSpec, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('REINFORCE policy gradient on a small environment.');

  const JobSpecSchema = z
    .discriminatedUnion('task', [SupervisedJobSpecSchema, MinimizeJobSpecSchema, ReinforceJobSpecSchema])
    .describe('A training job. Without "task" it is supervised.');

  return {
    ModelSpecSchema,
    LinearModelSchema,
    MlpModelSchema,
    InlineDataSchema,
    DataSpecSchema,
    EarlyStoppingSchema,
    TrainingSpecSchema,
    InitSpecSchema,
    MetadataSchema,
    SupervisedJobSpecSchema,
    MinimizeObjectiveSchema,
    MinimizeJobSpecSchema,
    EnvSpecSchema,
    ReinforceJobSpecSchema,
    JobSpecSchema,
  };
}

/** Built-in objectives of the minimize task, all functions of x and y. */
export const MINIMIZE_BUILTINS = [
  'rosenbrock',
  'beale',
  'himmelblau',
  'ill_conditioned_quadratic',
  'saddle',
] as const;
export type MinimizeBuiltin = (typeof MINIMIZE_BUILTINS)[number];

/**
 * Build every schema against a set of limits. `createJobSpecSchema(limitsFromEnv(process.env))` gives a
 * service its own JobSpec schema; the exported `JobSpecSchema` uses {@link DEFAULT_LIMITS}.
 */
export function createJobSpecSchemas(limits: Readonly<Limits> = DEFAULT_LIMITS) {
  return buildSchemas(limits);
}

/** The JobSpec schema for a set of limits. */
export function createJobSpecSchema(limits: Readonly<Limits> = DEFAULT_LIMITS) {
  return buildSchemas(limits).JobSpecSchema;
}

const defaults = buildSchemas(DEFAULT_LIMITS);

export const ModelSpecSchema = defaults.ModelSpecSchema;
export const LinearModelSchema = defaults.LinearModelSchema;
export const MlpModelSchema = defaults.MlpModelSchema;
export const InlineDataSchema = defaults.InlineDataSchema;
export const DataSpecSchema = defaults.DataSpecSchema;
export const EarlyStoppingSchema = defaults.EarlyStoppingSchema;
export const TrainingSpecSchema = defaults.TrainingSpecSchema;
export const InitSpecSchema = defaults.InitSpecSchema;
export const MetadataSchema = defaults.MetadataSchema;
export const SupervisedJobSpecSchema = defaults.SupervisedJobSpecSchema;
export const MinimizeObjectiveSchema = defaults.MinimizeObjectiveSchema;
export const MinimizeJobSpecSchema = defaults.MinimizeJobSpecSchema;
export const EnvSpecSchema = defaults.EnvSpecSchema;
export const ReinforceJobSpecSchema = defaults.ReinforceJobSpecSchema;
/** The JobSpec (input) schema with the default limits. Parse with it to get a normalized {@link JobSpec}. */
export const JobSpecSchema = defaults.JobSpecSchema;

export type ModelSpec = z.output<typeof ModelSpecSchema>;
export type LinearModelSpec = z.output<typeof LinearModelSchema>;
export type MlpModelSpec = z.output<typeof MlpModelSchema>;
export type InlineData = z.output<typeof InlineDataSchema>;
export type DataSpec = z.output<typeof DataSpecSchema>;
export type EarlyStoppingSpec = z.output<typeof EarlyStoppingSchema>;
export type TrainingSpec = z.output<typeof TrainingSpecSchema>;
export type InitSpec = z.output<typeof InitSpecSchema>;
export type Metadata = z.output<typeof MetadataSchema>;
export type SupervisedJobSpec = z.output<typeof SupervisedJobSpecSchema>;
export type MinimizeObjective = z.output<typeof MinimizeObjectiveSchema>;
export type MinimizeJobSpec = z.output<typeof MinimizeJobSpecSchema>;
export type EnvSpec = z.output<typeof EnvSpecSchema>;
export type ReinforceJobSpec = z.output<typeof ReinforceJobSpecSchema>;
/** The normalized JobSpec: every default filled in. */
export type JobSpec = z.output<typeof JobSpecSchema>;
/** What a client may send: defaults optional. */
export type JobSpecInput = z.input<typeof JobSpecSchema>;
export type TaskType = JobSpec['task'];

/** Narrow a JobSpec to the supervised task. */
export function isSupervised(spec: JobSpec): spec is SupervisedJobSpec {
  return spec.task === 'supervised';
}

/** The quantity early stopping watches, "auto" resolved. */
export function resolveMonitor(training: TrainingSpec): 'valLoss' | 'loss' | null {
  const es = training.earlyStopping;
  if (!es) return null;
  if (es.monitor !== 'auto') return es.monitor;
  return training.validationSplit > 0 ? 'valLoss' : 'loss';
}

// ---------------------------------------------------------------------------------------------------
// Cross-field checks
// ---------------------------------------------------------------------------------------------------

/** Observation and action sizes of an RL environment. */
export function envDims(env: EnvSpec): { observations: number; actions: number } {
  switch (env.type) {
    case 'cartpole':
      return { observations: 4, actions: 2 };
    case 'bandit':
      return { observations: 1, actions: env.arms };
    case 'gridworld':
      return { observations: env.size * env.size, actions: 4 };
  }
}

function optimizerScheduleIssues(opt: OptimizerSpec, schedule: ScheduleSpec | null): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (schedule && opt.type === 'newton') {
    out.push({
      path: ['schedule'],
      message: 'optimizer newton has no learning rate to schedule; remove schedule (or set it to null)',
    });
  }
  if (
    schedule?.type === 'onecycle' &&
    schedule.cycleMomentum &&
    (opt.type === 'adagrad' || opt.type === 'lbfgs' || opt.type === 'newton')
  ) {
    out.push({
      path: ['schedule', 'cycleMomentum'],
      message: `cycleMomentum needs an optimizer with momentum or betas (sgd, rmsprop, adam, adamw, nadam, radam), not ${opt.type}; set cycleMomentum false`,
    });
  }
  if (schedule?.type === 'onecycle' && schedule.baseMomentum > schedule.maxMomentum) {
    out.push({
      path: ['schedule', 'baseMomentum'],
      message: `baseMomentum (${schedule.baseMomentum}) must not exceed maxMomentum (${schedule.maxMomentum})`,
    });
  }
  return out;
}

/** Output width of the model for a loss and a dataset shape: targets, 1 for bce, classes for cross_entropy. */
export function outputWidth(
  loss: Loss,
  shape: Pick<DataShape, 'targets' | 'labels'>,
  modelClasses?: number,
): number {
  if (loss === 'bce') return 1;
  if (loss === 'cross_entropy') return modelClasses ?? Math.max(1, Math.floor(shape.labels.max) + 1);
  return shape.targets;
}

/** Parameters of the supervised model for `features` inputs and `outputs` outputs. */
export function modelParameters(model: ModelSpec, features: number, outputs: number): number {
  return model.type === 'linear'
    ? denseParameters([features, outputs])
    : denseParameters([features, ...model.hidden, outputs]);
}

/** The dataset shape known from the spec alone (built-in or inline), or null for an uploaded dataset. */
export function dataShapeOf(data: DataSpec): DataShape | null {
  if (data.builtin) return BUILTIN_DATASETS[data.builtin];
  if (data.inline) {
    const { x, y } = data.inline;
    const targets = typeof y[0] === 'number' ? 1 : (y[0] as number[]).length;
    return { rows: x.length, features: x[0]?.length ?? 0, targets, labels: labelInfo(y) };
  }
  return null;
}

/**
 * Checks of a supervised spec against the shape of its data: labels fit the loss, and the parameter,
 * rows × epochs and schedule limits hold. Used by the schema for built-in and inline data, and by the
 * service once an uploaded dataset (`datasetId`) has been looked up.
 */
export function dataIssues(
  spec: SupervisedJobSpec,
  shape: DataShape,
  limits: Readonly<Limits> = DEFAULT_LIMITS,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  const where = spec.data.builtin
    ? `dataset ${spec.data.builtin}`
    : spec.data.inline
      ? 'data.inline.y'
      : 'the dataset';
  const yPath = spec.data.inline ? ['data', 'inline', 'y'] : ['loss'];
  const { labels } = shape;
  const builtinTask = spec.data.builtin ? BUILTIN_DATASETS[spec.data.builtin].task : null;
  if ((spec.loss === 'bce' || spec.loss === 'cross_entropy') && builtinTask === 'regression') {
    out.push({
      path: ['loss'],
      message: `loss ${spec.loss} needs class labels; ${where} is a regression dataset (use mse, mae or huber)`,
    });
  } else if (spec.loss === 'bce' || spec.loss === 'cross_entropy') {
    if (shape.targets !== 1) {
      out.push({
        path: yPath,
        message: `loss ${spec.loss} takes one label column; ${where} has ${shape.targets} target columns`,
      });
    } else if (spec.loss === 'bce' && (labels.min < 0 || labels.max > 1)) {
      out.push({
        path: yPath,
        message: `loss bce needs labels in [0, 1]; ${where} has labels from ${labels.min} to ${labels.max}`,
      });
    } else if (spec.loss === 'cross_entropy' && (!labels.integer || labels.min < 0)) {
      out.push({
        path: yPath,
        message: `loss cross_entropy needs class indices (integers ≥ 0); ${where} holds ${labels.integer ? 'negative' : 'non-integer'} values`,
      });
    } else if (spec.loss === 'cross_entropy') {
      const classes = labels.max + 1;
      if (spec.model.classes !== undefined && classes > spec.model.classes) {
        out.push({
          path: ['model', 'classes'],
          message: `model.classes is ${spec.model.classes} but ${where} has label ${labels.max}`,
        });
      } else if (spec.model.classes === undefined && classes > limits.maxClasses) {
        out.push({
          path: yPath,
          message: limitMessage(`${where} has`, `${classes} classes`, limits, 'maxClasses'),
        });
      }
    }
  }
  const labelsOk = out.length === 0;
  const featuresOk = shape.features <= limits.maxFeatures;
  if (!featuresOk) {
    out.push({
      path: ['data'],
      message: limitMessage(
        `${spec.data.builtin ? `dataset ${spec.data.builtin}` : 'the dataset'} has`,
        `${shape.features} features`,
        limits,
        'maxFeatures',
      ),
    });
  }
  if (labelsOk && featuresOk) {
    const outputs = outputWidth(spec.loss, shape, spec.model.classes);
    const parameters = modelParameters(spec.model, shape.features, outputs);
    if (parameters > limits.maxParameters) {
      out.push({
        path: ['model'],
        message: limitMessage('the model has', `${parameters} parameters`, limits, 'maxParameters'),
      });
    }
  }
  const rowsEpochs = shape.rows * spec.training.epochs;
  if (rowsEpochs > limits.maxRowsTimesEpochs) {
    out.push({
      path: ['training', 'epochs'],
      message: limitMessage(
        `rows × epochs is ${shape.rows} × ${spec.training.epochs} =`,
        rowsEpochs,
        limits,
        'maxRowsTimesEpochs',
      ),
    });
  }
  const val = validationRows(shape.rows, spec.training.validationSplit);
  if (val > 0 && shape.rows - val < 1) {
    out.push({
      path: ['training', 'validationSplit'],
      message: `validationSplit ${spec.training.validationSplit} leaves no training rows out of ${shape.rows}`,
    });
  }
  const sched = spec.schedule;
  if (sched?.type === 'onecycle' && sched.totalSteps !== undefined) {
    const trainRows = shape.rows - val;
    const steps =
      sched.per === 'epoch'
        ? spec.training.epochs
        : spec.training.epochs * stepsPerEpoch(trainRows, spec.training.batchSize);
    if (sched.totalSteps < steps) {
      out.push({
        path: ['schedule', 'totalSteps'],
        message: `schedule.totalSteps is ${sched.totalSteps} but training takes ${steps} schedule steps (per ${sched.per}); raise totalSteps or leave it out`,
      });
    }
  }
  return out;
}

function supervisedIssues(s: SupervisedJobSpec, L: Readonly<Limits>): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (FULL_BATCH_OPTIMIZERS.includes(s.optimizer.type) && s.training.batchSize !== 'full') {
    out.push({
      path: ['training', 'batchSize'],
      message: `optimizer ${s.optimizer.type} works on the full batch: set training.batchSize to "full" (it is ${s.training.batchSize})`,
    });
  }
  out.push(...optimizerScheduleIssues(s.optimizer, s.schedule));
  if (s.model.classes !== undefined && s.loss !== 'cross_entropy') {
    out.push({
      path: ['model', 'classes'],
      message: `model.classes applies to loss cross_entropy only (loss is ${s.loss})`,
    });
  }
  if (
    s.schedule?.type === 'onecycle' &&
    s.schedule.per === 'epoch' &&
    s.schedule.totalSteps !== undefined &&
    s.schedule.totalSteps < s.training.epochs
  ) {
    // Caught here too so that datasetId specs get it at validation.
    if (!(s.data.builtin || s.data.inline)) {
      out.push({
        path: ['schedule', 'totalSteps'],
        message: `schedule.totalSteps is ${s.schedule.totalSteps} but training takes ${s.training.epochs} schedule steps (per epoch); raise totalSteps or leave it out`,
      });
    }
  }
  const shape = dataShapeOf(s.data);
  // Only with well-formed data: the data schema has reported its own problems already.
  if (shape && shape.features > 0 && (!s.data.inline || s.data.inline.y.length === s.data.inline.x.length))
    out.push(...dataIssues(s, shape, L));
  return out;
}

const MINIMIZE_BUILTIN_VARIABLES = ['x', 'y'];

function minimizeIssues(s: MinimizeJobSpec, L: Readonly<Limits>): SpecIssue[] {
  const out: SpecIssue[] = [];
  const names = Object.keys(s.start);
  if (names.length === 0)
    out.push({ path: ['start'], message: 'start needs a value for every variable of the objective' });
  if (names.length > L.maxMinimizeVariables) {
    out.push({
      path: ['start'],
      message: limitMessage('start has', `${names.length} variables`, L, 'maxMinimizeVariables'),
    });
  }
  if (typeof s.objective !== 'string') {
    const missing = MINIMIZE_BUILTIN_VARIABLES.filter((v) => !(v in s.start));
    const extra = names.filter((v) => !MINIMIZE_BUILTIN_VARIABLES.includes(v));
    if (missing.length || extra.length) {
      out.push({
        path: ['start'],
        message: `objective ${s.objective.builtin} is a function of x and y: start needs exactly x and y${missing.length ? ` (missing ${missing.join(', ')})` : ''}${extra.length ? ` (unknown ${extra.join(', ')})` : ''}`,
      });
    }
  }
  out.push(...optimizerScheduleIssues(s.optimizer, s.schedule));
  return out;
}

function reinforceIssues(s: ReinforceJobSpec, L: Readonly<Limits>): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (FULL_BATCH_OPTIMIZERS.includes(s.optimizer.type)) {
    out.push({
      path: ['optimizer', 'type'],
      message: `optimizer ${s.optimizer.type} needs a deterministic full-batch objective; policy gradients are stochastic: use sgd, adam, rmsprop, …`,
    });
  }
  const { observations, actions } = envDims(s.env);
  let parameters = denseParameters([observations, ...s.policy.hidden, actions]);
  if (s.baseline === 'value') parameters += denseParameters([observations, ...s.policy.hidden, 1]);
  if (parameters > L.maxParameters) {
    out.push({
      path: ['policy', 'hidden'],
      message: limitMessage('the policy has', `${parameters} parameters`, L, 'maxParameters'),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Estimates for POST /v1/jobs/validate
// ---------------------------------------------------------------------------------------------------

/** Optimizer steps in one epoch over `rows` training rows. */
export function stepsPerEpoch(rows: number, batchSize: number | 'full'): number {
  if (rows <= 0) return 0;
  return batchSize === 'full' ? 1 : Math.ceil(rows / batchSize);
}

/** What a job will cost, as reported by the validate endpoint. */
export interface JobEstimate {
  /** Trainable parameters. */
  parameters: number;
  /** Optimizer steps per epoch (1 for minimize; 1 episode = 1 step for reinforce). */
  stepsPerEpoch: number;
  /** Optimizer steps in the whole job. */
  totalSteps: number;
  /** Rough peak memory of the trainer in bytes: data, parameters, gradients, optimizer state, activations. */
  bytes: number;
  /** Supervised jobs: floating-point operations of one step, 6 · batch · parameters (forward 2, backward 4). */
  flopsPerStep?: number;
  /** Seconds the job needs at this server's measured speed (set by the API when it knows the speed). */
  seconds?: number;
}

function optimizerStateCopies(opt: OptimizerSpec, n: number): number {
  switch (opt.type) {
    case 'sgd':
      return opt.momentum > 0 ? 1 : 0;
    case 'adagrad':
      return 1;
    case 'rmsprop':
      return 1 + (opt.centered ? 1 : 0) + (opt.momentum > 0 ? 1 : 0);
    case 'adam':
    case 'adamw':
      return 2 + (opt.amsgrad ? 1 : 0);
    case 'nadam':
    case 'radam':
      return 2;
    case 'newton':
      return n <= opt.cgThreshold ? n + 4 : 6; // dense Hessian, or CG vectors
    case 'lbfgs':
      return 2 * opt.historySize + 4;
  }
}

/**
 * Estimate a job. For a supervised job pass the dataset's `rows`, `features` and `targets`, where
 * `targets` is the model's output width (use {@link outputWidth}: the class count for cross_entropy).
 * Minimize and reinforce jobs ignore the three numbers.
 */
export function estimateJob(spec: JobSpec, rows = 0, features = 0, targets = 1): JobEstimate {
  const bytesPer =
    (spec.task === 'minimize' ? spec.dtype : spec.task === 'reinforce' ? spec.dtype : spec.training.dtype) ===
    'float64'
      ? 8
      : 4;
  if (spec.task === 'minimize') {
    const n = Object.keys(spec.start).length;
    return {
      parameters: n,
      stepsPerEpoch: 1,
      totalSteps: spec.steps,
      bytes: bytesPer * n * (2 + optimizerStateCopies(spec.optimizer, n)),
    };
  }
  if (spec.task === 'reinforce') {
    const { observations, actions } = envDims(spec.env);
    const sizes = [observations, ...spec.policy.hidden, actions];
    let n = denseParameters(sizes);
    if (spec.baseline === 'value') n += denseParameters([observations, ...spec.policy.hidden, 1]);
    const episodeSteps = spec.env.type === 'bandit' ? 1 : spec.env.maxSteps;
    const activations = episodeSteps * sizes.reduce((a, b) => a + b, 0) * 2;
    return {
      parameters: n,
      stepsPerEpoch: 1,
      totalSteps: spec.episodes,
      bytes: bytesPer * (n * (2 + optimizerStateCopies(spec.optimizer, n)) + activations),
    };
  }
  const trainRows = rows - validationRows(rows, spec.training.validationSplit);
  const perEpoch = stepsPerEpoch(trainRows, spec.training.batchSize);
  const sizes =
    spec.model.type === 'linear' ? [features, targets] : [features, ...spec.model.hidden, targets];
  const n = denseParameters(sizes);
  const batch = spec.training.batchSize === 'full' ? trainRows : Math.min(trainRows, spec.training.batchSize);
  // Forward values and their gradients per layer, plus dropout masks.
  const activations = batch * sizes.reduce((a, b) => a + b, 0) * 3;
  const dataBytes = rows * (features + targets) * 8;
  return {
    parameters: n,
    stepsPerEpoch: perEpoch,
    totalSteps: perEpoch * spec.training.epochs,
    bytes: dataBytes + bytesPer * (n * (2 + optimizerStateCopies(spec.optimizer, n)) + activations),
    flopsPerStep: 6 * batch * n,
  };
}

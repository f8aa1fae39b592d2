/** Checks across fields and against the data's shape, beyond what each field's schema says. */
import { DEFAULT_LIMITS, limitMessage, type Limits } from '../limits.js';
import {
  BUILTIN_DATASETS,
  denseParameters,
  labelInfo,
  stepsPerEpoch,
  validationRows,
  type DataShape,
  type Loss,
  type SpecIssue,
} from './common.js';
import { FULL_BATCH_OPTIMIZERS, type OptimizerSpec } from './optimizer.js';
import type { ScheduleSpec } from './schedule.js';
import type {
  DataSpec,
  EnvSpec,
  MinimizeJobSpec,
  ModelSpec,
  ReinforceJobSpec,
  SupervisedJobSpec,
} from './tasks.js';

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

/**
 * Parameters of the supervised model for `features` inputs and `outputs` outputs; null for a
 * sequential model, whose count needs the layer builders (the service counts it with them, see
 * src/api/spec-check.ts, and applies the same limit).
 */
export function modelParameters(model: ModelSpec, features: number, outputs: number): number | null {
  if (model.type === 'sequential') return null;
  return model.type === 'linear'
    ? denseParameters([features, outputs])
    : denseParameters([features, ...model.hidden, outputs]);
}

/** A sequential model's `input` against the data's features: a row holds prod(input) values. */
function inputIssues(model: ModelSpec, features: number, where: string): SpecIssue[] {
  if (model.type !== 'sequential') return [];
  const size = model.input.reduce((a, b) => a * b, 1);
  if (size === features) return [];
  return [
    {
      path: ['model', 'input'],
      message: `model.input [${model.input.join(', ')}] takes ${size} values per row; ${where} has ${features} features`,
    },
  ];
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
  if (featuresOk)
    out.push(...inputIssues(spec.model, shape.features, where === 'data.inline.y' ? 'data.inline.x' : where));
  if (labelsOk && featuresOk) {
    const outputs = outputWidth(spec.loss, shape, spec.model.classes);
    const parameters = modelParameters(spec.model, shape.features, outputs);
    if (parameters !== null && parameters > limits.maxParameters) {
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
  // test rows are counted as validation rows are: ⌈rows·testSplit⌉
  const test = validationRows(shape.rows, spec.training.testSplit);
  if (test > 0 && shape.rows - val >= 1 && shape.rows - val - test < 1) {
    out.push({
      path: ['training', 'testSplit'],
      message: `validationSplit ${spec.training.validationSplit} and testSplit ${spec.training.testSplit} leave no training rows out of ${shape.rows} (${val} validation and ${test} test rows)`,
    });
  }
  const sched = spec.schedule;
  if (sched?.type === 'onecycle' && sched.totalSteps !== undefined) {
    const trainRows = shape.rows - val - test;
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

export function supervisedIssues(s: SupervisedJobSpec, L: Readonly<Limits>): SpecIssue[] {
  const out: SpecIssue[] = [];
  if (FULL_BATCH_OPTIMIZERS.includes(s.optimizer.type) && s.training.batchSize !== 'full') {
    out.push({
      path: ['training', 'batchSize'],
      message: `optimizer ${s.optimizer.type} works on the full batch: set training.batchSize to "full" (it is ${s.training.batchSize})`,
    });
  }
  out.push(...optimizerScheduleIssues(s.optimizer, s.schedule));
  if (s.init.freeze?.length && (s.optimizer.type === 'newton' || s.optimizer.type === 'lbfgs')) {
    out.push({
      path: ['init', 'freeze'],
      message: `init.freeze is not supported with optimizer ${s.optimizer.type}: it steps every parameter as one vector (with its curvature), so no layer can stay fixed; use a first-order optimizer (sgd, adam, adamw, rmsprop, adagrad, nadam, radam)`,
    });
  }
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

export function minimizeIssues(s: MinimizeJobSpec, L: Readonly<Limits>): SpecIssue[] {
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

export function reinforceIssues(s: ReinforceJobSpec, L: Readonly<Limits>): SpecIssue[] {
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

/** What a job will cost: parameters, steps, memory and operations (POST /v1/jobs/validate). */
import { denseParameters, stepsPerEpoch, validationRows } from './common.js';
import { envDims } from './checks.js';
import type { OptimizerSpec } from './optimizer.js';
import type { JobSpec } from './tasks.js';

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

/** What the layer builders tell the estimate of a sequential model (src/models counts them). */
export interface LayerCounts {
  parameters: number;
  /** Values one sample produces over all layers (the sum of the output shapes' sizes). */
  activations: number;
}

/**
 * Estimate a job. For a supervised job pass the dataset's `rows`, `features` and `targets`, where
 * `targets` is the model's output width (use {@link outputWidth}: the class count for cross_entropy),
 * and for a sequential model the layer counts. Minimize and reinforce jobs ignore the numbers.
 */
export function estimateJob(
  spec: JobSpec,
  rows = 0,
  features = 0,
  targets = 1,
  layers?: LayerCounts,
): JobEstimate {
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
  const trainRows =
    rows -
    validationRows(rows, spec.training.validationSplit) -
    validationRows(rows, spec.training.testSplit);
  const perEpoch = stepsPerEpoch(trainRows, spec.training.batchSize);
  const sizes =
    spec.model.type === 'linear'
      ? [features, targets]
      : spec.model.type === 'mlp'
        ? [features, ...spec.model.hidden, targets]
        : [features, layers?.activations ?? 0];
  const n = spec.model.type === 'sequential' ? (layers?.parameters ?? 0) : denseParameters(sizes);
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

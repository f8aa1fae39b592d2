/** Inference with trained weights: what `POST /v1/jobs/{id}/predict` runs. */
import { allocate, grad, noGrad, sigmoid, softmax, Tensor, type NamedWeights } from '../tensor/index.js';
import { forwardDense, parameterLayout, type ModelConfig } from './dense.js';
import { sequentialFromWeights } from './sequential.js';
import { predictedClass } from './metrics.js';

/** Inputs that do not fit the model (wrong width, non-finite values): a 400 for the caller. */
export class PredictInputError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'PredictInputError';
  }
}

/** What predict needs to know of the job's spec. */
export interface PredictSpec {
  model: ModelConfig;
  loss: 'mse' | 'mae' | 'huber' | 'bce' | 'cross_entropy';
}

export interface Prediction {
  /** Class probabilities (softmax for cross_entropy, σ for bce) or regression outputs. */
  outputs: number[][];
  /** Predicted class per row, for classification losses. */
  classes?: number[];
}

/**
 * Run the trained model on `inputs` (rows of features). Classification returns probabilities and
 * the arg-max class (bce: class 1 when p > 0.5); regression returns the raw outputs.
 */
export function predict(
  spec: PredictSpec,
  weights: NamedWeights,
  inputs: readonly (readonly number[])[],
): Prediction {
  const { forward, x, n, inFeatures, outWidth } = prepare(spec, weights, inputs);
  return noGrad(() => {
    const logits = forward(new Tensor(x, [n, inFeatures]));
    const probs = outputsOf(spec, logits);
    const outputs: number[][] = [];
    for (let i = 0; i < n; i++)
      outputs.push(Array.from(probs.data.subarray(i * outWidth, (i + 1) * outWidth)));
    if (spec.loss === 'cross_entropy' || spec.loss === 'bce') {
      const classes = Array.from({ length: n }, (_, i) => predictedClass(logits.data, outWidth, i));
      return { outputs, classes };
    }
    return { outputs };
  });
}

/** What predict returns from logits: softmax for cross_entropy, σ for bce, identity for regression. */
function outputsOf(spec: PredictSpec, logits: Tensor): Tensor {
  return spec.loss === 'cross_entropy' ? softmax(logits, -1) : spec.loss === 'bce' ? sigmoid(logits) : logits;
}

/** The outputs and their Jacobian with respect to the inputs, per sample. */
export interface InputGradients {
  outputs: number[][];
  /** jacobian[i][k][j] = ∂outputs[i][k] / ∂inputs[i][j] */
  jacobian: number[][][];
}

/**
 * ∂outputs/∂inputs per sample, for the outputs `predict` returns (probabilities for
 * classification). Rows are independent, so one backward pass per output column gives every
 * row's Jacobian row at once.
 */
export function inputGradients(
  spec: PredictSpec,
  weights: NamedWeights,
  inputs: readonly (readonly number[])[],
): InputGradients {
  const { forward, x, n, inFeatures, outWidth } = prepare(spec, weights, inputs);
  const xt = new Tensor(x, [n, inFeatures], true);
  const y = outputsOf(spec, forward(xt));
  const jacobian: number[][][] = Array.from({ length: n }, () => []);
  for (let k = 0; k < outWidth; k++) {
    const e = new Tensor(allocate(y.dtype, n * outWidth), [n, outWidth]);
    for (let i = 0; i < n; i++) e.data[i * outWidth + k] = 1;
    const [g] = grad(y, [xt], { gradOutput: e });
    for (let i = 0; i < n; i++)
      jacobian[i].push(Array.from(g.data.subarray(i * inFeatures, (i + 1) * inFeatures)));
  }
  const outputs: number[][] = [];
  for (let i = 0; i < n; i++) outputs.push(Array.from(y.data.subarray(i * outWidth, (i + 1) * outWidth)));
  return { outputs, jacobian };
}

/** The model's forward pass in eval mode (dropout off, running statistics) and its input and output widths. */
function modelOf(
  config: ModelConfig,
  weights: NamedWeights,
): { forward: (x: Tensor) => Tensor; inFeatures: number; outWidth: number; dtype: 'float32' | 'float64' } {
  if (config.type === 'sequential') {
    const model = sequentialFromWeights(config, weights);
    const dtype = model.params[0]?.tensor.dtype ?? 'float32';
    // Constant parameters: a gradient is wanted with respect to the inputs only.
    const params = model.params.map((p) => new Tensor(p.tensor.data, p.tensor.shape));
    const forward = (x: Tensor) => model.forwardWith(params, x, { training: false });
    return { forward, inFeatures: model.inFeatures, outWidth: model.outWidth, dtype };
  }
  const first = weights[config.type === 'linear' ? 'weight' : '0.weight'];
  if (!first) throw new Error('weights do not match the model');
  const [, inFeatures] = first.shape;
  const names = Object.keys(weights);
  const last = weights[names[names.length - 1]];
  const outWidth = last.shape[0];
  const layout = parameterLayout(config, inFeatures, outWidth);
  const dtype = first.data instanceof Float64Array ? 'float64' : 'float32';
  const params = layout.map((l) => {
    const w = weights[l.name];
    if (!w) throw new Error(`weights lack ${l.name}`);
    return new Tensor(w.data, l.shape);
  });
  return { forward: (x) => forwardDense(config, params, x), inFeatures, outWidth, dtype };
}

function prepare(spec: PredictSpec, weights: NamedWeights, inputs: readonly (readonly number[])[]) {
  const { forward, inFeatures, outWidth, dtype } = modelOf(spec.model, weights);
  const n = inputs.length;
  const x = allocate(dtype, n * inFeatures);
  for (let i = 0; i < n; i++) {
    const row = inputs[i];
    if (row.length !== inFeatures) {
      throw new PredictInputError(
        `inputs[${i}] has ${row.length} features; the model takes ${inFeatures}`,
        `/inputs/${i}`,
      );
    }
    for (let j = 0; j < inFeatures; j++) {
      if (!Number.isFinite(row[j]))
        throw new PredictInputError(`inputs[${i}][${j}] is not a finite number`, `/inputs/${i}/${j}`);
      x[i * inFeatures + j] = row[j];
    }
  }
  return { forward, x, n, inFeatures, outWidth };
}

/** The parts of a JobSpec that say how to predict with its weights. */
export type JobLike =
  | { task: 'supervised'; model: ModelConfig; loss: PredictSpec['loss'] }
  | {
      task: 'reinforce';
      policy: { hidden: number[]; activation: Extract<ModelConfig, { type: 'mlp' }>['activation'] };
    }
  | { task: 'minimize' };

/**
 * Predict with a finished job's weights, whatever its task: a supervised model's outputs, or a
 * policy network's action probabilities (weights `policy.*`, softmax over actions) for reinforce.
 * A minimize job has no model: PredictInputError.
 */
export function predictForJob(
  job: JobLike,
  weights: NamedWeights,
  inputs: readonly (readonly number[])[],
): Prediction {
  if (job.task === 'supervised') return predict({ model: job.model, loss: job.loss }, weights, inputs);
  if (job.task === 'reinforce') {
    const policy: NamedWeights = {};
    for (const [name, w] of Object.entries(weights))
      if (name.startsWith('policy.')) policy[name.slice('policy.'.length)] = w;
    const model: ModelConfig = {
      type: 'mlp',
      hidden: job.policy.hidden,
      activation: job.policy.activation,
      dropout: 0,
    };
    return predict({ model, loss: 'cross_entropy' }, policy, inputs);
  }
  throw new PredictInputError(
    'a minimize job has no model to predict with; its result holds the point found',
    '/',
  );
}

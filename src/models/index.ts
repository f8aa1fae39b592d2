/** Models, losses, metrics, initializers and inference. */
export { buildModel, forwardDense, parameterLayout } from './dense.js';
export type { Activation, Model, ModelConfig, NamedParam } from './dense.js';
export { initDense, type InitScheme } from './init.js';
export {
  bceWithLogitsLoss,
  computeLoss,
  crossEntropyLoss,
  huberLoss,
  maeLoss,
  mseLoss,
  penalty,
} from './losses.js';
export type { LossName, Targets } from './losses.js';
export { accuracy, meanAbsoluteError, predictedClass, r2 } from './metrics.js';
export { inputGradients, predict, predictForJob, PredictInputError } from './predict.js';
export type { InputGradients, JobLike, Prediction, PredictSpec } from './predict.js';
/** The weights predict reads and training returns (defined with the tensor types). */
export type { NamedWeights } from '../tensor/index.js';
export { initialValues, SpecError } from './init-values.js';

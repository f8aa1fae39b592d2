/** Models, losses, metrics, initializers and inference. */
export { buildModel, denseLayerReport, forwardDense } from './dense.js';
export type { Activation, LayerReport, NamedParam } from './dense.js';
export { modelConfigOf } from './model.js';
export { planSequential, sequentialParameters } from './sequential.js';
export { computeLoss, penalty } from './losses.js';
export type { LossName, Targets } from './losses.js';
export { accuracy, meanAbsoluteError, r2 } from './metrics.js';
export { inputGradients, predict, predictForJob, PredictInputError } from './predict.js';
export type { PredictSpec } from './predict.js';
/** The weights predict reads and training returns (defined with the tensor types). */
export type { NamedWeights } from '../tensor/index.js';
export { initialValues, SpecError } from './init-values.js';
export { frozenMask, tensorsFromParent } from './layer-select.js';

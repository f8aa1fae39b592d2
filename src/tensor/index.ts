/**
 * Descent's tensor engine: float32/float64 tensors with NumPy broadcasting, ops with their
 * derivative rules side by side, and reverse-mode autodiff of any order.
 *
 * @example
 * const x = tensor([1.5, 1.5], { dtype: 'float64' });
 * const rosen = (p: Tensor) => { const [a, b] = [slice(p, 0, 0, 1), slice(p, 0, 1, 2)];
 *   return sum(add(pow(sub(1, a), 2), mul(pow(sub(b, pow(a, 2)), 2), 100))); };
 * hessian(rosen, x).toNested(); // [[2102, -600], [-600, 200]]
 */
import './methods.js';

export { Tensor, tensor, zeros, ones, full, scalar, noGrad } from './tensor.js';
export type { DType, FloatArray, NamedWeights } from './dtype.js';
export { allocate } from './dtype.js';
export {
  add,
  sub,
  mul,
  div,
  neg,
  pow,
  exp,
  log,
  sqrt,
  abs,
  sin,
  cos,
  erf,
  maximum,
  minimum,
  where,
  clamp,
  dropout,
  cast,
} from './ops/elementwise.js';
export {
  tanh,
  sigmoid,
  relu,
  leakyRelu,
  elu,
  gelu,
  softplus,
  ACTIVATIONS,
  type Activation,
} from './ops/activations.js';
export { matmul, linear } from './ops/matmul.js';
export { reshape, transpose, slice, concat, gather } from './ops/movement.js';
export { sum, mean, max, min, logsumexp, softmax, logSoftmax, broadcastTo, sumTo } from './ops/reduce.js';
export { backward, grad, hvp, hessian, jacobian } from './autodiff.js';
export { kernels, setKernels } from './kernels/active.js';
export type { Kernels } from './kernels/types.js';
export { referenceKernels } from './kernels/reference.js';
export type { LossKernels, OptimizerKernels } from './kernels/wasm/optim-types.js';
export {
  conv1d,
  conv2d,
  im2col,
  col2im,
  convOutputLength,
  samePadding,
  type ConvGeometry,
  type Conv1dOptions,
  type Conv2dOptions,
  type Pair2,
} from './ops/conv.js';
export {
  maxPool1d,
  maxPool2d,
  avgPool1d,
  avgPool2d,
  adaptiveAvgPool2d,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
} from './ops/pool.js';
export { indexSelect } from './ops/index-select.js';
export {
  batchNorm,
  batchNormOps,
  batchNormEval,
  batchNormEvalOps,
  type BatchNormResult,
} from './ops/batchnorm.js';
export {
  lstmSequence,
  lstmSequenceOps,
  gruSequence,
  gruSequenceOps,
  rnnSequence,
  rnnSequenceOps,
} from './ops/recurrent-cell.js';

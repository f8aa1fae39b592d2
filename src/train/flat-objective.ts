/**
 * The supervised training objective as a function of one flat parameter vector
 * x = [W0, b0, W1, b1, …] (state_dict order, buffers excluded), cut into the model's tensors with slice + reshape, so
 * autodiff can differentiate the loss twice (Newton, L-BFGS, curvature diagnostics).
 */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import type { Model } from '../models/dense.js';
import { computeLoss, penalty } from '../models/losses.js';
import { add, reshape, slice, type FloatArray, type Tensor } from '../tensor/index.js';
import { inputsOf, makeTargets, type Split } from './batches.js';

/** The training objective as a function of the flat parameter vector. */
export function flatObjective(spec: SupervisedJobSpec, model: Model, split: Split): (x: Tensor) => Tensor {
  const ds = split.train;
  const idx = Int32Array.from({ length: ds.rows }, (_, i) => i);
  const X = inputsOf(ds, idx, spec.training.dtype);
  const targets = makeTargets(ds, idx, spec.training.dtype, spec.loss);
  const shapes = model.params.map((p) => p.tensor.shape);
  return (x: Tensor) => {
    let off = 0;
    const ps = shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = reshape(slice(x, 0, off, off + n), shape);
      off += n;
      return t;
    });
    // Eval mode (no dropout, running statistics): a deterministic function of the parameters, which
    // Newton, L-BFGS and the curvature diagnostics need.
    const out = model.forwardWith(ps, X, { training: false });
    const loss = computeLoss(spec.loss, out, targets, spec.huberDelta);
    const pen = penalty(
      model.params.map((p, i) => ({ ...p, tensor: ps[i] })),
      spec.regularization.l1,
      spec.regularization.l2,
    );
    return pen ? add(loss, pen) : loss;
  };
}

/** The parameters as one flat float64 vector, in state_dict order. */
export function flatten(params: readonly FloatArray[]): Float64Array {
  const n = params.reduce((a, p) => a + p.length, 0);
  const x = new Float64Array(n);
  let off = 0;
  for (const p of params) {
    x.set(p, off);
    off += p.length;
  }
  return x;
}

/** Write the flat vector `x` back into the parameter tensors (the inverse of {@link flatten}). */
export function unflatten(x: Float64Array, params: FloatArray[]): void {
  let off = 0;
  for (const p of params) {
    p.set(x.subarray(off, off + p.length));
    off += p.length;
  }
}

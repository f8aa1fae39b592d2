/** A trained model's parameters as the service hands them out: state_dict names, shapes, data. */
import type { Model } from '../models/dense.js';
import type { FloatArray, NamedWeights } from '../tensor/index.js';

/** Copies of the parameters under their state_dict names. */
export function namedWeights(model: Model, params: readonly FloatArray[]): NamedWeights {
  const out: NamedWeights = {};
  model.params.forEach((p, i) => {
    out[p.name] = { shape: [...p.tensor.shape], data: params[i].slice() };
  });
  return out;
}

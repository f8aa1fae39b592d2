/** A trained model's parameters as the service hands them out: state_dict names, shapes, data. */
import type { Model } from '../models/dense.js';
import type { FloatArray, NamedWeights } from '../tensor/index.js';

/**
 * Copies of the parameters and buffers under their state_dict names, in torch's state_dict order:
 * module by module, each module's parameters before its buffers. Integer buffers
 * (num_batches_tracked) are marked, so safetensors stores them as int64.
 */
export function namedWeights(model: Model, params: readonly FloatArray[]): NamedWeights {
  const entries: [string, NamedWeights[string]][] = model.params.map((p, i) => [
    p.name,
    { shape: [...p.tensor.shape], data: params[i].slice() },
  ]);
  for (const b of model.buffers)
    entries.push([
      b.name,
      { shape: [...b.shape], data: b.data.slice(), ...(b.integer ? { integer: true } : {}) },
    ]);
  // Sequential names start with the module index; a stable sort on it puts each module's buffers
  // right after its parameters (dense models have no buffers, so their order is untouched).
  if (model.buffers.length) entries.sort((a, b) => moduleIndex(a[0]) - moduleIndex(b[0]));
  return Object.fromEntries(entries);
}

function moduleIndex(name: string): number {
  return Number.parseInt(name, 10);
}

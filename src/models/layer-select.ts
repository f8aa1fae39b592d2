/**
 * Layers by index, for fine-tuning (`init.fromJob` + `init.layers`) and `init.freeze`.
 *
 * A layer's index is its position in the equivalent torch.nn.Sequential — the prefix of its
 * state_dict names and `layers[].index` of `POST /v1/jobs/validate`: a sequential model's layer
 * `i` owns `i.weight`, `i.bias`, …; an mlp's dense layers are 0, 2, 4, … (0, 3, 6, … with dropout,
 * whose layers take indices too); a linear model is the one layer 0 (`weight`, `bias`).
 */
import type { DType, FloatArray, NamedWeights } from '../tensor/index.js';
import { allocate } from '../tensor/index.js';
import { tensorLayout } from './init-values.js';
import type { ModelConfig } from './model.js';
import { SpecError } from './spec-error.js';

/** The layer index of a state_dict name: its numeric prefix, 0 for a linear model's bare names. */
export function layerOf(name: string): number {
  const m = /^(\d+)\./.exec(name);
  return m ? Number(m[1]) : 0;
}

/** Layer indices that own at least one tensor, ascending. */
function layersWithTensors(names: readonly string[]): number[] {
  return [...new Set(names.map(layerOf))].sort((a, b) => a - b);
}

/** A SpecError when an index names no layer with parameters (at `path/i`). */
function checkIndices(
  indices: readonly number[],
  names: readonly string[],
  field: string,
  path: string,
): void {
  const known = layersWithTensors(names);
  indices.forEach((ix, i) => {
    if (!known.includes(ix))
      throw new SpecError(
        `${field}[${i}] is ${ix}, which is not a layer with parameters of this model (those are ${known.join(', ')})`,
        `${path}/${i}`,
      );
  });
}

/**
 * Per parameter (in the given order), whether `init.freeze` holds it fixed. An index that names
 * no layer with parameters is a SpecError at `/init/freeze/i`.
 */
export function frozenMask(paramNames: readonly string[], freeze: readonly number[] | undefined): boolean[] {
  if (!freeze?.length) return paramNames.map(() => false);
  checkIndices(freeze, paramNames, 'init.freeze', '/init/freeze');
  return paramNames.map((n) => freeze.includes(layerOf(n)));
}

/**
 * The parent job's tensors this model starts from (`init.fromJob`, `init.layers`), as flat arrays
 * of this job's dtype: every tensor (parameters and buffers) of the chosen layers must be in the
 * parent with the same shape, else a SpecError naming the tensor, the shape this model needs and
 * the parent's. Tensors of other layers are not taken.
 */
export function tensorsFromParent(
  model: ModelConfig,
  features: number,
  outWidth: number,
  dtype: DType,
  parent: { id: string; weights: NamedWeights },
  layers: 'all' | readonly number[] | undefined,
): Record<string, FloatArray> {
  const layout = tensorLayout(model, features, outWidth);
  const names = layout.map((l) => l.name);
  if (Array.isArray(layers)) checkIndices(layers, names, 'init.layers', '/init/layers');
  const chosen = layers === undefined || layers === 'all' ? null : new Set(layers);
  const out: Record<string, FloatArray> = {};
  for (const t of layout) {
    if (chosen && !chosen.has(layerOf(t.name))) continue;
    const from = parent.weights[t.name];
    if (!from) {
      const has = Object.keys(parent.weights);
      throw new SpecError(
        `init.fromJob: job ${parent.id} has no tensor "${t.name}" (shape [${t.shape.join(', ')}] here); it has ${has.length ? has.join(', ') : 'no tensors'}. Choose the layers to take with init.layers`,
        '/init/fromJob',
      );
    }
    if (from.shape.join() !== t.shape.join())
      throw new SpecError(
        `init.fromJob: tensor "${t.name}" has shape [${from.shape.join(', ')}] in job ${parent.id}; this model needs [${t.shape.join(', ')}]`,
        '/init/fromJob',
      );
    const arr = allocate(dtype, from.data.length);
    arr.set(from.data);
    out[t.name] = arr;
  }
  return out;
}

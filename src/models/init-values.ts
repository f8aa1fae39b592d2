/** User-supplied initial weights (`init.weights`), checked against the model's parameter layout. */
import { allocate, type DType, type FloatArray } from '../tensor/index.js';
import { parameterLayout } from './dense.js';
import type { ModelConfig } from './model.js';
import { planSequential } from './sequential.js';
import { SpecError } from './spec-error.js';

export { SpecError };

/** The tensors `init.weights` may set: parameters, and a sequential model's buffers too. */
export function tensorLayout(
  model: ModelConfig,
  features: number,
  outWidth: number,
): { name: string; shape: number[] }[] {
  if (model.type !== 'sequential') return parameterLayout(model, features, outWidth);
  // Buffers too, so that a torch state_dict (running statistics included) can be given as it is.
  const plan = planSequential(model, outWidth);
  return [...plan.params, ...plan.buffers];
}

function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0];
  }
  return s;
}

/**
 * Flat arrays for the given initial weights, or a SpecError naming the parameter and both shapes
 * (unknown names list the model's parameters). A sequential model whose layers do not fit the
 * data is a SpecError at `/model/layers/i`.
 */
export function initialValues(
  model: ModelConfig,
  features: number,
  outWidth: number,
  dtype: DType,
  given: Record<string, unknown> | undefined,
): Record<string, FloatArray> | undefined {
  if (!given) return undefined;
  const layout = tensorLayout(model, features, outWidth);
  const out: Record<string, FloatArray> = {};
  for (const [name, value] of Object.entries(given)) {
    const p = layout.find((l) => l.name === name);
    if (!p) {
      throw new SpecError(
        `init.weights has "${name}", which is not a parameter of this model (it has ${layout.map((l) => l.name).join(', ')})`,
        `/init/weights/${name}`,
      );
    }
    const s = shapeOf(value);
    if (s.join() !== p.shape.join()) {
      throw new SpecError(
        `init.weights.${name} has shape [${s.join(', ')}]; the model needs [${p.shape.join(', ')}]`,
        `/init/weights/${name}`,
      );
    }
    const flat = typeof value === 'number' ? [value] : ((value as unknown[]).flat(4) as number[]);
    const arr = allocate(dtype, flat.length);
    arr.set(flat);
    out[name] = arr;
  }
  return out;
}

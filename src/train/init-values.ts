/** `init.weights` from the JobSpec, checked against the model's parameter layout. */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import { parameterLayout } from '../models/dense.js';
import { allocate, type FloatArray } from '../tensor/index.js';

/** A spec problem only visible once the data shape is known (e.g. an init weight of the wrong shape). */
export class SpecError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'SpecError';
  }
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

/** Flat arrays for the given `init.weights`, or a SpecError naming the parameter and both shapes. */
export function initialValues(spec: SupervisedJobSpec, features: number, outWidth: number): Record<string, FloatArray> | undefined {
  const given = spec.init.weights;
  if (!given) return undefined;
  const model = spec.model.type === 'mlp' ? spec.model : { type: 'linear' as const };
  const layout = parameterLayout(model, features, outWidth);
  const out: Record<string, FloatArray> = {};
  for (const [name, value] of Object.entries(given)) {
    const p = layout.find((l) => l.name === name);
    if (!p) {
      throw new SpecError(`init.weights has "${name}", which is not a parameter of this model (it has ${layout.map((l) => l.name).join(', ')})`, `/init/weights/${name}`);
    }
    const s = shapeOf(value);
    if (s.join() !== p.shape.join()) {
      throw new SpecError(`init.weights.${name} has shape [${s.join(', ')}]; the model needs [${p.shape.join(', ')}]`, `/init/weights/${name}`);
    }
    const flat = (value as unknown[]).flat(4) as number[];
    const arr = allocate(spec.training.dtype, flat.length);
    arr.set(flat);
    out[name] = arr;
  }
  return out;
}

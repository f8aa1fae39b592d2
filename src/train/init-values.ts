/** `init.weights` of a supervised JobSpec as flat arrays (checked by src/models/init-values.ts). */
import type { SupervisedJobSpec } from '../contracts/job-spec.js';
import { initialValues as check, SpecError } from '../models/init-values.js';
import { modelConfigOf } from '../models/model.js';
import type { FloatArray } from '../tensor/index.js';

export { SpecError };

export function initialValues(
  spec: SupervisedJobSpec,
  features: number,
  outWidth: number,
): Record<string, FloatArray> | undefined {
  const model = modelConfigOf(spec.model);
  return check(model, features, outWidth, spec.training.dtype, spec.init.weights);
}

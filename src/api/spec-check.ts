import { ApiError, issuesFromZod } from '../contracts/problem.js';
import {
  createJobSpecSchema,
  dataIssues,
  dataShapeOf,
  estimateJob,
  outputWidth,
  type DataShape,
  type JobEstimate,
  type JobSpec,
} from '../contracts/job-spec.js';
import type { AppDeps } from './deps.js';

/** Shape of the data a spec trains on: from the spec (built-in, inline) or the uploaded dataset. */
export async function resolveDataShape(
  deps: AppDeps,
  spec: JobSpec,
  tenant: string,
): Promise<DataShape | null> {
  if (spec.task !== 'supervised') return null;
  const known = dataShapeOf(spec.data);
  if (known) return known;
  const id = spec.data.datasetId!;
  const info = await deps.datasets.describe(id, tenant);
  if (!info)
    throw new ApiError('VALIDATION_ERROR', `data.datasetId ${id} does not exist`, [
      { path: '/data/datasetId', message: `dataset ${id} not found` },
    ]);
  return { rows: info.rows, features: info.features, targets: info.targets, labels: info.labels };
}

/**
 * Checks that need more than the schema (the uploaded dataset's shape against the loss and the
 * limits), then the estimate. Throws a 400 ApiError naming the fields.
 */
export async function checkSpec(deps: AppDeps, spec: JobSpec, tenant: string): Promise<JobEstimate> {
  const shape = await resolveDataShape(deps, spec, tenant);
  if (spec.task === 'supervised' && shape && spec.data.datasetId) {
    const issues = dataIssues(spec, shape, deps.limits);
    if (issues.length)
      throw new ApiError(
        'VALIDATION_ERROR',
        `The body is invalid: ${issues[0].message}`,
        issuesFromZod(issues),
      );
  }
  if (spec.task === 'supervised' && shape) {
    return estimateJob(spec, shape.rows, shape.features, outputWidth(spec.loss, shape, spec.model.classes));
  }
  return estimateJob(spec);
}

/** The JobSpec schema with this deployment's limits (built once per app). */
export function specSchemaFor(deps: AppDeps) {
  return createJobSpecSchema(deps.limits);
}

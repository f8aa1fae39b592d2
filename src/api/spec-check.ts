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
  type MinimizeJobSpec,
  type SupervisedJobSpec,
} from '../contracts/job-spec.js';
import { limitEnvName, limitMessage } from '../contracts/limits.js';
import { estimateSeconds, formatDuration, type StepSpeed } from '../contracts/speed.js';
import { compileObjective } from '../expr/compile.js';
import { ExprError } from '../expr/errors.js';
import {
  denseLayerReport,
  initialValues,
  modelConfigOf,
  planSequential,
  sequentialParameters,
  SpecError,
  type LayerReport,
} from '../models/index.js';
import { checkRequestUrl } from './webhook-url.js';
import type { AppDeps } from './deps.js';
import { checkFreeze, resolveFromJob, type ResolvedFromJob } from './lineage.js';
import { tableShape } from './table-shape.js';

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
  // a typed table: the width after preprocessing, and missing values the spec would refuse
  if (info.columns) return tableShape(spec, { ...info, columns: info.columns });
  return { rows: info.rows, features: info.features, targets: info.targets, labels: info.labels };
}

/** What a valid spec costs, and for a supervised model its layers (`POST /v1/jobs/validate`). */
export interface CheckedSpec {
  estimate: JobEstimate;
  layers?: LayerReport[];
  /** `init.fromJob` resolved: the parent and the tensors snapshotted for the new job. */
  fromJob?: ResolvedFromJob;
}

/**
 * Checks that need more than the schema (the uploaded dataset's shape against the loss and the
 * limits; a sequential model's layers against the data's shape), then the estimate. Throws a 400
 * ApiError naming the fields.
 */
export async function checkSpec(
  deps: AppDeps,
  spec: JobSpec,
  tenant: string,
  opts: { fork?: boolean } = {},
): Promise<CheckedSpec> {
  if (spec.task === 'minimize') checkObjective(spec);
  if (spec.webhook) await checkJobWebhook(deps, spec.webhook.url, tenant);
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
    const outputs = outputWidth(spec.loss, shape, spec.model.classes);
    const layers = modelLayers(deps, spec, shape.features, outputs);
    checkInitWeights(spec, shape);
    checkFreeze(spec, shape);
    // A fork starts from its checkpoint: the init.fromJob it inherits is history, not a start.
    const fromJob = opts.fork ? null : await resolveFromJob(deps, spec, tenant, shape);
    const counts =
      spec.model.type === 'sequential'
        ? {
            parameters: layers.reduce((n, l) => n + l.parameters, 0),
            activations: layers.reduce((n, l) => n + l.outputShape.reduce((a, b) => a * b, 1), 0),
          }
        : undefined;
    const estimate = estimateJob(spec, shape.rows, shape.features, outputs, counts);
    const speed = deps.speed ? await deps.speed() : null;
    if (speed) checkWallTime(deps, spec, estimate, speed);
    return { estimate, layers, ...(fromJob ? { fromJob } : {}) };
  }
  return { estimate: estimateJob(spec) };
}

/**
 * A job's own webhook: its URL passes the same SSRF rules as an endpoint's, and the tenant has an
 * endpoint whose secret signs it (the default one: the oldest).
 */
async function checkJobWebhook(deps: AppDeps, url: string, tenant: string): Promise<void> {
  await checkRequestUrl(deps, url, '/webhook/url');
  if ((await deps.webhooks.count(tenant)) === 0)
    throw new ApiError(
      'VALIDATION_ERROR',
      "The body is invalid: webhook needs a signing secret: a job's own webhook is signed with the tenant's default endpoint secret, and this tenant has no webhook endpoint (POST /v1/webhooks first).",
      [
        {
          path: '/webhook',
          message: 'no webhook endpoint to sign with; register one with POST /v1/webhooks',
        },
      ],
    );
}

/** A 400 naming a path of the spec. */
function specError(err: SpecError): ApiError {
  return new ApiError('VALIDATION_ERROR', `The body is invalid: ${err.message}`, [
    { path: err.path, message: err.message },
  ]);
}

/**
 * The model's layers for the data's shape. A sequential model is built layer by layer (shapes
 * only, no values): a layer that cannot take its input is a 400 at `/model/layers/i`, and its
 * parameter count is held to `maxParameters` (which the schema cannot count without the layers).
 */
function modelLayers(
  deps: AppDeps,
  spec: SupervisedJobSpec,
  features: number,
  outputs: number,
): LayerReport[] {
  const config = modelConfigOf(spec.model);
  if (config.type !== 'sequential') return denseLayerReport(config, features, outputs);
  let plan;
  try {
    plan = planSequential(config, outputs);
  } catch (err) {
    if (err instanceof SpecError) throw specError(err);
    throw err;
  }
  const parameters = sequentialParameters(plan);
  if (parameters > deps.limits.maxParameters) {
    const message = limitMessage('the model has', `${parameters} parameters`, deps.limits, 'maxParameters');
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [{ path: '/model', message }]);
  }
  return plan.report;
}

/**
 * Refuse a supervised job that cannot finish within its wall-time limit (its own
 * `training.maxWallSeconds`, else the server's) at this server's measured speed, rather than
 * accept it and fail it with TIMEOUT hours later. The speed is a best case, so only jobs that
 * could not finish even then are refused. Sets `estimate.seconds`.
 */
function checkWallTime(
  deps: AppDeps,
  spec: SupervisedJobSpec,
  estimate: JobEstimate,
  speed: StepSpeed,
): void {
  const seconds = estimateSeconds(estimate.totalSteps, estimate.flopsPerStep ?? 0, speed);
  estimate.seconds = Math.round(seconds * 10) / 10;
  const own = spec.training.maxWallSeconds;
  const limit = Math.min(own ?? Infinity, deps.limits.maxWallSeconds);
  if (seconds <= limit) return;
  const which =
    own !== undefined && own <= deps.limits.maxWallSeconds
      ? 'training.maxWallSeconds'
      : `the server's (${limitEnvName('maxWallSeconds')})`;
  const message =
    `the job needs about ${estimate.totalSteps} steps of a ${estimate.parameters}-parameter model, ` +
    `at least ${formatDuration(seconds)} at this server's measured speed ` +
    `(${speed.kernels} kernels: ${(speed.flopsPerSecond / 1e9).toFixed(1)} GFLOP/s, ` +
    `${Math.round(speed.overheadSeconds * 1e6)} µs per step); the wall-time limit is ${formatDuration(limit)}, ` +
    `${which}. Fewer epochs, a larger batchSize or a smaller model fit`;
  throw new ApiError('VALIDATION_ERROR', `The body is invalid: ${message}`, [
    { path: own !== undefined ? '/training/maxWallSeconds' : '/training/epochs', message },
  ]);
}

/**
 * Parse the objective of a minimize job with the real parser, so a syntax error or an unknown name
 * is a 400 naming its position now, not a failed job later. The expression is never evaluated as
 * JavaScript: it becomes tensor ops.
 */
function checkObjective(spec: MinimizeJobSpec): void {
  try {
    compileObjective(spec.objective, { variables: Object.keys(spec.start) });
  } catch (err) {
    if (!(err instanceof ExprError)) throw err;
    const path = typeof spec.objective === 'string' ? '/objective' : '/objective/builtin';
    throw new ApiError('VALIDATION_ERROR', `The body is invalid: objective: ${err.message}`, [
      { path, message: err.message },
    ]);
  }
}

/** `init.weights` against the model the data implies: names and shapes. */
function checkInitWeights(spec: SupervisedJobSpec, shape: DataShape): void {
  if (!spec.init.weights) return;
  const model = modelConfigOf(spec.model);
  try {
    initialValues(
      model,
      shape.features,
      outputWidth(spec.loss, shape, spec.model.classes),
      spec.training.dtype,
      spec.init.weights,
    );
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    throw specError(err);
  }
}

/** The JobSpec schema with this deployment's limits (built once per app). */
export function specSchemaFor(deps: AppDeps) {
  return createJobSpecSchema(deps.limits);
}

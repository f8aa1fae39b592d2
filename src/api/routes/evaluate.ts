/**
 * `POST /v1/jobs/{id}/evaluate` (api-v1.1.md, "Tables"): the trained model scored on an uploaded
 * dataset, on records (features and target by column name) or on inputs and targets. Outputs come
 * from `predict` of src/models, as /predict computes them; the metrics from src/models/evaluation.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EvaluateRequestSchema, EvaluationSchema } from '../../contracts/evaluation.js';
import { JobParamsSchema, type Job } from '../../contracts/job.js';
import type { JobSpec, SupervisedJobSpec } from '../../contracts/job-spec.js';
import { ApiError, ProblemSchema, problemResponse } from '../../contracts/problem.js';
import { featureColumns } from '../../data/dataset-columns.js';
import { trainingDataset } from '../../data/table-training.js';
import { DatasetError, type Dataset } from '../../data/types.js';
import { evaluateModel, isClassification } from '../../models/evaluate.js';
import type { NamedWeights } from '../../models/index.js';
import { tenantOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import {
  applyFitted,
  classNames,
  fittedOf,
  nestedRows,
  recordsToInputs,
  targetValues,
} from '../table-inputs.js';
import { loadJob } from './jobs.js';
import type { WeightsOf } from './weights-cache.js';

/** Rows one evaluation takes, as /predict (the body limit keeps inline rows lower still). */
const MAX_EVALUATE_ROWS = 100_000;

/** The model's output width: rows of the last weight (bias or matrix). */
function outputWidth(w: NamedWeights): number {
  const names = Object.keys(w);
  return w[names[names.length - 1]].shape[0];
}

type Body =
  { datasetId: string } | { records: Record<string, unknown>[] } | { inputs: number[][]; targets: unknown[] };

/** Inputs and flat targets of the request, checked and, for tables, preprocessed. */
async function rowsOf(
  deps: AppDeps,
  job: Job,
  spec: SupervisedJobSpec,
  w: NamedWeights,
  body: Body,
  tenant: string,
): Promise<{ inputs: number[][]; y: Float64Array }> {
  const classification = isClassification(spec.loss);
  const width = outputWidth(w);
  const classes = classNames(job);
  if ('inputs' in body) {
    if (body.targets.length !== body.inputs.length)
      throw new ApiError(
        'VALIDATION_ERROR',
        `targets has ${body.targets.length} values for ${body.inputs.length} inputs; give one per input row`,
        [{ path: '/targets', message: `expected ${body.inputs.length} values, got ${body.targets.length}` }],
      );
    const y = targetValues(body.targets, { classification, width, classes, at: (i) => `/targets/${i}` });
    return { inputs: body.inputs, y };
  }
  if ('records' in body) {
    const targets = fittedOf(job)?.targets;
    const inputs = recordsToInputs(job, body.records);
    if (!targets || targets.length === 0)
      throw new ApiError(
        'VALIDATION_ERROR',
        `job ${job.id} does not name its target column; send inputs and targets`,
        [{ path: '/records', message: 'no target column to read' }],
      );
    const values = body.records.map((r, i) => {
      const missing = targets.find((t) => !(t in r) || r[t] === null);
      if (missing !== undefined)
        throw new ApiError(
          'VALIDATION_ERROR',
          `records[${i}] has no value for the target ${JSON.stringify(missing)}`,
          [{ path: `/records/${i}/${missing}`, message: 'the target is required to evaluate' }],
        );
      return targets.length === 1 ? r[targets[0]] : targets.map((t) => r[t]);
    });
    const y = targetValues(values, {
      classification,
      width,
      classes,
      at: (i) => `/records/${i}/${targets[0]}`,
    });
    return { inputs, y };
  }
  const table = await deps.datasets.loadTable(body.datasetId, tenant);
  let ds: Dataset | null;
  try {
    ds = table && trainingDataset(table, { target: spec.data.target });
  } catch (e) {
    if (!(e instanceof DatasetError)) throw e;
    throw new ApiError('VALIDATION_ERROR', e.message, [{ path: '/datasetId', message: e.message }]);
  }
  if (!ds)
    throw new ApiError('VALIDATION_ERROR', `dataset ${body.datasetId} does not exist (or was deleted)`, [
      { path: '/datasetId', message: 'no such dataset' },
    ]);
  if (ds.rows > MAX_EVALUATE_ROWS)
    throw new ApiError(
      'VALIDATION_ERROR',
      `dataset ${body.datasetId} has ${ds.rows} rows; /evaluate takes at most ${MAX_EVALUATE_ROWS}`,
      [{ path: '/datasetId', message: `at most ${MAX_EVALUATE_ROWS} rows` }],
    );
  const fitted = fittedOf(job);
  const inputs = fitted
    ? nestedRows(applyFitted(fitted, featureColumns(ds), 'datasetId'))
    : nestedRows({ x: ds.x, rows: ds.rows, width: ds.features });
  const expected = w[Object.keys(w)[0]]?.shape[1];
  if (!fitted && expected !== undefined && ds.features !== expected)
    throw new ApiError(
      'VALIDATION_ERROR',
      `dataset ${body.datasetId} has ${ds.features} features; the model takes ${expected}`,
      [{ path: '/datasetId', message: `expected ${expected} features, got ${ds.features}` }],
    );
  const expectTargets = classification ? 1 : width;
  if (ds.targets !== expectTargets)
    throw new ApiError(
      'VALIDATION_ERROR',
      `dataset ${body.datasetId} has ${ds.targets} target columns; the model needs ${expectTargets}`,
      [{ path: '/datasetId', message: `expected ${expectTargets} target columns, got ${ds.targets}` }],
    );
  // class names map to the job's class indices (another upload may list its categories otherwise)
  if (classification && ds.classNames) {
    const names = ds.classNames;
    const values = Array.from(ds.y, (v) => names[v]);
    return { inputs, y: targetValues(values, { classification, width, classes, at: () => '/datasetId' }) };
  }
  return { inputs, y: ds.y };
}

export const evaluateRoutes = (deps: AppDeps, weightsOf: WeightsOf): FastifyPluginAsyncZod =>
  async function (app) {
    app.post(
      '/jobs/:id/evaluate',
      {
        schema: {
          operationId: 'evaluate',
          summary: 'Score the trained model on labelled rows',
          description:
            '`{ "datasetId" }` (an uploaded dataset, preprocessed with the job\'s fitted statistics), `{ "records" }` (rows by column name, with the target column) or `{ "inputs", "targets" }` → `{ rows, loss, metrics, confusionMatrix?, perClass? }`: accuracy, log loss, macro / weighted F1 and ROC AUC for classification; MAE, RMSE, R² and residual quantiles for regression. Outputs are those /predict returns. Supervised jobs only.',
          params: JobParamsSchema,
          body: EvaluateRequestSchema,
          response: {
            200: EvaluationSchema,
            404: ProblemSchema,
            409: problemResponse('The job has not succeeded, or it has no supervised model'),
          },
        },
      },
      async (req) => {
        const tenant = tenantOf(req);
        const job = await loadJob(deps, req.params.id, tenant);
        const w = await weightsOf(job);
        const spec = job.spec as unknown as JobSpec;
        if (spec.task !== 'supervised')
          throw new ApiError(
            'CONFLICT',
            `evaluate scores supervised models; job ${job.id} is a ${spec.task} job`,
          );
        const { inputs, y } = await rowsOf(deps, job, spec, w.weights, req.body as Body, tenant);
        try {
          const model = spec.model as Parameters<typeof evaluateModel>[0]['model'];
          return evaluateModel(
            { model, loss: spec.loss, huberDelta: spec.huberDelta },
            w.weights,
            inputs,
            y,
            classNames(job),
          );
        } catch (err) {
          const e = err as Error & { path?: string };
          if (e.name === 'PredictInputError')
            throw new ApiError('VALIDATION_ERROR', e.message, [
              { path: e.path ?? '/inputs', message: e.message },
            ]);
          throw new ApiError('CONFLICT', `the stored weights do not fit the job's model: ${e.message}`);
        }
      },
    );
  };

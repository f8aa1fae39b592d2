import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  JobParamsSchema,
  GradientsResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
  SafetensorsSchema,
  WeightsJsonSchema,
  WeightsQuerySchema,
} from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema, problemResponse } from '../../contracts/problem.js';
import type { JobSpec } from '../../contracts/job-spec.js';
import type { NamedWeights } from '../../models/index.js';
import { nest, sha256Hex } from '../../queue/safetensors.js';
import { createWeightsCache } from './weights-cache.js';
import { evaluateRoutes } from './evaluate.js';
import { modelExportRoutes } from './model-export.js';
import { bodyInputs, classNames } from '../table-inputs.js';
import type { AppDeps } from '../deps.js';
import { jobOwnerOf, tenantOf } from '../auth.js';
import { loadJob } from './jobs.js';

export const resultRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    const weightsOf = createWeightsCache(deps);
    await app.register(evaluateRoutes(deps, weightsOf));
    await app.register(modelExportRoutes(deps, weightsOf));

    app.get(
      '/jobs/:id/weights',
      {
        schema: {
          operationId: 'getJobWeights',
          summary: 'Trained parameters (JSON or safetensors)',
          description:
            'JSON by default; `?format=safetensors` or `Accept: application/octet-stream` returns a safetensors file that loads into the equivalent torch module with `load_state_dict`. `ETag` is the sha256 of the bytes sent.',
          params: JobParamsSchema,
          querystring: WeightsQuerySchema,
          response: {
            200: {
              description:
                'The weights: JSON by default, a safetensors file with `?format=safetensors` or `Accept: application/octet-stream`',
              content: {
                'application/json': { schema: WeightsJsonSchema },
                'application/octet-stream': { schema: SafetensorsSchema },
              },
            },
            304: NoContent.describe('Not modified (If-None-Match matched the ETag)'),
            404: ProblemSchema,
            409: problemResponse('The job has not succeeded, or its weights have expired'),
          },
        },
      },
      async (req, reply) => {
        const job = await loadJob(deps, req.params.id, jobOwnerOf(req));
        const w = await weightsOf(job);
        const wantsBinary =
          req.query.format === 'safetensors' ||
          (req.query.format !== 'json' && (req.headers.accept ?? '').includes('application/octet-stream'));
        let body: Buffer;
        if (wantsBinary) {
          body = w.bytes;
          reply
            .type('application/octet-stream')
            .header('content-disposition', `attachment; filename="${job.id}.safetensors"`);
        } else {
          const dtype = Object.values(w.weights)[0]?.data instanceof Float64Array ? 'float64' : 'float32';
          const json = {
            jobId: job.id,
            dtype,
            shapes: Object.fromEntries(Object.entries(w.weights).map(([k, t]) => [k, t.shape])),
            weights: Object.fromEntries(
              Object.entries(w.weights).map(([k, t]) => [k, nest(t.data, t.shape)]),
            ),
          };
          body = Buffer.from(JSON.stringify(json));
          reply.type('application/json; charset=utf-8');
        }
        const etag = `"${wantsBinary ? w.sha : sha256Hex(body)}"`;
        reply.header('etag', etag).header('cache-control', 'private, max-age=0, must-revalidate');
        if (req.headers['if-none-match'] === etag) return reply.code(304).send();
        // A Buffer payload skips the serializer and gets an exact Content-Length.
        return reply.header('content-length', body.length).send(body as never);
      },
    );

    app.post(
      '/jobs/:id/predict',
      {
        schema: {
          operationId: 'predict',
          summary: 'Run the trained model on inputs',
          description:
            '`{ "inputs": number[][] }` or, for a job trained on an uploaded table, `{ "records": [{ "<column>": value }] }` (the job\'s fitted preprocessing applied) → `{ "outputs": number[][] }`; classification adds `classes` (argmax, or 0/1 for bce) and `labels` when the classes have names.',
          params: JobParamsSchema,
          body: PredictRequestSchema,
          response: {
            200: PredictResponseSchema,
            404: ProblemSchema,
            409: problemResponse('The job has not succeeded, or its model cannot answer this'),
          },
        },
      },
      async (req) => {
        const job = await loadJob(deps, req.params.id, tenantOf(req));
        const w = await weightsOf(job);
        const spec = job.spec as unknown as JobSpec;
        if (spec.task === 'minimize')
          throw new ApiError(
            'CONFLICT',
            `job ${job.id} is a minimize job: it has no model to predict with (its result and weights hold the point found)`,
          );
        const inputs = bodyInputs(job, req.body);
        // A sequential model's row holds prod(input) values; a dense model's is its first weight's width.
        const expected =
          spec.task === 'supervised' && spec.model.type === 'sequential'
            ? spec.model.input.reduce((a, b) => a * b, 1)
            : w.weights[firstWeightName(w.weights)]?.shape[1];
        const bad = inputs.findIndex(
          (row) => row.length !== expected || row.some((v) => !Number.isFinite(v)),
        );
        if (expected !== undefined && bad >= 0)
          throw new ApiError(
            'VALIDATION_ERROR',
            `inputs[${bad}] must hold ${expected} finite numbers (the model's features)`,
            [
              {
                path: `/inputs/${bad}`,
                message: `expected ${expected} finite numbers, got ${inputs[bad].length}`,
              },
            ],
          );
        try {
          const out = deps.predict(spec, w.weights, inputs);
          if (!out.classes) return { outputs: out.outputs };
          const names = classNames(job);
          return {
            outputs: out.outputs,
            classes: out.classes,
            ...(names ? { labels: out.classes.map((c) => names[c]) } : {}),
          };
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

    app.post(
      '/jobs/:id/gradients',
      {
        schema: {
          operationId: 'inputGradients',
          summary: 'Sensitivity of the outputs to the inputs (the Jacobian), per sample',
          description:
            '`{ "inputs": number[][] }` → `{ "outputs", "jacobian" }` with `jacobian[i][k][j] = ∂outputs[i][k]/∂inputs[i][j]` for the outputs /predict returns (probabilities for classification). Supervised jobs only.',
          params: JobParamsSchema,
          body: PredictRequestSchema,
          response: {
            200: GradientsResponseSchema,
            404: ProblemSchema,
            409: problemResponse('The job has not succeeded, or its model cannot answer this'),
          },
        },
      },
      async (req) => {
        const job = await loadJob(deps, req.params.id, tenantOf(req));
        const w = await weightsOf(job);
        const spec = job.spec as unknown as JobSpec;
        if (spec.task !== 'supervised')
          throw new ApiError(
            'CONFLICT',
            `gradients serve supervised models; job ${job.id} is a ${spec.task} job`,
          );
        const field = 'inputs' in req.body ? 'inputs' : 'records';
        const rows = 'inputs' in req.body ? req.body.inputs.length : req.body.records.length;
        if (rows > 10_000)
          throw new ApiError(
            'VALIDATION_ERROR',
            `${field} has ${rows} rows; the limit for gradients is 10000`,
            [{ path: `/${field}`, message: 'at most 10000 rows' }],
          );
        const inputs = bodyInputs(job, req.body);
        try {
          return deps.gradients(spec, w.weights, inputs);
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

/** The first layer's weight matrix ([out, in]) tells the input width. */
function firstWeightName(w: NamedWeights): string {
  return Object.keys(w).find((k) => k.endsWith('weight') && w[k].shape.length === 2) ?? Object.keys(w)[0];
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  JobParamsSchema,
  GradientsResponseSchema,
  PredictRequestSchema,
  PredictResponseSchema,
  SafetensorsSchema,
  WeightsJsonSchema,
  WeightsQuerySchema,
  type Job,
} from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema, problemResponse } from '../../contracts/problem.js';
import type { JobSpec } from '../../contracts/job-spec.js';
import type { NamedWeights } from '../../models/index.js';
import { decodeSafetensors, nest, sha256Hex } from '../../queue/safetensors.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';
import { loadJob } from './jobs.js';

function notYet(job: Job): ApiError {
  return new ApiError(
    'CONFLICT',
    job.status === 'succeeded'
      ? `Job ${job.id} succeeded but its weights have expired.`
      : `Job ${job.id} is ${job.status}; weights exist only once it has succeeded.`,
  );
}

/** Weights of a succeeded job as stored (safetensors bytes) and decoded, cached by sha256 in process. */
function createWeightsCache(deps: AppDeps) {
  const cache = new Map<string, { bytes: Buffer; weights: NamedWeights; sha: string }>();
  return async (job: Job) => {
    if (job.status !== 'succeeded') throw notYet(job);
    const hit = cache.get(job.id);
    if (hit) return hit;
    const bytes = await deps.jobs.weights(job.id);
    if (!bytes) throw notYet(job);
    const entry = { bytes, weights: decodeSafetensors(bytes).weights, sha: sha256Hex(bytes) };
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
    cache.set(job.id, entry);
    return entry;
  };
}

export const resultRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    const weightsOf = createWeightsCache(deps);

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
        const job = await loadJob(deps, req.params.id, tenantOf(req));
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
            '`{ "inputs": number[][] }` → `{ "outputs": number[][] }`; classification adds `classes` (argmax, or 0/1 for bce).',
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
        const inputs = req.body.inputs;
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
          return out.classes ? { outputs: out.outputs, classes: out.classes } : { outputs: out.outputs };
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
        if (req.body.inputs.length > 10_000)
          throw new ApiError(
            'VALIDATION_ERROR',
            `inputs has ${req.body.inputs.length} rows; the limit for gradients is 10000`,
            [{ path: '/inputs', message: 'at most 10000 rows' }],
          );
        try {
          return deps.gradients(spec, w.weights, req.body.inputs);
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

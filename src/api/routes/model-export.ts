/**
 * `GET /v1/jobs/{id}/model`: the trained model as a file that runs elsewhere — ONNX
 * (`?format=onnx`, or `Accept: application/onnx`) or a Python file with the torch.nn.Module
 * (`?format=torch`, or `Accept: text/x-python`), built by src/export from the job's spec, fitted
 * preprocessing and stored weights. As /weights: 409 before the job has succeeded, an ETag (sha256
 * of the bytes), an exact Content-Length, 304 on If-None-Match. A job without a model to export
 * (minimize) gets a 409 naming why, never a partial file.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Job } from '../../contracts/job.js';
import { JobParamsSchema, ModelQuerySchema, OnnxModelSchema, TorchModelSchema } from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema, problemResponse } from '../../contracts/problem.js';
import { NotExportableError } from '../../export/exportable.js';
import { exportOnnx } from '../../export/onnx-model.js';
import { exportTorch } from '../../export/torch-file.js';
import { sha256Hex } from '../../queue/safetensors.js';
import type { AppDeps } from '../deps.js';
import { jobOwnerOf } from '../auth.js';
import { fittedOf } from '../table-inputs.js';
import type { WeightsOf } from './weights-cache.js';
import { loadJob } from './jobs.js';

/** Bytes of exported files kept in memory per API process. */
const CACHE_BYTES = 64 * 1024 * 1024;

/** JSON with object keys sorted, so the spec hash does not depend on key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** The export of one job in one format, built once per weights file (the bytes are deterministic). */
function buildExport(job: Job, format: 'onnx' | 'torch', weights: Awaited<ReturnType<WeightsOf>>): Buffer {
  const base = {
    id: job.id,
    spec: job.spec as never,
    specHash: sha256Hex(Buffer.from(canonicalJson(job.spec))),
    metrics: job.result?.metrics ?? {},
    preprocessing: fittedOf(job),
  };
  try {
    if (format === 'onnx') return Buffer.from(exportOnnx({ ...base, version: 'v1' }, weights.weights));
    return Buffer.from(exportTorch(base, weights.weights), 'utf8');
  } catch (e) {
    if (e instanceof NotExportableError) throw new ApiError('CONFLICT', e.message);
    throw new ApiError('CONFLICT', `job ${job.id}'s model could not be exported: ${(e as Error).message}`);
  }
}

export const modelExportRoutes = (deps: AppDeps, weightsOf: WeightsOf): FastifyPluginAsyncZod =>
  async function (app) {
    // Exports are deterministic, so they are kept (oldest out first) up to a byte budget: a large
    // model's file is about the size of its weights.
    const cache = new Map<string, Buffer>();
    let cached = 0;
    const remember = (key: string, body: Buffer) => {
      if (body.length > CACHE_BYTES) return;
      cache.set(key, body);
      cached += body.length;
      for (const [k, v] of cache) {
        if (cached <= CACHE_BYTES) break;
        cache.delete(k);
        cached -= v.length;
      }
    };
    app.get(
      '/jobs/:id/model',
      {
        schema: {
          operationId: 'getJobModel',
          summary: 'The trained model as ONNX or as a PyTorch module',
          description:
            "ONNX by default (`?format=onnx` or `Accept: application/onnx`): the whole inference graph — the job's table preprocessing, every layer, the output /predict returns (Softmax / Sigmoid probabilities for classification, raw values for regression) — opset 17, input `input` with a dynamic batch dimension, output `output`. `?format=torch` (or `Accept: text/x-python`): a self-contained Python file defining the equivalent `torch.nn.Module`, whose `load_state_dict(strict=True)` takes the safetensors of `/weights`. `ETag` is the sha256 of the bytes sent. docs/export.md has the details.",
          params: JobParamsSchema,
          querystring: ModelQuerySchema,
          response: {
            200: {
              description: 'The model file',
              content: {
                'application/onnx': { schema: OnnxModelSchema },
                'text/x-python': { schema: TorchModelSchema },
              },
            },
            304: NoContent.describe('Not modified (If-None-Match matched the ETag)'),
            400: ProblemSchema,
            404: ProblemSchema,
            409: problemResponse(
              'The job has not succeeded, its weights have expired, or it has no model to export (the detail says why)',
            ),
          },
        },
      },
      async (req, reply) => {
        const job = await loadJob(deps, req.params.id, jobOwnerOf(req));
        const w = await weightsOf(job);
        const format =
          req.query.format ?? ((req.headers.accept ?? '').includes('text/x-python') ? 'torch' : 'onnx');
        const key = `${job.id}:${format}:${w.sha}`;
        let body = cache.get(key);
        if (!body) {
          body = buildExport(job, format, w);
          remember(key, body);
        }
        const etag = `"${sha256Hex(body)}"`;
        reply
          .type(format === 'onnx' ? 'application/onnx' : 'text/x-python; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${job.id}.${format === 'onnx' ? 'onnx' : 'py'}"`,
          )
          .header('etag', etag)
          .header('cache-control', 'private, max-age=0, must-revalidate');
        if (req.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.header('content-length', body.length).send(body as never);
      },
    );
  };

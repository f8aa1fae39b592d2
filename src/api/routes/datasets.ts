import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, ProblemSchema } from '../../contracts/problem.js';
import { DatasetError, listBuiltins, parseCsv, parseJsonDataset, type Dataset } from '../../data/index.js';
import { newId } from '../../queue/ids.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';

export const DatasetInfoSchema = z
  .object({
    id: z.string().meta({ example: 'ds_0mif3k2a1x7d9q2zk4' }),
    object: z.literal('dataset'),
    name: z.string(),
    rows: z.number().int(),
    features: z.number().int(),
    targets: z.number().int(),
    classes: z.number().int().nullable(),
    featureNames: z.array(z.string()).nullable(),
    targetNames: z.array(z.string()).nullable(),
    labels: z.object({ integer: z.boolean(), min: z.number(), max: z.number() }),
    sha256: z.string(),
    bytes: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: 'DatasetInfo' });

const UploadJsonSchema = z
  .object({
    x: z.array(z.array(z.number())).min(1),
    y: z.union([z.array(z.number()), z.array(z.array(z.number()))]),
    featureNames: z.array(z.string().max(256)).optional(),
    targetNames: z.array(z.string().max(256)).optional(),
  })
  .strict()
  .meta({ id: 'DatasetUpload' });

const UploadQuerySchema = z.object({
  target: z.string().min(1).max(4096).optional().meta({ description: 'CSV target column(s), comma-separated; default: the last column' }),
  name: z.string().min(1).max(256).optional(),
});

const DatasetParamsSchema = z.object({ id: z.string().min(1).max(64) });

function datasetProblem(err: unknown): never {
  if (err instanceof DatasetError) {
    const path = err.column ? `/${err.column}` : '/';
    throw new ApiError(err.code === 'TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR', err.message, [{ path, message: err.message }]);
  }
  throw err;
}

export const datasetRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    const parseLimits = {
      maxRows: deps.limits.maxDatasetRows,
      maxColumns: deps.limits.maxFeatures + deps.limits.maxTargets,
      maxBytes: Math.min(deps.limits.maxDatasetBytes, deps.cfg.datasetBodyLimit),
    };

    app.post(
      '/datasets',
      {
        bodyLimit: deps.cfg.datasetBodyLimit,
        schema: {
          operationId: 'uploadDataset',
          summary: 'Upload a dataset (CSV or JSON)',
          description:
            '`Content-Type: text/csv`: a header row, every cell a number; `?target=<column>` names the target column(s) (default: the last). `application/json`: `{ "x": number[][], "y": number[] | number[][] }`.',
          consumes: ['application/json', 'text/csv'],
          querystring: UploadQuerySchema,
          body: z.union([z.string().meta({ description: 'CSV text' }), UploadJsonSchema]),
          response: { 201: DatasetInfoSchema, 400: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema },
        },
      },
      async (req, reply) => {
        const body = req.body;
        let ds: Dataset;
        try {
          if (typeof body === 'string') {
            const target = req.query.target?.includes(',') ? req.query.target.split(',').map((s) => s.trim()) : req.query.target;
            ds = parseCsv(body, { ...parseLimits, target, name: req.query.name ?? 'csv' });
          } else {
            ds = parseJsonDataset(body, { maxRows: parseLimits.maxRows, maxColumns: parseLimits.maxColumns, name: req.query.name ?? 'json' });
          }
        } catch (err) {
          datasetProblem(err);
        }
        if (ds.features > deps.limits.maxFeatures)
          throw new ApiError('VALIDATION_ERROR', `the dataset has ${ds.features} features; the limit is ${deps.limits.maxFeatures}`);
        const info = await deps.datasets.save(newId('ds'), tenantOf(req), ds);
        return reply.code(201).header('location', `/v1/datasets/${info.id}`).send(info);
      },
    );

    app.get(
      '/datasets/builtin',
      {
        schema: {
          operationId: 'listBuiltinDatasets',
          summary: 'Built-in datasets with their shapes and task',
          response: {
            200: z.object({
              data: z.array(
                z.object({
                  name: z.string(),
                  rows: z.number().int(),
                  features: z.number().int(),
                  targets: z.number().int(),
                  task: z.enum(['classification', 'regression']),
                  classes: z.number().int().optional(),
                  classNames: z.array(z.string()).optional(),
                  featureNames: z.array(z.string()),
                  targetNames: z.array(z.string()),
                  description: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async () => ({ data: listBuiltins() }),
    );

    app.get(
      '/datasets/:id',
      {
        schema: {
          operationId: 'getDataset',
          summary: "One dataset's description",
          params: DatasetParamsSchema,
          response: { 200: DatasetInfoSchema, 404: ProblemSchema },
        },
      },
      async (req) => {
        const info = await deps.datasets.describe(req.params.id, tenantOf(req));
        if (!info) throw new ApiError('NOT_FOUND', `Dataset ${req.params.id} does not exist.`);
        return info;
      },
    );

    app.delete(
      '/datasets/:id',
      {
        schema: {
          operationId: 'deleteDataset',
          summary: 'Delete a dataset',
          description: 'Jobs already queued with it fail with DATA_ERROR when they start.',
          params: DatasetParamsSchema,
          response: { 204: z.null(), 404: ProblemSchema },
        },
      },
      async (req, reply) => {
        if (!(await deps.datasets.remove(req.params.id, tenantOf(req)))) throw new ApiError('NOT_FOUND', `Dataset ${req.params.id} does not exist.`);
        return reply.code(204).send(null);
      },
    );
  };

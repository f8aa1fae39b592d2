import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BuiltinDatasetListSchema,
  DatasetDescriptionSchema,
  DatasetIdSchema,
  DatasetListSchema,
  ListDatasetsQuerySchema,
  createDatasetSchemas,
  type DatasetDescription,
} from '../../contracts/dataset.js';
import { ApiError, NoContent, ProblemSchema } from '../../contracts/problem.js';
import { DatasetError, listBuiltins, parseCsv, parseJsonDataset, type Dataset } from '../../data/index.js';
import { newId } from '../../queue/ids.js';
import type { DatasetInfo } from '../../queue/dataset-store.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';
import { jsonResponse } from '../openapi-document.js';

const DatasetParamsSchema = z.object({ id: DatasetIdSchema });

/** The stored description in the contract's shape (optional fields omitted rather than null). */
function describe(info: DatasetInfo): DatasetDescription {
  return {
    id: info.id,
    object: 'dataset',
    name: info.name,
    ...(info.format ? { format: info.format } : {}),
    rows: info.rows,
    features: info.features,
    targets: info.targets,
    sha256: info.sha256,
    bytes: info.bytes,
    createdAt: info.createdAt,
    ...(info.featureNames ? { featureNames: info.featureNames } : {}),
    ...(info.targetNames ? { targetNames: info.targetNames } : {}),
    labels: info.labels,
  };
}

function datasetProblem(err: unknown): never {
  if (err instanceof DatasetError) {
    const path = err.column ? `/${err.column}` : '/';
    throw new ApiError(err.code === 'TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_ERROR', err.message, [
      { path, message: err.message },
    ]);
  }
  throw err;
}

export const datasetRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    // This deployment's limits (DESCENT_LIMIT_*), for the query as for the body.
    const { DatasetUploadJsonSchema, CsvUploadQuerySchema } = createDatasetSchemas(deps.limits);
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
          querystring: CsvUploadQuerySchema,
          body: z.union([z.string().describe('CSV text with a header row'), DatasetUploadJsonSchema]),
          response: { 201: jsonResponse(DatasetDescriptionSchema, 'Stored') },
        },
      },
      async (req, reply) => {
        const body = req.body;
        let ds: Dataset;
        const csv = typeof body === 'string';
        try {
          if (csv) {
            const target = req.query.target?.includes(',')
              ? req.query.target.split(',').map((s) => s.trim())
              : req.query.target;
            ds = parseCsv(body, { ...parseLimits, target, name: req.query.name ?? 'csv' });
          } else {
            ds = parseJsonDataset(body, {
              maxRows: parseLimits.maxRows,
              maxColumns: parseLimits.maxColumns,
              name: req.query.name ?? 'json',
            });
          }
        } catch (err) {
          datasetProblem(err);
        }
        if (ds.features > deps.limits.maxFeatures)
          throw new ApiError(
            'VALIDATION_ERROR',
            `the dataset has ${ds.features} features; the limit is ${deps.limits.maxFeatures}`,
          );
        const bytes = Number(req.headers['content-length'] ?? 0) || undefined;
        const info = await deps.datasets.save(newId('ds'), tenantOf(req), ds, {
          format: csv ? 'csv' : 'json',
          bytes,
        });
        return reply.code(201).header('location', `/v1/datasets/${info.id}`).send(describe(info));
      },
    );

    app.get(
      '/datasets',
      {
        schema: {
          operationId: 'listDatasets',
          summary: "The tenant's uploaded datasets, newest first",
          description: 'Cursor pages: `limit` (1–100, default 20) and `after` = the previous `nextCursor`.',
          querystring: ListDatasetsQuerySchema,
          response: { 200: DatasetListSchema },
        },
      },
      async (req) => {
        const page = await deps.datasets.list(tenantOf(req), req.query);
        return { ...page, data: page.data.map(describe) };
      },
    );

    app.get(
      '/datasets/builtin',
      {
        schema: {
          operationId: 'listBuiltinDatasets',
          summary: 'Built-in datasets with their shapes and task',
          response: { 200: BuiltinDatasetListSchema },
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
          response: { 200: DatasetDescriptionSchema, 404: ProblemSchema },
        },
      },
      async (req) => {
        const info = await deps.datasets.describe(req.params.id, tenantOf(req));
        if (!info) throw new ApiError('NOT_FOUND', `Dataset ${req.params.id} does not exist.`);
        return describe(info);
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
          response: { 204: NoContent.describe('Deleted'), 404: ProblemSchema },
        },
      },
      async (req, reply) => {
        if (!(await deps.datasets.remove(req.params.id, tenantOf(req))))
          throw new ApiError('NOT_FOUND', `Dataset ${req.params.id} does not exist.`);
        return reply.code(204).send();
      },
    );
  };

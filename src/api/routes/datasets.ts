import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BuiltinDatasetListSchema,
  DatasetDescriptionSchema,
  DatasetIdSchema,
  DatasetListSchema,
  ListDatasetsQuerySchema,
  createDatasetSchemas,
  parseTypesParam,
  type DatasetDescription,
} from '../../contracts/dataset.js';
import { ApiError, NoContent, ProblemSchema } from '../../contracts/problem.js';
import { listBuiltins, parseJsonDataset } from '../../data/index.js';
import { datasetToTable, parseRecordsTable, summarizeColumn, type Table } from '../../data/table/index.js';
import { newId } from '../../queue/ids.js';
import type { DatasetInfo } from '../../queue/dataset-store.js';
import type { AppDeps } from '../deps.js';
import { tenantOf } from '../auth.js';
import { jsonResponse } from '../openapi-document.js';
import { PARQUET_MEDIA_TYPE, datasetProblem, uploadedTable } from '../table-upload.js';

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
    ...(info.columns ? { columns: info.columns } : {}),
  };
}

export const datasetRoutes = (deps: AppDeps): FastifyPluginAsyncZod =>
  async function (app) {
    // This deployment's limits (DESCENT_LIMIT_*), for the query as for the body.
    const { DatasetUploadJsonSchema, RecordsUploadSchema, CsvUploadQuerySchema } = createDatasetSchemas(
      deps.limits,
    );
    const tableLimits = {
      maxRows: deps.limits.maxDatasetRows,
      maxColumns: deps.limits.maxFeatures + deps.limits.maxTargets,
      maxCellLength: deps.limits.maxJsonStringLength,
    };

    app.post(
      '/datasets',
      {
        bodyLimit: deps.cfg.datasetBodyLimit,
        schema: {
          operationId: 'uploadDataset',
          summary: 'Upload a dataset (CSV, JSON records, JSON {x, y} or Parquet)',
          description:
            'A table with typed columns: `text/csv` (a header row), `application/json` records `[{ "col": value, … }]`, or `' +
            PARQUET_MEDIA_TYPE +
            '`. Each column is inferred `numeric`, `categorical` or `boolean` (missing: empty, NA, NaN, null); `?types=col:categorical,…` declares types, `?target=<column>` names the target column(s) (default: the last). ' +
            'CSV is streamed: the body is parsed as it arrives and stored in column chunks. `application/json` `{ "x": number[][], "y": number[] | number[][] }` is the numeric form of before. ' +
            'The response lists every column with its type, missing count and statistics (numeric: mean, population std, min, max; categorical: the 50 most frequent categories).',
          consumes: ['application/json', 'text/csv', PARQUET_MEDIA_TYPE],
          querystring: CsvUploadQuerySchema,
          body: z.union([
            z.string().describe('CSV text with a header row, or a Parquet file'),
            DatasetUploadJsonSchema,
            RecordsUploadSchema,
          ]),
          response: { 201: jsonResponse(DatasetDescriptionSchema, 'Stored') },
        },
      },
      async (req, reply) => {
        const body = req.body;
        const upload = uploadedTable(req);
        const contentLength = Number(req.headers['content-length'] ?? 0) || undefined;
        let table: Table;
        let format: 'csv' | 'json' | 'parquet';
        let bytes: number | undefined;
        let names: { featureNames?: string[]; targetNames?: string[] };
        try {
          if (upload) {
            ({ table, format, bytes } = upload);
            names = {};
          } else if (Array.isArray(body)) {
            const target = req.query.target?.includes(',')
              ? req.query.target.split(',').map((s) => s.trim())
              : req.query.target;
            table = parseRecordsTable(body, {
              name: req.query.name ?? 'json',
              target,
              types: parseTypesParam(req.query.types),
              limits: tableLimits,
              maxNameLength: deps.limits.maxStringLength,
            });
            format = 'json';
            bytes = contentLength;
            names = {};
          } else if (typeof body === 'object' && body !== null) {
            const ds = parseJsonDataset(body, {
              maxRows: deps.limits.maxDatasetRows,
              maxColumns: deps.limits.maxFeatures + deps.limits.maxTargets,
              name: req.query.name ?? 'json',
            });
            table = datasetToTable(ds, parseTypesParam(req.query.types));
            format = 'json';
            // As before: the upload's size, else the stored bytes.
            bytes = contentLength ?? (ds.x.length + ds.y.length) * 8;
            names = { featureNames: ds.featureNames, targetNames: ds.targetNames };
          } else {
            throw new ApiError(
              'VALIDATION_ERROR',
              'The body is invalid: send a CSV (text/csv), JSON records [{…}], JSON { "x", "y" } or a Parquet file',
              [{ path: '/', message: 'expected a table' }],
            );
          }
        } catch (err) {
          datasetProblem(err);
        }
        const features = table.columns.length - table.target.length;
        if (features > deps.limits.maxFeatures)
          throw new ApiError(
            'VALIDATION_ERROR',
            `the dataset has ${features} features; the limit is ${deps.limits.maxFeatures}`,
          );
        if (format !== 'json' || Array.isArray(body)) {
          // Tables always describe their column names (as CSV uploads did before types).
          const isTarget = new Set(table.target);
          names = {
            featureNames: table.columns.filter((c) => !isTarget.has(c.name)).map((c) => c.name),
            targetNames: table.target,
          };
        }
        const info = await deps.datasets.saveTable(newId('ds'), tenantOf(req), table, {
          format,
          bytes,
          columns: table.columns.map(summarizeColumn),
          ...names,
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

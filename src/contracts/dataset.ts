/**
 * Dataset schemas: the JSON upload body of `POST /v1/datasets`, the CSV upload query, the description
 * returned by `POST /v1/datasets` and `GET /v1/datasets/{id}`, and the built-in list of
 * `GET /v1/datasets/builtin`.
 */
// Installs the contracts' validation messages (did-you-mean, Required, union variants).
import './messages.js';
import { z } from 'zod';
import { BUILTIN_DATASET_NAMES } from './job-spec.js';
import { DEFAULT_LIMITS, countOf, limitMessage, type Limits } from './limits.js';
import { checkXYShape, ONLY_CLEAN } from './xy-shape.js';

function buildDatasetSchemas(L: Readonly<Limits>) {
  const row = z.array(z.number());
  const names = (what: string) =>
    z
      .array(
        z.string().max(L.maxStringLength, {
          error: (iss) =>
            limitMessage(
              `a ${what} name has`,
              `${(iss.input as string).length} characters`,
              L,
              'maxStringLength',
            ),
        }),
      )
      .optional();

  const DatasetUploadJsonSchema = z
    .strictObject({
      x: z
        .array(row)
        .min(1, { error: 'x needs at least one row' })
        .max(L.maxDatasetRows, {
          error: (iss) =>
            limitMessage('x has', `${(iss.input as unknown[]).length} rows`, L, 'maxDatasetRows'),
        })
        .describe('Features, one array per row (all rows the same length).'),
      y: z
        .array(z.union([z.number(), row]))
        .describe('Targets: a number per row, or an array per row for several target columns.'),
      featureNames: names('feature').describe('Optional names of the feature columns.'),
      targetNames: names('target').describe('Optional names of the target columns.'),
    })
    .superRefine((d, ctx) => {
      const shape = checkXYShape(d, L, ctx);
      if (!shape) return;
      const { features, targets } = shape;
      if (d.featureNames && d.featureNames.length !== features) {
        ctx.addIssue({
          code: 'custom',
          path: ['featureNames'],
          message: `featureNames has ${d.featureNames.length} names but x has ${countOf(features, 'column')}`,
        });
      }
      if (d.targetNames && d.targetNames.length !== targets) {
        ctx.addIssue({
          code: 'custom',
          path: ['targetNames'],
          message: `targetNames has ${d.targetNames.length} names but y has ${countOf(targets, 'column')}`,
        });
      }
    }, ONLY_CLEAN)
    .describe('A dataset as JSON: { "x": number[][], "y": number[] | number[][] }.');

  const RecordsUploadSchema = z
    .array(z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])))
    .min(1, { error: 'the records array needs at least one record' })
    .max(L.maxDatasetRows, {
      error: (iss) =>
        limitMessage('the body has', `${(iss.input as unknown[]).length} records`, L, 'maxDatasetRows'),
    })
    .describe(
      'A table as JSON records: [{ "col": value, … }]; the columns are the first record\'s keys, values numbers, strings, booleans or null (missing).',
    );

  const CsvUploadQuerySchema = z
    .strictObject({
      types: z
        .string()
        .max(L.maxJsonStringLength, {
          error: (iss) =>
            limitMessage('types has', `${(iss.input as string).length} characters`, L, 'maxJsonStringLength'),
        })
        .superRefine((s, ctx) => {
          const err = typesParamError(s);
          if (err) ctx.addIssue({ code: 'custom', message: err });
        })
        .optional()
        .describe(
          'Declared column types: `col:categorical,col2:numeric,col3:boolean` (the type after the last `:`); every other column is inferred.',
        ),
      target: z
        .string()
        .min(1)
        .max(L.maxStringLength, {
          error: (iss) =>
            limitMessage('target has', `${(iss.input as string).length} characters`, L, 'maxStringLength'),
        })
        .optional()
        .describe('Target column name (comma-separated for several); default: the last column.'),
      name: z
        .string()
        .min(1)
        .max(L.maxStringLength, {
          error: (iss) =>
            limitMessage('name has', `${(iss.input as string).length} characters`, L, 'maxStringLength'),
        })
        .optional()
        .describe('A name to remember the dataset by.'),
    })
    .describe('Query of a CSV upload (Content-Type: text/csv, header row required).');

  return { DatasetUploadJsonSchema, RecordsUploadSchema, CsvUploadQuerySchema };
}

/** The column types of a typed upload. */
export const ColumnTypeSchema = z
  .enum(['numeric', 'categorical', 'boolean'])
  .describe(
    'numeric: numbers; categorical: strings (or integers declared so); boolean: true/false, yes/no (0/1 declared so).',
  );
export type ColumnTypeName = z.output<typeof ColumnTypeSchema>;

/** Entries of `?types=`: `[column, type]` pairs, or a message naming the bad entry. */
function typesEntries(s: string): [string, string][] | string {
  const out: [string, string][] = [];
  for (const raw of s.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.lastIndexOf(':');
    if (at <= 0) return `types entry ${JSON.stringify(entry)} is not column:type (e.g. species:categorical)`;
    out.push([entry.slice(0, at).trim(), entry.slice(at + 1).trim()]);
  }
  return out;
}

/** Why a `?types=` value is refused (unknown type, repeated column, malformed entry), or null. */
function typesParamError(s: string): string | null {
  const entries = typesEntries(s);
  if (typeof entries === 'string') return entries;
  const seen = new Set<string>();
  for (const [col, type] of entries) {
    if (!ColumnTypeSchema.options.includes(type as ColumnTypeName))
      return `types gives column ${JSON.stringify(col)} the type ${JSON.stringify(type)}; the types are numeric, categorical and boolean`;
    if (seen.has(col)) return `types names column ${JSON.stringify(col)} twice`;
    seen.add(col);
  }
  return null;
}

/** `?types=` as a map from column name to type (the query schema has already refused a bad one). */
export function parseTypesParam(s: string | undefined): Record<string, ColumnTypeName> {
  const out: Record<string, ColumnTypeName> = {};
  if (s === undefined) return out;
  const entries = typesEntries(s);
  if (typeof entries === 'string' || typesParamError(s)) return out;
  for (const [col, type] of entries) out[col] = type as ColumnTypeName;
  return out;
}

/** Dataset schemas for a set of limits (a service with env-overridden limits builds its own). */
export function createDatasetSchemas(limits: Readonly<Limits> = DEFAULT_LIMITS) {
  return buildDatasetSchemas(limits);
}

const defaults = buildDatasetSchemas(DEFAULT_LIMITS);

/** JSON upload body of `POST /v1/datasets`. */
export const DatasetUploadJsonSchema = defaults.DatasetUploadJsonSchema;
export type DatasetUploadJson = z.output<typeof DatasetUploadJsonSchema>;

/** Query string of an upload: `?target=<column>&types=…&name=…`. */
export const CsvUploadQuerySchema = defaults.CsvUploadQuerySchema;
export type CsvUploadQuery = z.output<typeof CsvUploadQuerySchema>;

/** Dataset ids: `ds_` and letters, digits, `_` or `-`. */
export const DatasetIdSchema = z
  .string()
  .regex(/^ds_[A-Za-z0-9_-]+$/, { error: 'dataset ids look like "ds_…"' })
  .max(DEFAULT_LIMITS.maxStringLength)
  .describe('Dataset id, e.g. "ds_3f9a…".');

/** What validation needs about the targets: integer labels? and their range (min ≤ max). */
export const LabelSummarySchema = z
  .strictObject({
    integer: z
      .boolean()
      .describe('Every target value is an integer (the dataset can serve as class labels).'),
    min: z.number().describe('Smallest target value.'),
    max: z.number().describe('Largest target value.'),
  })
  .describe('Summary of the target values.');
export type LabelSummary = z.output<typeof LabelSummarySchema>;

/** One column of a dataset's description. */
export const ColumnSummarySchema = z
  .strictObject({
    name: z.string(),
    type: ColumnTypeSchema,
    missing: z.int().min(0).describe('Missing values (empty, NA, NaN, null).'),
    mean: z
      .number()
      .optional()
      .describe('Numeric and boolean columns: mean of the present values (boolean: share of true).'),
    std: z
      .number()
      .optional()
      .describe(
        'Population standard deviation (divide by n, as scikit-learn StandardScaler) of the present values.',
      ),
    min: z.number().optional(),
    max: z.number().optional(),
    distinct: z.int().min(0).optional().describe('Categorical columns: how many categories.'),
    categories: z
      .array(z.strictObject({ value: z.string(), count: z.int().min(1) }))
      .optional()
      .describe(
        'Categorical columns: the 50 most frequent categories with their counts, most frequent first.',
      ),
  })
  .meta({ id: 'ColumnSummary', description: 'A column of an uploaded table.' });

/** Response of `POST /v1/datasets` (201) and `GET /v1/datasets/{id}`. */
export const DatasetDescriptionSchema = z
  .strictObject({
    id: DatasetIdSchema,
    object: z.literal('dataset').default('dataset'),
    name: z.string().optional().describe('Name given at upload.'),
    format: z.enum(['csv', 'json', 'parquet']).optional().describe('Upload format.'),
    rows: z.int().min(1).describe('Data rows.'),
    features: z.int().min(1).describe('Feature columns.'),
    targets: z.int().min(1).describe('Target columns.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'sha256 is 64 lowercase hex digits' })
      .describe('SHA-256 of the stored dataset bytes, hex.'),
    bytes: z.int().min(0).optional().describe('Size of the upload in bytes.'),
    createdAt: z.iso.datetime().describe('Upload time, ISO-8601 UTC.'),
    featureNames: z
      .array(z.string())
      .optional()
      .describe('Feature column names (CSV header, or given in JSON).'),
    targetNames: z.array(z.string()).optional().describe('Target column names.'),
    labels: LabelSummarySchema.optional(),
    columns: z
      .array(ColumnSummarySchema)
      .optional()
      .describe(
        'Every column, features and targets, in file order (upload response, `GET /v1/datasets/{id}` and lists).',
      ),
  })
  .meta({ id: 'Dataset', description: 'An uploaded dataset.' });
export type DatasetDescription = z.output<typeof DatasetDescriptionSchema>;

/** Response of `GET /v1/datasets`: one page of the tenant's uploads, newest first. */
export const DatasetListSchema = z
  .strictObject({
    data: z.array(DatasetDescriptionSchema),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable().describe('Pass as `after` for the next page; null on the last.'),
  })
  .meta({ id: 'DatasetList', description: "A page of the tenant's datasets." });
export type DatasetList = z.output<typeof DatasetListSchema>;

/** Query of `GET /v1/datasets`. */
export const ListDatasetsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z
    .string()
    .max(64)
    .regex(/^ds_[0-9A-Za-z_-]{8,60}$/, {
      error: (iss) =>
        `expected the nextCursor of a previous page (a dataset id such as ds_0mx76uarq0005uaii76t6l), got ${JSON.stringify(iss.input)}`,
    })
    .optional()
    .describe('nextCursor of the previous page'),
});

/** One entry of `GET /v1/datasets/builtin`. */
export const BuiltinDatasetSchema = z
  .strictObject({
    name: z.enum(BUILTIN_DATASET_NAMES).describe('Use as JobSpec data: { "builtin": name }.'),
    rows: z.int().min(1),
    features: z.int().min(1),
    targets: z.int().min(1),
    task: z.enum(['classification', 'regression']),
    classes: z.int().min(2).optional().describe('Class count of a classification set.'),
    classNames: z.array(z.string()).optional().describe('Names of classes 0, 1, …'),
    featureNames: z.array(z.string()),
    targetNames: z.array(z.string()),
    description: z.string(),
    input: z
      .array(z.int().min(1))
      .min(1)
      .describe(
        'Suggested model.input of a sequential model: the shape one row is reshaped to, e.g. [1, 8, 8].',
      ),
    source: z.string().describe('Citation of real data, or the generator of synthetic data.'),
    license: z.string().describe('Licence of the data, e.g. "CC BY 4.0" or "public domain".'),
  })
  .meta({ id: 'BuiltinDataset', description: 'A built-in dataset.' });
export type BuiltinDataset = z.output<typeof BuiltinDatasetSchema>;

/** Response of `GET /v1/datasets/builtin`. */
export const BuiltinDatasetListSchema = z
  .strictObject({ data: z.array(BuiltinDatasetSchema) })
  .meta({ id: 'BuiltinDatasetList', description: 'The built-in datasets.' });
export type BuiltinDatasetList = z.output<typeof BuiltinDatasetListSchema>;

/**
 * Where a supervised job's data comes from (a built-in dataset, an uploaded one, or inline rows),
 * which columns of an uploaded table are features and target, and how they are preprocessed
 * (api-v1.1.md, "Tables": `preprocess` sits at the top level of the JobSpec).
 */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { checkXYShape, ONLY_CLEAN } from '../xy-shape.js';
import { BUILTIN_DATASET_NAMES, limitedString } from './common.js';

/** The data schemas against a set of limits. */
export function buildDataSchemas(L: Readonly<Limits>) {
  const name = limitedString(L);
  const row = z.array(z.number());
  const InlineDataSchema = z
    .strictObject({
      x: z
        .array(row)
        .min(1, { error: 'x needs at least one row' })
        .max(L.maxInlineRows, {
          error: (iss) =>
            limitMessage('x has', `${(iss.input as unknown[]).length} rows`, L, 'maxInlineRows'),
        })
        .describe('Features, one array per row.'),
      y: z
        .array(z.union([z.number(), row]))
        .describe('Targets: one number per row, or one array per row for several target columns.'),
    })
    .superRefine((d, ctx) => {
      checkXYShape(d, L, ctx);
    }, ONLY_CLEAN)
    .describe('A small dataset inside the spec.');

  const DataSpecSchema = z
    .strictObject({
      builtin: z
        .enum(BUILTIN_DATASET_NAMES)
        .optional()
        .describe('A built-in dataset (GET /v1/datasets/builtin lists them).'),
      datasetId: name('datasetId')
        .regex(/^ds_[A-Za-z0-9_-]+$/, { error: 'datasetId must look like "ds_…" (letters, digits, _ and -)' })
        .optional()
        .describe('An uploaded dataset (POST /v1/datasets).'),
      inline: InlineDataSchema.optional(),
      features: z
        .array(name('data.features[]').min(1, { error: 'a column name must not be empty' }))
        .min(1, {
          error: 'data.features needs at least one column (leave it out for every column but the target)',
        })
        .max(L.maxFeatures, {
          error: (iss) =>
            limitMessage('data.features has', `${(iss.input as unknown[]).length} columns`, L, 'maxFeatures'),
        })
        .optional()
        .describe(
          'Columns of the uploaded table used as features, in this order (default: every column but the target).',
        ),
      target: name('data.target')
        .min(1, { error: 'data.target must not be empty' })
        .optional()
        .describe("The uploaded table's target column (default: the upload's target)."),
    })
    .superRefine((d, ctx) => {
      const given = (['builtin', 'datasetId', 'inline'] as const).filter((k) => d[k] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `data needs exactly one of builtin, datasetId or inline (got ${given.length === 0 ? 'none' : given.join(' and ')})`,
        });
      }
      // column names only exist in an uploaded table; silently ignoring them elsewhere would hide a mistake
      for (const k of ['features', 'target'] as const) {
        if (d[k] !== undefined && given.length === 1 && d.datasetId === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `data.${k} names columns of an uploaded table, so it needs data.datasetId (the ${d.inline ? 'inline' : 'built-in'} data has no named columns to choose from)`,
          });
        }
      }
      const seen = new Set<string>();
      d.features?.forEach((f, i) => {
        if (seen.has(f))
          ctx.addIssue({
            code: 'custom',
            path: ['features', i],
            message: `data.features lists ${JSON.stringify(f)} twice`,
          });
        seen.add(f);
        if (f === d.target)
          ctx.addIssue({
            code: 'custom',
            path: ['features', i],
            message: `data.features includes the target ${JSON.stringify(f)}; a column cannot be both feature and target`,
          });
      });
    }, ONLY_CLEAN)
    .describe('Where the training data comes from: exactly one of builtin, datasetId, inline.');

  const PreprocessSpecSchema = buildPreprocessSchema(L);
  return { InlineDataSchema, DataSpecSchema, PreprocessSpecSchema };
}

const numeric = z
  .enum(['none', 'standardize', 'minmax'])
  .describe(
    'Numeric columns: as they are, standardized (x − mean)/std (population std, 1 for a constant column: sklearn StandardScaler), or scaled to [0, 1] (MinMaxScaler). Statistics from the training rows only.',
  );
const categorical = z
  .enum(['onehot', 'ordinal'])
  .describe(
    'Categorical columns: one 0/1 column per training category, named column_category (sklearn OneHotEncoder), or one column of category codes (OrdinalEncoder). Categories in code-point order.',
  );
const missing = z
  .enum(['error', 'drop', 'mean', 'median', 'most_frequent'])
  .describe(
    "A missing value: refuse the data (400 naming the column), drop the row, or fill with the training rows' mean / median / most frequent value (sklearn SimpleImputer; ties: the smallest). Categorical columns read mean and median as most_frequent.",
  );

/** `preprocess` against a set of limits. */
function buildPreprocessSchema(L: Readonly<Limits>) {
  const name = limitedString(L);
  const ColumnPreprocessSchema = z
    .strictObject({
      numeric: numeric.optional(),
      categorical: categorical.optional(),
      missing: missing.optional(),
    })
    .describe('Overrides for one column; numeric also scales a boolean column (booleans are 0/1 otherwise).');
  return z
    .strictObject({
      numeric: numeric.default('none'),
      categorical: categorical.default('onehot'),
      missing: missing.default('error'),
      unknownCategory: z
        .enum(['error', 'ignore'])
        .default('error')
        .describe(
          'A category the training rows did not have, at validation, test, /predict or /evaluate: refuse it (naming column and value), or encode it as all-zero one-hot columns (ordinal: −1).',
        ),
      perColumn: z
        .record(name('preprocess.perColumn key'), ColumnPreprocessSchema)
        .superRefine((m, ctx) => {
          const n = Object.keys(m).length;
          if (n > L.maxFeatures)
            ctx.addIssue({
              code: 'custom',
              path: [],
              message: limitMessage('preprocess.perColumn has', `${n} entries`, L, 'maxFeatures'),
            });
        }, ONLY_CLEAN)
        .default({})
        .describe('Per-column overrides, by column name.'),
    })
    .describe(
      'How table columns become features, fitted on the training rows only (after the validation / test split), stored with the job and applied by /predict, /evaluate and the exports. The defaults keep numeric data as it is.',
    );
}

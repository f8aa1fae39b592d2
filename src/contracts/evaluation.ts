/**
 * Tables in results (api-v1.1.md, "Tables"): the fitted preprocessing a job lists
 * (`result.preprocessing`), the metrics of a split (`result.test`, and the body of
 * `POST /v1/jobs/{id}/evaluate`), and that route's request. The shapes are those
 * src/data/preprocess (FittedPreprocess) and src/models/evaluation compute.
 */
import { z } from 'zod';

const missing = z.enum(['error', 'drop', 'mean', 'median', 'most_frequent']);

export const FittedColumnSchema = z
  .discriminatedUnion('type', [
    z.object({
      name: z.string(),
      type: z.enum(['numeric', 'boolean']),
      missing,
      fill: z
        .number()
        .optional()
        .describe('The value a missing cell gets (training-row mean / median / mode).'),
      scaling: z.enum(['none', 'standardize', 'minmax']),
      mean: z.number().optional().describe('standardize: training-row mean.'),
      std: z
        .number()
        .optional()
        .describe('standardize: training-row population std (1 for a constant column).'),
      min: z.number().optional().describe('minmax: training-row minimum.'),
      max: z.number().optional().describe('minmax: training-row maximum.'),
    }),
    z.object({
      name: z.string(),
      type: z.literal('categorical'),
      missing,
      fill: z
        .string()
        .optional()
        .describe('The category a missing cell gets (most frequent; ties: the smallest).'),
      encoding: z.enum(['onehot', 'ordinal']),
      categories: z
        .array(z.string())
        .describe('Training-row categories in code-point order: the one-hot columns, or the codes.'),
    }),
  ])
  .describe('One input column and the statistics fitted on the training rows.');

export const PreprocessingResultSchema = z
  .object({
    columns: z.array(FittedColumnSchema).describe('The feature columns, in input order.'),
    unknownCategory: z.enum(['error', 'ignore']),
    featureNames: z.array(z.string()).describe('The model inputs, e.g. "age", "species_setosa".'),
    fittedRows: z.number().int().describe('Training rows the statistics were fitted on.'),
    droppedRows: z.number().int().describe('Training rows left out by missing "drop".'),
    classes: z.array(z.string()).optional().describe('Class names of a categorical target, by class index.'),
  })
  .meta({ id: 'Preprocessing' });
export type PreprocessingResult = z.infer<typeof PreprocessingResultSchema>;

const ClassScoresSchema = z.object({
  class: z.number().int(),
  label: z.string().optional(),
  precision: z.number().describe('0 when the class is never predicted (sklearn zero_division "warn").'),
  recall: z.number().describe('0 when the class never occurs.'),
  f1: z.number(),
  support: z.number().int(),
});

export const EvaluationSchema = z
  .object({
    rows: z.number().int(),
    loss: z.number().nullable().describe("The job's loss on these rows."),
    metrics: z.union([
      z.object({
        accuracy: z.number(),
        logLoss: z.number(),
        macroF1: z.number(),
        weightedF1: z.number(),
        rocAuc: z
          .number()
          .optional()
          .describe(
            'Binary, or one-vs-rest macro; absent when some class has no positive or no negative row.',
          ),
      }),
      z.object({ mae: z.number(), rmse: z.number(), r2: z.number() }),
    ]),
    confusionMatrix: z
      .array(z.array(z.number().int()))
      .optional()
      .describe('Rows = true class, columns = predicted class.'),
    perClass: z.array(ClassScoresSchema).optional(),
    residualQuantiles: z
      .array(z.object({ q: z.number(), value: z.number() }))
      .optional()
      .describe('Regression: quantiles of y − prediction (linear interpolation, as numpy).'),
  })
  .meta({ id: 'Evaluation' });
export type Evaluation = z.infer<typeof EvaluationSchema>;

export const EvaluateRequestSchema = z
  .union([
    z.strictObject({ datasetId: z.string().regex(/^ds_[A-Za-z0-9_-]+$/) }),
    z.strictObject({
      records: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))).min(1),
    }),
    z.strictObject({
      inputs: z.array(z.array(z.number())).min(1),
      targets: z.array(z.union([z.number(), z.string(), z.array(z.number())])),
    }),
  ])
  .describe(
    'Rows to evaluate the trained model on: an uploaded dataset, raw records (with the target), or inputs and targets.',
  );

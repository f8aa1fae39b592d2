/** Where a supervised job's data comes from: a built-in dataset, an uploaded one, or inline rows. */
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
    }, ONLY_CLEAN)
    .describe('Where the training data comes from: exactly one of builtin, datasetId, inline.');

  return { InlineDataSchema, DataSpecSchema };
}

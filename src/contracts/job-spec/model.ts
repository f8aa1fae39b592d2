/** Model specs: `linear`, `mlp` (torch.nn.Sequential of Linear layers) and `sequential` (any layers). */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { ActivationSchema, unit } from './common.js';
import { buildLayerSchemas } from './layers.js';

/** The model schemas against a set of limits. */
export function buildModelSchemas(L: Readonly<Limits>) {
  const classes = z
    .int()
    .min(2, { error: 'classes must be an integer ≥ 2' })
    .max(L.maxClasses, { error: (iss) => limitMessage('classes is', iss.input as number, L, 'maxClasses') })
    .optional()
    .describe('Number of classes for cross_entropy (default: largest label + 1).');

  const hiddenWidth = z
    .int()
    .min(1, { error: 'hidden layer widths must be integers ≥ 1' })
    .max(L.maxHiddenWidth, {
      error: (iss) => limitMessage('hidden layer width is', iss.input as number, L, 'maxHiddenWidth'),
    });
  const hidden = z
    .array(hiddenWidth)
    .min(1, { error: 'hidden needs at least one layer (use model type "linear" for none)' })
    .max(L.maxHiddenLayers, {
      error: (iss) =>
        limitMessage('hidden has', `${(iss.input as unknown[]).length} layers`, L, 'maxHiddenLayers'),
    })
    .describe('Hidden layer widths, input side first.');

  const LinearModelSchema = z
    .strictObject({ type: z.literal('linear'), classes })
    .describe(
      'One Linear layer: linear, logistic or softmax regression, by the loss. Parameters: weight [out, in], bias [out].',
    );
  const MlpModelSchema = z
    .strictObject({
      type: z.literal('mlp'),
      hidden,
      activation: ActivationSchema.default('relu'),
      dropout: unit('dropout')
        .default(0)
        .describe('Dropout probability after each hidden activation, in [0, 1).'),
      classes,
    })
    .describe(
      'torch.nn.Sequential(Linear, Act, [Dropout,] Linear, …): parameters 0.weight, 0.bias, 2.weight, …',
    );
  const { LayerSpecSchema } = buildLayerSchemas(L);
  const inputDim = z
    .int()
    .min(1, { error: 'input dimensions must be integers ≥ 1' })
    .max(L.maxLayerSize, {
      error: (iss) => limitMessage('input dimension is', iss.input as number, L, 'maxLayerSize'),
    });
  const SequentialModelSchema = z
    .strictObject({
      type: z.literal('sequential'),
      input: z
        .array(inputDim)
        .min(1, { error: 'input needs 1 to 3 dimensions: [F], [C, L], [C, H, W], [T, F] or [T]' })
        .max(3, {
          error: (iss) =>
            `${limitMessage('input has', `${(iss.input as unknown[]).length} dimensions`, 3)} ([F], [C, L], [C, H, W], [T, F] or [T])`,
        })
        .describe(
          "One sample's shape, without the batch dimension: [F], [C, L], [C, H, W], [T, F] (batch-first) or [T] (token ids). A data row holds prod(input) values, row-major.",
        ),
      layers: z
        .array(LayerSpecSchema)
        .min(1, { error: 'layers needs at least one layer' })
        .max(L.maxLayers, {
          error: (iss) =>
            limitMessage('layers has', `${(iss.input as unknown[]).length} layers`, L, 'maxLayers'),
        })
        .describe('The layers, input side first, as torch.nn.Sequential(*layers).'),
      classes,
    })
    .superRefine((m, ctx) => {
      // Only the last linear layer may leave `out` to the output-width rule.
      let seenLast = false;
      for (let i = m.layers.length - 1; i >= 0; i--) {
        const l = m.layers[i];
        if (l.type !== 'linear') continue;
        if (seenLast && l.out === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['layers', i, 'out'],
            message: `layers[${i}] (linear) needs out: only the last linear layer may leave it to the output-width rule`,
          });
        seenLast = true;
      }
    })
    .describe(
      'torch.nn.Sequential of the given layers over one sample of shape input: parameters and buffers 0.weight, 1.running_mean, …',
    );
  const ModelSpecSchema = z
    .discriminatedUnion('type', [LinearModelSchema, MlpModelSchema, SequentialModelSchema])
    .describe('The model.');

  return {
    hidden,
    LinearModelSchema,
    MlpModelSchema,
    SequentialModelSchema,
    LayerSpecSchema,
    ModelSpecSchema,
  };
}

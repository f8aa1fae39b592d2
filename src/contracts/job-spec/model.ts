/** Model specs: `linear` and `mlp` (torch.nn.Sequential of Linear layers). */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { ActivationSchema, unit } from './common.js';

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
  const ModelSpecSchema = z
    .discriminatedUnion('type', [LinearModelSchema, MlpModelSchema])
    .describe('The model.');

  return { hidden, LinearModelSchema, MlpModelSchema, ModelSpecSchema };
}

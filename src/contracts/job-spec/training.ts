/** How training runs (epochs, batches, seed, early stopping, wall time), initial weights and metadata. */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { ONLY_CLEAN } from '../xy-shape.js';
import {
  DTypeSchema,
  InitSchemeSchema,
  limitedString,
  nonNeg,
  posInt,
  positive,
  unit,
  type NestedNumberArray,
} from './common.js';

/** A job id as ids.ts makes them. */
const JOB_ID = /^job_[0-9a-z]{8,40}$/;

function indexText(n: number): string {
  return `[${n}]`;
}

/** Check a nested number array: rectangular, finite numbers, depth within the limit. */
function checkNested(
  value: unknown,
  L: Readonly<Limits>,
  ctx: z.RefinementCtx,
  path: (string | number)[] = [],
): void {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  if (shape.length > L.maxArrayDepth) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: limitMessage('array nesting depth is', shape.length, L, 'maxArrayDepth'),
    });
    return;
  }
  const walk = (node: unknown, depth: number, at: number[]): boolean => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, ...at],
          message: `element ${at.map(indexText).join('')} is not a finite number`,
        });
        return false;
      }
      return true;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, ...at],
        message: `array is not rectangular: ${at.map(indexText).join('') || 'top level'} should have ${shape[depth]} elements (shape ${JSON.stringify(shape)})`,
      });
      return false;
    }
    for (let i = 0; i < node.length; i++) if (!walk(node[i], depth + 1, [...at, i])) return false;
    return true;
  };
  walk(value, 0, []);
}

/** The training, init and metadata schemas against a set of limits. */
export function buildTrainingSchemas(L: Readonly<Limits>) {
  const name = limitedString(L);
  const EarlyStoppingSchema = z
    .strictObject({
      patience: posInt('patience').default(10).describe('Epochs without improvement before stopping.'),
      minDelta: nonNeg('minDelta').default(0).describe('Smallest decrease that counts as an improvement.'),
      monitor: z
        .enum(['auto', 'valLoss', 'loss'])
        .default('auto')
        .describe(
          'Quantity watched; "auto" is valLoss when validationSplit > 0, otherwise loss (see resolveMonitor).',
        ),
      restoreBest: z
        .boolean()
        .default(false)
        .describe('Keep the weights of the best epoch rather than the last.'),
    })
    .describe('Stop when the monitored loss has not improved by minDelta for patience epochs.');

  const wallSeconds = positive('maxWallSeconds').max(L.maxWallSeconds, {
    error: (iss) => limitMessage('maxWallSeconds is', iss.input as number, L, 'maxWallSeconds'),
  });

  const TrainingSpecSchema = z
    .strictObject({
      epochs: posInt('epochs')
        .max(L.maxEpochs, { error: (iss) => limitMessage('epochs is', iss.input as number, L, 'maxEpochs') })
        .default(100)
        .describe('Passes over the training rows.'),
      batchSize: z
        .union([
          posInt('batchSize').max(L.maxBatchSize, {
            error: (iss) => limitMessage('batchSize is', iss.input as number, L, 'maxBatchSize'),
          }),
          z.literal('full'),
        ])
        .default(32)
        .describe(
          '"full": batch gradient descent; 1: stochastic; n: mini-batches of n rows (the last may be smaller).',
        ),
      shuffle: z.boolean().default(true).describe('Reshuffle the training rows every epoch (seeded).'),
      seed: z
        .int()
        .min(0, { error: 'seed must be an integer ≥ 0' })
        .default(0)
        .describe('Seed of every random draw: init, split, shuffling, dropout.'),
      validationSplit: unit('validationSplit')
        .default(0)
        .describe('Fraction of rows held out (⌈rows·fraction⌉, after a seeded shuffle).'),
      testSplit: unit('testSplit')
        .default(0)
        .describe(
          'Fraction of rows held out of both training and validation (⌈rows·fraction⌉, from the same seeded shuffle); the result has metrics on them (`test`).',
        ),
      dtype: DTypeSchema.default('float32'),
      earlyStopping: EarlyStoppingSchema.nullable().default(null),
      gradClipNorm: positive('gradClipNorm')
        .nullable()
        .default(null)
        .describe('Clip the global gradient L2 norm to this (torch clip_grad_norm_).'),
      maxWallSeconds: wallSeconds
        .optional()
        .describe('Fail with TIMEOUT after this many seconds of training.'),
    })
    .superRefine((t, ctx) => {
      if (t.validationSplit + t.testSplit >= 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['testSplit'],
          message: `validationSplit (${t.validationSplit}) + testSplit (${t.testSplit}) must be < 1, or no rows are left for training`,
        });
      }
      if (t.earlyStopping?.monitor === 'valLoss' && t.validationSplit === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['earlyStopping', 'monitor'],
          message:
            'earlyStopping.monitor "valLoss" needs validationSplit > 0 (it is 0); monitor "loss" or set validationSplit',
        });
      }
    }, ONLY_CLEAN)
    .describe('How training runs.');

  const initWeights = z
    .record(
      name('init.weights key'),
      z.union([
        // A 0-dim tensor (torch's num_batches_tracked) is a bare number.
        z.number().refine(Number.isFinite, { error: 'a scalar weight must be a finite number' }),
        z.array(z.any()).superRefine((v, ctx) => checkNested(v, L, ctx), ONLY_CLEAN),
      ]),
    )
    .superRefine((w, ctx) => {
      const n = Object.keys(w).length;
      if (n > L.maxInitWeightTensors) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: limitMessage('init.weights has', `${n} entries`, L, 'maxInitWeightTensors'),
        });
      }
    }, ONLY_CLEAN) as unknown as z.ZodType<Record<string, NestedNumberArray | number>>;

  /** Layer indices (distinct, ascending order not required), at most maxLayers of them. */
  const layerIndices = (field: string) =>
    z
      .array(z.int().min(0, { error: `${field} holds layer indices: integers ≥ 0` }))
      .max(L.maxLayers, {
        error: (iss) =>
          limitMessage(`${field} has`, `${(iss.input as unknown[]).length} entries`, L, 'maxLayers'),
      })
      .refine((a) => new Set(a).size === a.length, { error: `${field} names a layer twice` });

  const InitSpecSchema = z
    .strictObject({
      scheme: InitSchemeSchema.default('default'),
      weights: initWeights
        .optional()
        .describe(
          'Initial values by state_dict name, e.g. { "weight": [[0.5, -0.3]], "bias": [0.1] }; any subset. Shapes are checked against the model when training starts.',
        ),
      fromJob: z
        .string()
        .regex(JOB_ID, { error: 'init.fromJob must be a job id such as job_0mif3k2a1x7d9q2zk4' })
        .optional()
        .describe(
          'Start from the final weights of another succeeded job of this tenant (fine-tuning). Its tensors are checked against this model at submission: a tensor of another shape is a 400 naming it. init.weights, when also given, wins for the tensors it names.',
        ),
      layers: z
        .union([z.literal('all'), layerIndices('init.layers')])
        .optional()
        .describe(
          'With fromJob: which layers take the parent\'s tensors — "all" (default) or layer indices (the torch.nn.Sequential index of /v1/jobs/validate\'s layers[].index, the prefix of the state_dict names: mlp 0, 2, 4…; a linear model is layer 0). The others start from init.scheme.',
        ),
      freeze: layerIndices('init.freeze')
        .optional()
        .describe(
          "Layer indices whose parameters stay fixed: no gradient step, no weight decay, no optimizer state (torch's requires_grad=False). A batchnorm layer's running statistics still update in training mode, as in torch. First-order optimizers only.",
        ),
      optimizerState: z
        .boolean()
        .optional()
        .describe(
          "With fromJob: carry the parent's optimizer state. Only false is accepted: a finished job keeps no final optimizer state; fork it (POST /v1/jobs/{id}/fork) to continue with the state of a checkpoint.",
        ),
    })
    .superRefine((init, ctx) => {
      if (init.fromJob === undefined) {
        for (const k of ['layers', 'optimizerState'] as const)
          if (init[k] !== undefined)
            ctx.addIssue({ code: 'custom', path: [k], message: `init.${k} needs init.fromJob` });
      }
      if (init.optimizerState === true)
        ctx.addIssue({
          code: 'custom',
          path: ['optimizerState'],
          message:
            "init.optimizerState true is not supported: a finished job keeps no final optimizer state, only its checkpoints; fork the job from a checkpoint (POST /v1/jobs/{id}/fork) to continue with that checkpoint's optimizer state",
        });
    }, ONLY_CLEAN)
    .describe('Initial parameters.');

  const MetadataSchema = z
    .record(
      z.string().max(L.maxMetadataKeyLength, {
        error: (iss) =>
          limitMessage(
            'metadata key has',
            `${(iss.input as string).length} characters`,
            L,
            'maxMetadataKeyLength',
          ),
      }),
      z.string().max(L.maxMetadataValueLength, {
        error: (iss) =>
          limitMessage(
            'metadata value has',
            `${(iss.input as string).length} characters`,
            L,
            'maxMetadataValueLength',
          ),
      }),
    )
    .superRefine((m, ctx) => {
      const n = Object.keys(m).length;
      if (n > L.maxMetadataKeys)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: limitMessage('metadata has', `${n} keys`, L, 'maxMetadataKeys'),
        });
    }, ONLY_CLEAN)
    .describe('Free-form string labels stored with the job.');

  return { EarlyStoppingSchema, wallSeconds, TrainingSpecSchema, InitSpecSchema, MetadataSchema };
}

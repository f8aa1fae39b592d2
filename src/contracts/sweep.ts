/**
 * Sweeps: hyperparameter search over a JobSpec (`POST /v1/sweeps`; shared/design/api-v1.1.md, "Sweeps";
 * semantics in docs/sweeps.md).
 *
 * A sweep request is a base `spec` (a JobSpec as a client would POST it), a `space` of dotted JobSpec
 * paths and how to draw their values, a `searcher` (grid, random or ASHA), the `metric` that ranks the
 * trials and its `mode`. The request schema checks the shape and every limit it can see by itself;
 * src/sweep/plan.ts then multiplies the grid out, samples the values, sets them into the spec and
 * validates every trial's spec with the JobSpec schema, so a value the JobSpec refuses is reported at
 * the space path that produced it before anything is queued.
 *
 * The spec is typed loosely here (a record) on purpose: the sampled values are set into the spec *as the
 * client wrote it* and each trial is parsed afterwards, so defaults (and the strict per-optimizer
 * objects) are filled for the trial's own values, not for the base's.
 */
// Installs the contracts' validation messages (did-you-mean, Required, union variants).
import './messages.js';
import { z } from 'zod';
import { DOCUMENTED_AS } from './documented-as.js';
import { DEFAULT_LIMITS, limitMessage, type Limits } from './limits.js';

/** The states of a sweep. `succeeded`, `failed` and `cancelled` are terminal. */
export const SweepStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type SweepStatus = z.infer<typeof SweepStatusSchema>;

/**
 * The states of a trial. `pending`: not launched yet; `running`: its first segment trains; `paused`:
 * waiting at a rung for the scheduler's decision; `promoted`: promoted to a higher rung and training
 * again (from its own checkpoint); `stopped`: left at a rung below the top (its job succeeded with the
 * weights of that rung); `succeeded`: trained to its last epoch (or stopped early by its own early
 * stopping); `failed`; `cancelled`.
 */
export const SweepTrialStatusSchema = z.enum([
  'pending',
  'running',
  'paused',
  'promoted',
  'stopped',
  'succeeded',
  'failed',
  'cancelled',
]);
export type SweepTrialStatus = z.infer<typeof SweepTrialStatusSchema>;

/** A dotted JobSpec path: identifiers, or array indices after the first segment (`model.hidden.0`). */
/** The distributions a space dimension can name, one key each. */
export const DIMENSION_KINDS = ['choice', 'grid', 'uniform', 'logUniform', 'intUniform'] as const;
export type DimensionKind = (typeof DIMENSION_KINDS)[number];

const SPACE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$/;

/** The distributions of one space dimension, built against a set of limits. */
function buildDimensionSchema(L: Readonly<Limits>) {
  const values = (kind: string) =>
    z
      .array(z.unknown())
      .min(1, { error: `${kind} must list at least one value` })
      .max(L.maxSweepTrials, {
        error: (iss) =>
          limitMessage(`${kind} has`, `${(iss.input as unknown[]).length} values`, L, 'maxSweepTrials'),
      });
  const pair = (kind: string, check: (a: number, b: number) => string | null, int = false) =>
    z.tuple([int ? z.int() : z.number(), int ? z.int() : z.number()]).superRefine(([a, b], ctx) => {
      const why = check(a, b);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    });
  const kinds = {
    choice: values('choice').describe(
      'One of these values, drawn uniformly per trial (the grid searcher enumerates them).',
    ),
    grid: values('grid').describe(
      'Every one of these values: the trials are the cartesian product of the grid dimensions.',
    ),
    uniform: pair('uniform', (a, b) => (a < b ? null : `uniform needs a < b; got [${a}, ${b}]`)).describe(
      'A real number drawn uniformly from [a, b).',
    ),
    logUniform: pair('logUniform', (a, b) =>
      a <= 0 || b <= 0
        ? `logUniform bounds must be > 0; got [${a}, ${b}]`
        : a < b
          ? null
          : `logUniform needs a < b; got [${a}, ${b}]`,
    ).describe('A real number whose logarithm is uniform on [log a, log b): learning rates, L2.'),
    intUniform: pair(
      'intUniform',
      (a, b) => (a <= b ? null : `intUniform needs a ≤ b; got [${a}, ${b}]`),
      true,
    ).describe('An integer drawn uniformly from a … b, both included.'),
  };
  // One strict object with exactly one key rather than a union of five: a union would report
  // "Invalid input" for `{ choice: [] }` instead of the choice's own message.
  return z
    .strictObject({
      choice: kinds.choice.optional(),
      grid: kinds.grid.optional(),
      uniform: kinds.uniform.optional(),
      logUniform: kinds.logUniform.optional(),
      intUniform: kinds.intUniform.optional(),
    })
    .superRefine((d, ctx) => {
      const keys = Object.keys(d).filter((k) => d[k as keyof typeof d] !== undefined);
      if (keys.length !== 1)
        ctx.addIssue({
          code: 'custom',
          message: `a dimension has exactly one of ${DIMENSION_KINDS.join(', ')}; got ${keys.length ? keys.join(', ') : 'none'}`,
        });
    })
    .meta({ id: 'SweepDimension', description: 'Exactly one of the keys.' });
}

/** The searchers, built against a set of limits. */
function buildSearcherSchema(L: Readonly<Limits>) {
  const trials = z
    .int()
    .min(1, { error: 'trials must be an integer ≥ 1' })
    .max(L.maxSweepTrials, {
      error: (iss) => limitMessage('trials is', iss.input as number, L, 'maxSweepTrials'),
    })
    .describe('Trials drawn from the space (times the number of grid combinations).');
  const epochs = (what: string) =>
    z
      .int()
      .min(1, { error: `${what} must be an integer ≥ 1` })
      .max(L.maxEpochs, { error: (iss) => limitMessage(`${what} is`, iss.input as number, L, 'maxEpochs') });
  return z
    .discriminatedUnion('type', [
      z
        .strictObject({ type: z.literal('grid') })
        .describe('Every combination of the `grid` and `choice` dimensions, each trained to the end.'),
      z
        .strictObject({ type: z.literal('random'), trials })
        .describe('`trials` seeded draws from the space, each trained to the end.'),
      z
        .strictObject({
          type: z.literal('asha'),
          trials,
          minEpochs: epochs('minEpochs').describe('r: epochs of the first rung.'),
          maxEpochs: epochs('maxEpochs').describe(
            'R: epochs of the last rung; every trial job is a spec with training.epochs = R.',
          ),
          reductionFactor: z
            .int()
            .min(2, { error: 'reductionFactor must be an integer ≥ 2' })
            .max(16, { error: (iss) => limitMessage('reductionFactor is', iss.input as number, 16) })
            .default(3)
            .describe('η: rungs at r·η^k epochs; the top 1/η of a rung is promoted.'),
        })
        .superRefine((s, ctx) => {
          if (s.minEpochs > s.maxEpochs)
            ctx.addIssue({
              code: 'custom',
              path: ['minEpochs'],
              message: `minEpochs (${s.minEpochs}) must be ≤ maxEpochs (${s.maxEpochs})`,
            });
        })
        .describe(
          'Asynchronous successive halving (Li et al. 2020): trials train rung by rung; a promoted trial resumes from its own checkpoint.',
        ),
    ])
    .meta({ id: 'SweepSearcher' });
}

/**
 * The sweep request schemas for a set of limits. `createSweepRequestSchema(limitsFromEnv(process.env))`
 * gives a service its own; the exported {@link SweepRequestSchema} uses {@link DEFAULT_LIMITS}.
 */
export function createSweepRequestSchema(L: Readonly<Limits> = DEFAULT_LIMITS) {
  const Dimension = buildDimensionSchema(L);
  return z
    .strictObject({
      spec: z.record(z.string(), z.unknown()).meta({
        description:
          'The base JobSpec, as for POST /v1/jobs; each trial sets the space values into it and is validated as a JobSpec',
        [DOCUMENTED_AS]: 'JobSpec',
      }),
      space: z
        .record(z.string(), Dimension)
        .superRefine((space, ctx) => {
          for (const key of Object.keys(space)) {
            if (key.length > L.maxStringLength)
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: limitMessage('space path has', `${key.length} characters`, L, 'maxStringLength'),
              });
            else if (!SPACE_PATH.test(key))
              ctx.addIssue({
                code: 'custom',
                path: [key],
                message: `space keys are dotted JobSpec paths such as "optimizer.lr" or "model.hidden.0"; got ${JSON.stringify(key)}`,
              });
          }
          const n = Object.keys(space).length;
          if (n === 0) ctx.addIssue({ code: 'custom', message: 'space must have at least one dimension' });
          if (n > L.maxSpaceDims)
            ctx.addIssue({
              code: 'custom',
              message: limitMessage('space has', `${n} dimensions`, L, 'maxSpaceDims'),
            });
        })
        .meta({
          description: 'Dotted JobSpec path → how its values are drawn',
          example: { 'optimizer.lr': { logUniform: [0.001, 0.3] }, 'optimizer.momentum': { grid: [0, 0.9] } },
        }),
      searcher: buildSearcherSchema(L),
      metric: z
        .string()
        .min(1)
        .max(L.maxStringLength)
        .default('valLoss')
        .describe(
          'What ranks the trials: "valLoss", "loss", "valAccuracy" (accuracy on the validation split), or any key of the result\'s metrics ("accuracy", "r2", "mae", "meanReturn100", "value").',
        ),
      mode: z
        .enum(['min', 'max'])
        .optional()
        .describe('Whether smaller or larger is better; default "max" for accuracy/r2 metrics, else "min".'),
      maxConcurrentTrials: z
        .int()
        .min(1, { error: 'maxConcurrentTrials must be an integer ≥ 1' })
        .max(L.maxConcurrentTrials, {
          error: (iss) =>
            limitMessage('maxConcurrentTrials is', iss.input as number, L, 'maxConcurrentTrials'),
        })
        .default(4)
        .describe('Trial segments trained at once, over all workers.'),
      seed: z
        .int()
        .min(0, { error: 'seed must be an integer ≥ 0' })
        .default(0)
        .describe('Seed of the sampling of the space (the trials keep their spec training.seed).'),
      metadata: z
        .record(
          z.string().max(L.maxMetadataKeyLength),
          z.union([z.string().max(L.maxMetadataValueLength), z.number(), z.boolean(), z.null()]),
        )
        .refine((m) => Object.keys(m).length <= L.maxMetadataKeys, {
          error: (iss) =>
            limitMessage(
              'metadata has',
              `${Object.keys(iss.input as object).length} keys`,
              L,
              'maxMetadataKeys',
            ),
        })
        .default({}),
    })
    .meta({ id: 'SweepRequest' });
}

/** `POST /v1/sweeps` and `/v1/sweeps/validate` with the default limits. */
export const SweepRequestSchema = createSweepRequestSchema(DEFAULT_LIMITS);
/** A parsed sweep request (defaults filled). */
export type SweepRequest = z.output<typeof SweepRequestSchema>;
/** What a client may send. */
export type SweepRequestInput = z.input<typeof SweepRequestSchema>;
/** One dimension of a parsed space: exactly one of the {@link DIMENSION_KINDS} keys is set. */
export type SweepDimension = SweepRequest['space'][string];
export type SweepSearcher = SweepRequest['searcher'];

/** A trial's sampled values: dotted path → value. */
const ParamsSchema = z.record(z.string(), z.unknown()).meta({
  description: 'Dotted JobSpec path → the value this trial uses',
  example: { 'optimizer.lr': 0.01 },
});

/** The best trial so far. */
export const SweepBestSchema = z
  .object({
    trialId: z.string(),
    jobId: z.string().nullable(),
    params: ParamsSchema,
    value: z.number(),
  })
  .meta({ id: 'SweepBest' });
export type SweepBest = z.infer<typeof SweepBestSchema>;

/** Trials by state. */
export const SweepCountsSchema = z
  .object({
    total: z.int(),
    pending: z.int(),
    running: z.int(),
    paused: z.int(),
    promoted: z.int(),
    stopped: z.int(),
    succeeded: z.int(),
    failed: z.int(),
    cancelled: z.int(),
  })
  .meta({ id: 'SweepCounts' });
export type SweepCounts = z.infer<typeof SweepCountsSchema>;

/** A sweep as the API returns it. */
export const SweepSchema = z
  .object({
    id: z.string().meta({ example: 'swp_0mif3k2a1x7d9q2zk4' }),
    object: z.literal('sweep'),
    status: SweepStatusSchema,
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    spec: z.record(z.string(), z.unknown()).meta({ description: 'The base JobSpec as sent' }),
    space: z.record(z.string(), z.unknown()),
    searcher: z.record(z.string(), z.unknown()),
    metric: z.string(),
    mode: z.enum(['min', 'max']),
    maxConcurrentTrials: z.int(),
    seed: z.int(),
    rungs: z.array(z.int()).meta({ description: 'Epochs of each rung (one rung for grid and random)' }),
    counts: SweepCountsSchema,
    best: SweepBestSchema.nullable(),
    budget: z.object({
      epochsUsed: z.int().meta({ description: 'Epochs trained so far, summed over the trials' }),
      epochsMax: z.int().meta({ description: 'The worst case, as POST /v1/sweeps/validate computes it' }),
    }),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Sweep' });
export type Sweep = z.infer<typeof SweepSchema>;

/** One page of a newest-first listing of sweeps. */
export const SweepListSchema = z
  .object({
    data: z.array(SweepSchema),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'SweepList' });
export type SweepList = z.infer<typeof SweepListSchema>;

/** One row of the leaderboard. */
export const SweepTrialSchema = z
  .object({
    trialId: z.string(),
    jobId: z.string().nullable().meta({ description: 'null until the trial is launched' }),
    index: z.int().meta({ description: 'Position in the plan (grid order, then sample order)' }),
    params: ParamsSchema,
    status: SweepTrialStatusSchema,
    rung: z
      .int()
      .nullable()
      .meta({ description: 'Highest rung whose result was processed (0-based); null before the first' }),
    epochs: z.int().meta({ description: 'Epochs trained so far' }),
    value: z
      .number()
      .nullable()
      .meta({ description: "The metric at the trial's last processed rung; null before, or when NaN" }),
  })
  .meta({ id: 'SweepTrial' });
export type SweepTrial = z.infer<typeof SweepTrialSchema>;

/** `GET /v1/sweeps/{id}/trials`: the leaderboard, best first. */
export const SweepTrialListSchema = z
  .object({ data: z.array(SweepTrialSchema) })
  .meta({ id: 'SweepTrialList' });
export type SweepTrialList = z.infer<typeof SweepTrialListSchema>;

/** `POST /v1/sweeps/validate` for a valid request. */
export const SweepValidateResponseSchema = z
  .object({
    trials: z.int().meta({ description: 'Trials the sweep would run' }),
    epochsMax: z.int().meta({ description: 'Worst-case epochs summed over the trials' }),
    rungs: z.array(z.int()).meta({ description: 'Epochs of each rung' }),
  })
  .meta({ id: 'SweepValidateResponse' });
export type SweepValidateResponse = z.infer<typeof SweepValidateResponseSchema>;

const eventBase = { sweepId: z.string(), time: z.string() };

/** The event bodies the scheduler emits (src/sweep/scheduler.ts); the service adds sweepId and time. */
const SweepStatusEventBody = z.object({ type: z.literal('status'), status: SweepStatusSchema });
const SweepTrialEventBody = z.object({
  type: z.literal('trial'),
  trial: z.int().meta({ description: 'The trial index' }),
  status: SweepTrialStatusSchema,
  rung: z.int().nullable(),
  epochs: z.int(),
  value: z.number().nullable(),
});
const SweepRungEventBody = z.object({
  type: z.literal('rung'),
  trial: z.int(),
  rung: z.int(),
  epochs: z.int(),
  value: z.number().nullable(),
  final: z.boolean().meta({ description: 'The trial ended here (its last epoch, or early stopping)' }),
});
const SweepBestEventBody = z.object({
  type: z.literal('best'),
  trial: z.int(),
  rung: z.int(),
  value: z.number(),
});
const SweepEndEventBody = z.object({
  type: z.literal('end'),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
});

/** An event as the scheduler returns it, before the service stamps it with sweepId and time. */
export const SweepEventBodySchema = z.discriminatedUnion('type', [
  SweepStatusEventBody,
  SweepTrialEventBody,
  SweepRungEventBody,
  SweepBestEventBody,
  SweepEndEventBody,
]);
export type SweepEventBody = z.infer<typeof SweepEventBodySchema>;

/** An event of a sweep's stream (`GET /v1/sweeps/{id}/events`). */
export const SweepEventSchema = z
  .discriminatedUnion('type', [
    SweepStatusEventBody.extend(eventBase),
    SweepTrialEventBody.extend({ ...eventBase, trialId: z.string(), jobId: z.string().nullable() }),
    SweepRungEventBody.extend({ ...eventBase, trialId: z.string(), jobId: z.string().nullable() }),
    SweepBestEventBody.extend({
      ...eventBase,
      trialId: z.string(),
      jobId: z.string().nullable(),
      params: ParamsSchema,
    }),
    SweepEndEventBody.extend(eventBase),
  ])
  .meta({ id: 'SweepEvent' });
export type SweepEvent = z.infer<typeof SweepEventSchema>;

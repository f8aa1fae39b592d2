/**
 * The three tasks — supervised, minimize, reinforce — and the JobSpec that is one of them; the
 * exported schemas (default limits), their types and {@link createJobSpecSchema} for other limits.
 */
import { z } from 'zod';
import { limitMessage, type Limits } from '../limits.js';
import { ONLY_CLEAN } from '../xy-shape.js';
import {
  type SpecIssue,
  ActivationSchema,
  DTypeSchema,
  LossSchema,
  nonNeg,
  posInt,
  positive,
  RegularizationSpecSchema,
  unit,
} from './common.js';
import { buildDataSchemas } from './data.js';
import { buildModelSchemas } from './model.js';
import { OptimizerSpecSchema } from './optimizer.js';
import { ScheduleSpecSchema } from './schedule.js';
import { buildTrainingSchemas } from './training.js';
import { JobWebhookSchema } from './webhook.js';

/**
 * The cross-field checks each task's schema runs (job-spec/checks.ts), passed in so that this file,
 * which the checks take their types from, does not import them back.
 */
export interface TaskChecks {
  supervisedIssues(s: never, L: Readonly<Limits>): SpecIssue[];
  minimizeIssues(s: never, L: Readonly<Limits>): SpecIssue[];
  reinforceIssues(s: never, L: Readonly<Limits>): SpecIssue[];
}

/** Every JobSpec schema against a set of limits (job-spec/schemas.ts builds the exported ones). */
export function buildTaskSchemas(L: Readonly<Limits>, checks: TaskChecks) {
  const {
    hidden,
    LinearModelSchema,
    MlpModelSchema,
    SequentialModelSchema,
    LayerSpecSchema,
    ModelSpecSchema,
  } = buildModelSchemas(L);
  const { InlineDataSchema, DataSpecSchema, PreprocessSpecSchema } = buildDataSchemas(L);
  const { EarlyStoppingSchema, wallSeconds, TrainingSpecSchema, InitSpecSchema, MetadataSchema } =
    buildTrainingSchemas(L);

  const SupervisedJobSpecSchema = z
    .strictObject({
      task: z
        .literal('supervised')
        .default('supervised')
        .describe('Supervised learning on a dataset (the default task).'),
      model: ModelSpecSchema,
      data: DataSpecSchema,
      preprocess: PreprocessSpecSchema.prefault({}),
      loss: LossSchema,
      huberDelta: positive('huberDelta').default(1).describe('δ of the huber loss.'),
      optimizer: OptimizerSpecSchema.prefault({ type: 'adam' }),
      schedule: ScheduleSpecSchema.nullable().default(null),
      regularization: RegularizationSpecSchema.prefault({}),
      training: TrainingSpecSchema.prefault({}),
      init: InitSpecSchema.prefault({}),
      metadata: MetadataSchema.default({}),
      webhook: JobWebhookSchema.optional(),
    })
    .superRefine((s, ctx) => {
      for (const i of checks.supervisedIssues(s as never, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('Train a model on a dataset.');

  // ---- minimize (issue 6): optimize a closed-form objective directly ----
  const variable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    error: 'variable names are identifiers: a letter or _, then letters, digits or _',
  });
  const MinimizeObjectiveSchema = z
    .union([
      z
        .string()
        .min(1, { error: 'objective must not be empty' })
        .max(L.maxExpressionLength, {
          error: (iss) =>
            limitMessage(
              'objective has',
              `${(iss.input as string).length} characters`,
              L,
              'maxExpressionLength',
            ),
        })
        .describe('An expression in the variables of start, e.g. "(1 - x)^2 + 100*(y - x^2)^2".'),
      z.strictObject({ builtin: z.enum(MINIMIZE_BUILTINS).describe('A classic test function of x and y.') }),
    ])
    .describe('The function to minimize.');

  const MinimizeJobSpecSchema = z
    .strictObject({
      task: z.literal('minimize'),
      objective: MinimizeObjectiveSchema,
      start: z
        .record(variable, z.number())
        .describe('Starting point: a value for every variable of the objective.'),
      steps: posInt('steps')
        .max(L.maxMinimizeSteps, {
          error: (iss) => limitMessage('steps is', iss.input as number, L, 'maxMinimizeSteps'),
        })
        .default(100)
        .describe('Optimizer steps.'),
      optimizer: OptimizerSpecSchema,
      schedule: ScheduleSpecSchema.nullable().default(null),
      dtype: DTypeSchema.default('float64'),
      maxWallSeconds: wallSeconds.optional(),
      metadata: MetadataSchema.default({}),
      webhook: JobWebhookSchema.optional(),
    })
    .superRefine((s, ctx) => {
      for (const i of checks.minimizeIssues(s as never, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('Minimize a function of a few variables (optimizer playground).');

  // ---- reinforce (issue 6): policy-gradient RL on small environments ----
  const maxSteps = (d: number) =>
    posInt('maxSteps')
      .max(L.maxEpisodeSteps, {
        error: (iss) => limitMessage('maxSteps is', iss.input as number, L, 'maxEpisodeSteps'),
      })
      .default(d)
      .describe('Steps after which an episode is cut off.');
  const EnvSpecSchema = z
    .discriminatedUnion('type', [
      z
        .strictObject({ type: z.literal('cartpole'), maxSteps: maxSteps(500) })
        .describe('CartPole-v1: 4 observations, 2 actions, reward 1 per step.'),
      z
        .strictObject({
          type: z.literal('bandit'),
          arms: z
            .int()
            .min(2, { error: 'arms must be an integer ≥ 2' })
            .max(1000, { error: (iss) => limitMessage('arms is', iss.input as number, 1000) })
            .default(10),
          stdDev: nonNeg('stdDev').default(1).describe('Reward noise σ; arm means ~ N(0, 1) from the seed.'),
        })
        .describe('k-armed Gaussian bandit: one-step episodes, constant observation.'),
      z
        .strictObject({
          type: z.literal('gridworld'),
          size: z
            .int()
            .min(2, { error: 'size must be an integer ≥ 2' })
            .max(32, { error: (iss) => limitMessage('size is', iss.input as number, 32) })
            .default(5),
          slip: unit('slip').default(0).describe('Probability that a move goes in a random direction.'),
          maxSteps: maxSteps(100),
        })
        .describe(
          'size×size grid from the top-left to the bottom-right corner; one-hot observation, 4 actions, −0.01 per step, +1 at the goal.',
        ),
    ])
    .describe('The environment.');

  const ReinforceJobSpecSchema = z
    .strictObject({
      task: z.literal('reinforce'),
      env: EnvSpecSchema,
      episodes: posInt('episodes')
        .max(L.maxEpisodes, {
          error: (iss) => limitMessage('episodes is', iss.input as number, L, 'maxEpisodes'),
        })
        .default(500)
        .describe('Episodes to run (one policy update per episode).'),
      gamma: z
        .number()
        .min(0, { error: 'gamma must be in [0, 1]' })
        .max(1, { error: 'gamma must be in [0, 1]' })
        .default(0.99)
        .describe('Discount factor.'),
      baseline: z
        .enum(['none', 'running_mean', 'value'])
        .default('running_mean')
        .describe('Variance reduction for REINFORCE returns.'),
      entropyCoef: nonNeg('entropyCoef').default(0).describe('Weight of the entropy bonus.'),
      policy: z
        .strictObject({ hidden: hidden.default([32]), activation: ActivationSchema.default('tanh') })
        .prefault({})
        .describe('Policy MLP (and value MLP when baseline is "value").'),
      optimizer: OptimizerSpecSchema.prefault({ type: 'adam', lr: 0.01 }),
      seed: z.int().min(0, { error: 'seed must be an integer ≥ 0' }).default(0),
      dtype: DTypeSchema.default('float32'),
      maxWallSeconds: wallSeconds.optional(),
      metadata: MetadataSchema.default({}),
      webhook: JobWebhookSchema.optional(),
    })
    .superRefine((s, ctx) => {
      for (const i of checks.reinforceIssues(s as never, L))
        ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
    }, ONLY_CLEAN)
    .describe('REINFORCE policy gradient on a small environment.');

  const JobSpecSchema = z
    .discriminatedUnion('task', [SupervisedJobSpecSchema, MinimizeJobSpecSchema, ReinforceJobSpecSchema])
    .describe('A training job. Without "task" it is supervised.');

  return {
    ModelSpecSchema,
    LinearModelSchema,
    MlpModelSchema,
    SequentialModelSchema,
    LayerSpecSchema,
    InlineDataSchema,
    DataSpecSchema,
    PreprocessSpecSchema,
    EarlyStoppingSchema,
    TrainingSpecSchema,
    InitSpecSchema,
    MetadataSchema,
    SupervisedJobSpecSchema,
    MinimizeObjectiveSchema,
    MinimizeJobSpecSchema,
    EnvSpecSchema,
    ReinforceJobSpecSchema,
    JobSpecSchema,
  };
}

/** Built-in objectives of the minimize task, all functions of x and y. */
export const MINIMIZE_BUILTINS = [
  'rosenbrock',
  'beale',
  'himmelblau',
  'ill_conditioned_quadratic',
  'saddle',
] as const;
export type MinimizeBuiltin = (typeof MINIMIZE_BUILTINS)[number];

type Built = ReturnType<typeof buildTaskSchemas>;

export type ModelSpec = z.output<Built['ModelSpecSchema']>;
export type LinearModelSpec = z.output<Built['LinearModelSchema']>;
export type MlpModelSpec = z.output<Built['MlpModelSchema']>;
export type SequentialModelSpec = z.output<Built['SequentialModelSchema']>;
/** One layer of a sequential model, every default filled in. */
export type LayerSpecParsed = z.output<Built['LayerSpecSchema']>;
export type InlineData = z.output<Built['InlineDataSchema']>;
export type DataSpec = z.output<Built['DataSpecSchema']>;
export type PreprocessSpec = z.output<Built['PreprocessSpecSchema']>;
export type EarlyStoppingSpec = z.output<Built['EarlyStoppingSchema']>;
export type TrainingSpec = z.output<Built['TrainingSpecSchema']>;
export type InitSpec = z.output<Built['InitSpecSchema']>;
export type Metadata = z.output<Built['MetadataSchema']>;
export type SupervisedJobSpec = z.output<Built['SupervisedJobSpecSchema']>;
export type MinimizeObjective = z.output<Built['MinimizeObjectiveSchema']>;
export type MinimizeJobSpec = z.output<Built['MinimizeJobSpecSchema']>;
export type EnvSpec = z.output<Built['EnvSpecSchema']>;
export type ReinforceJobSpec = z.output<Built['ReinforceJobSpecSchema']>;
/** The normalized JobSpec: every default filled in. */
export type JobSpec = z.output<Built['JobSpecSchema']>;
/** What a client may send: defaults optional. */
export type JobSpecInput = z.input<Built['JobSpecSchema']>;
export type TaskType = JobSpec['task'];

/** The quantity early stopping watches, "auto" resolved. */
export function resolveMonitor(training: TrainingSpec): 'valLoss' | 'loss' | null {
  const es = training.earlyStopping;
  if (!es) return null;
  if (es.monitor !== 'auto') return es.monitor;
  return training.validationSplit > 0 ? 'valLoss' : 'loss';
}

// Installs the contracts' validation messages (did-you-mean, Required, union variants).
import './messages.js';
import { z } from 'zod';
import { JobErrorCodeSchema } from './problem.js';
import { DOCUMENTED_AS } from './documented-as.js';
import { EvaluationSchema, PreprocessingResultSchema } from './evaluation.js';
import type { TaskType } from './job-spec.js';

/**
 * Every state a job can be in. `succeeded`, `failed` and `cancelled` are terminal. `paused` is a
 * sweep trial waiting at a rung (its weights and result as of that rung are stored): its sweep
 * either promotes it (`queued` again, resuming from its checkpoint) or stops it (`succeeded`).
 */
export const JobStatusSchema = z.enum([
  'queued',
  'running',
  'paused',
  'succeeded',
  'failed',
  'cancelling',
  'cancelled',
]);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** True once a job can no longer change. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const JobProgressSchema = z
  .object({
    epoch: z.number().int(),
    epochs: z.number().int(),
    step: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number().nullable(),
  })
  .meta({ id: 'JobProgress' });
export type JobProgress = z.infer<typeof JobProgressSchema>;

/**
 * Result of a succeeded job. Open to task-specific fields (minimize: point, gradient, hessian,
 * classification; reinforce: solved, solvedAtEpisode, …), which pass through unchanged.
 */
export const JobResultSchema = z
  .looseObject({
    loss: z.number().nullable(),
    valLoss: z.number().nullable(),
    metrics: z.record(z.string(), z.number().nullable()),
    parameters: z.number().int(),
    durationMs: z.number(),
    steps: z.number().int().optional(),
    epochs: z.number().int().optional(),
    stoppedEarly: z
      .string()
      .optional()
      .describe('Why training ended before its last epoch (early stopping).'),
    sensitivity: z
      .object({
        features: z.array(z.string()),
        output: z.array(z.number()).describe('Per feature: mean over rows and outputs of |∂output/∂x_j|.'),
        loss: z.array(z.number()).describe('Per feature: mean over rows of |∂loss_i/∂x_j|.'),
        ranking: z.array(z.number().int()).describe('Feature indices, most influential first.'),
        rows: z.number().int(),
      })
      .nullable()
      .optional()
      .describe(
        'Input sensitivity over the validation rows (training rows when there is no validation split).',
      ),
    curvature: z
      .object({
        maxEigenvalue: z
          .number()
          .describe(
            'Largest Hessian eigenvalue of the training loss (power iteration on Hessian-vector products).',
          ),
        powerIterations: z.number().int(),
        minEigenvalue: z.number().nullable(),
        conditionNumber: z.number().nullable(),
        locallyConvex: z.boolean().nullable(),
        parameters: z.number().int(),
      })
      .nullable()
      .optional()
      .describe('Curvature of the loss at the trained weights; full-spectrum fields only for small models.'),
    preprocessing: PreprocessingResultSchema.optional().describe(
      'Tables: the statistics fitted on the training rows, which /predict, /evaluate and the exports apply.',
    ),
    test: EvaluationSchema.optional().describe('Metrics on the test split (training.testSplit > 0).'),
    validation: EvaluationSchema.optional().describe(
      'The same report on the validation split (training.validationSplit > 0).',
    ),
    // minimize (src/train/tasks/minimize.ts): the point found and the curvature there.
    variables: z.array(z.string()).optional().describe('minimize: the variables, in objective order.'),
    point: z.record(z.string(), z.number()).optional().describe('minimize: the point found, by variable.'),
    value: z.number().optional().describe('minimize: the objective at `point` (also `loss`).'),
    gradient: z.record(z.string(), z.number()).optional().describe('minimize: the gradient at `point`.'),
    gradNorm: z.number().optional().describe('minimize: L2 norm of `gradient`.'),
    hessian: z
      .array(z.array(z.number()))
      .nullable()
      .optional()
      .describe('minimize: the Hessian at `point`, rows in variable order (null for many variables).'),
    eigenvalues: z
      .array(z.number())
      .nullable()
      .optional()
      .describe('minimize: the Hessian eigenvalues, ascending (null for many variables).'),
    classification: z
      .enum(['minimum', 'maximum', 'saddle', 'degenerate'])
      .nullable()
      .optional()
      .describe("minimize: the curvature at `point` from the eigenvalues' signs."),
    evaluations: z.number().int().optional().describe('minimize: objective + gradient evaluations.'),
    // reinforce (src/train/tasks/reinforce.ts).
    meanReturn100: z.number().optional().describe('reinforce: mean return of the last 100 episodes.'),
    episodes: z.number().int().optional().describe('reinforce: episodes run (also `steps`).'),
    solved: z
      .boolean()
      .nullable()
      .optional()
      .describe("reinforce: whether the environment's threshold was reached (null when it has none)."),
    solvedAtEpisode: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe('reinforce: first episode at which the mean of the last 100 returns reached the threshold.'),
  })
  .meta({ id: 'JobResult' });
export type JobResult = z.infer<typeof JobResultSchema>;

export const JobErrorSchema = z
  .object({
    code: JobErrorCodeSchema,
    message: z.string(),
  })
  .meta({ id: 'JobError' });
export type JobError = z.infer<typeof JobErrorSchema>;

/** A job id as the API makes them (`job_` and 8–40 base-36 characters). */
const JOB_ID = /^job_[0-9a-z]{8,40}$/;

/** Where a job's start came from: another job's final weights, or a checkpoint of another job. */
export const JobLineageSchema = z
  .object({
    parent: z.string().meta({ description: 'The job it started from', example: 'job_0mif3k2a1x7d9q2zk4' }),
    kind: z.enum(['fromJob', 'fork']).meta({
      description:
        "fromJob: init.fromJob took the parent's final weights; fork: POST /v1/jobs/{id}/fork resumed a checkpoint of the parent",
    }),
    checkpointStep: z
      .int()
      .nullable()
      .meta({ description: 'fork: the step of the checkpoint it resumed from; null for fromJob' }),
  })
  .meta({ id: 'JobLineage' });
export type JobLineage = z.infer<typeof JobLineageSchema>;

/**
 * A job as the API returns it. `spec` is the normalized JobSpec (defaults filled); it is typed
 * loosely here because responses are serialized from stored JSON that the JobSpec schema already
 * accepted on the way in.
 */
export const JobSchema = z
  .object({
    id: z.string().meta({ example: 'job_0mif3k2a1x7d9q2zk4' }),
    object: z.literal('job'),
    status: JobStatusSchema,
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    spec: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The normalized JobSpec, defaults filled in', [DOCUMENTED_AS]: 'JobSpec' }),
    progress: JobProgressSchema.nullable(),
    result: JobResultSchema.nullable(),
    error: JobErrorSchema.nullable(),
    attempt: z.number().int(),
    metadata: z.record(z.string(), z.unknown()),
    lineage: JobLineageSchema.nullable().meta({
      description: 'The job this one started from (fine-tuning or a fork); null when it started from scratch',
    }),
    sweepId: z.string().nullable().optional().meta({
      description: 'The sweep this job is a trial of (GET /v1/sweeps/{id}); absent for a job of its own',
      example: 'swp_0mif3k2a1x7d9q2zk4',
    }),
    trialId: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'The trial of the sweep this job trains', example: 'trial_3' }),
    queuePosition: z.number().int().min(1).nullable().optional().meta({
      description:
        'GET /v1/jobs/{id} only: while queued, the 1-based place in the queue (1 = next to start); null otherwise, and while waiting to be retried after a crash',
    }),
    tenant: z.string().optional().meta({
      description: "The job's owner: only in the job lists an `admin` key reads (GET /v1/jobs)",
      example: 'alice',
    }),
    etaSeconds: z.number().min(0).nullable().optional().meta({
      description:
        'GET /v1/jobs/{id} only: while running, estimated seconds left, elapsed × (totalSteps − step) / step; null before the first progress and when not running',
    }),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof JobSchema>;

/** One page of a newest-first listing. */
export const JobListSchema = z
  .object({
    data: z.array(JobSchema),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'JobList' });
export type JobList = z.infer<typeof JobListSchema>;

const intFromQuery = (min: number, max: number, dflt: number) =>
  z.coerce.number().int().min(min).max(max).default(dflt);

/** The JobSpec tasks (`task`; a spec without one is supervised). */
export const JOB_TASKS = ['supervised', 'minimize', 'reinforce'] as const;
// Fails to compile when job-spec.ts gains or loses a task and this list does not follow.
type SameTasks<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tasksMatch: SameTasks<(typeof JOB_TASKS)[number], TaskType> = true;
void tasksMatch;

/** An ISO 8601 time in a query parameter (date, or date-time with `Z` or an offset). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** ISO 8601 and a real calendar day (Date.parse rolls 2026-02-30 over to March 2). */
function isIsoTime(s: string): boolean {
  if (!ISO_TIME.test(s) || !Number.isFinite(Date.parse(s))) return false;
  const [y, m, d] = s.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
}
const isoTimeQuery = (name: string, description: string) =>
  z
    .string()
    .refine(isIsoTime, {
      error: (iss) =>
        `${name} must be an ISO 8601 time such as 2026-12-03T06:00:00Z or 2026-12-03, got ${JSON.stringify(iss.input)}`,
    })
    .optional()
    .meta({ description, example: '2026-12-03T06:00:00Z' });

/** Query parameters `metadata.<key>=<value>` of `GET /v1/jobs` (exact match, ANDed). */
export const METADATA_FILTER_PREFIX = 'metadata.';

export const ListJobsQuerySchema = z
  .object({
    status: JobStatusSchema.optional(),
    limit: intFromQuery(1, 100, 20),
    after: z
      .string()
      .max(64)
      .regex(/^job_[0-9a-z]{8,40}$/, 'expected the nextCursor of a previous page (a job id)')
      .optional()
      .meta({ description: 'nextCursor of the previous page' }),
    task: z
      .enum(JOB_TASKS, {
        error: (iss) => `task must be one of ${JOB_TASKS.join(', ')}; got ${JSON.stringify(iss.input)}`,
      })
      .optional()
      .meta({ description: "The spec's task (a spec without `task` is supervised)" }),
    createdAfter: isoTimeQuery('createdAfter', 'Only jobs created strictly after this time'),
    createdBefore: isoTimeQuery('createdBefore', 'Only jobs created strictly before this time'),
    parent: z
      .string()
      .regex(JOB_ID, 'expected a job id such as job_0mif3k2a1x7d9q2zk4')
      .optional()
      .meta({ description: 'Only jobs whose lineage.parent is this job (its fine-tunes and forks)' }),
    tenant: z
      .string()
      .max(256)
      .regex(/^[^\s:,]+$/, 'expected a tenant name (no whitespace, ":" or ",")')
      .optional()
      .meta({
        description:
          "`admin` keys: this tenant's jobs (absent: every tenant's, each with its `tenant`). Other keys may name only their own tenant (another answers 403).",
      }),
  })
  // `metadata.<key>=<value>` filters (read by the route); other unknown parameters stay ignored.
  .catchall(z.unknown());

export const JobParamsSchema = z.object({ id: z.string().min(1).max(64) });

export const MetricsQuerySchema = z.object({
  maxPoints: z.coerce.number().int().min(2).max(100_000).optional(),
});

export const WeightsQuerySchema = z.object({
  format: z.enum(['json', 'safetensors']).optional(),
});

/** Columnar training history: one entry per progress event in every top-level column. */
export const JobMetricsSchema = z
  .object({
    jobId: z.string(),
    attempt: z.number().int(),
    points: z.number().int().meta({ description: 'rows returned (after downsampling)' }),
    total: z.number().int().meta({ description: 'rows before downsampling' }),
    step: z.array(z.number()),
    epoch: z.array(z.number()),
    loss: z.array(z.number().nullable()),
    lr: z.array(z.number().nullable()),
    gradNorm: z.array(z.number().nullable()),
    valLoss: z
      .array(z.number().nullable())
      .meta({ description: 'validation loss of the latest finished epoch at that row' }),
    time: z.array(z.string()),
    epochs: z
      .object({
        epoch: z.array(z.number()),
        loss: z.array(z.number().nullable()),
        valLoss: z.array(z.number().nullable()),
        metrics: z.record(z.string(), z.array(z.number().nullable())),
      })
      .meta({ description: 'one entry per finished epoch (never downsampled)' }),
  })
  .meta({ id: 'JobMetrics' });
export type JobMetrics = z.infer<typeof JobMetricsSchema>;

/** Weights as JSON: nested arrays in the layout of `init.weights`, so they can be fed back as a start. */
export const WeightsJsonSchema = z
  .object({
    jobId: z.string(),
    dtype: z.enum(['float32', 'float64']),
    shapes: z.record(z.string(), z.array(z.number().int())),
    weights: z
      .record(z.string(), z.unknown())
      .meta({ description: 'parameter name → nested number arrays (torch state_dict names)' }),
  })
  .meta({ id: 'Weights' });

/** `GET /v1/jobs/{id}/weights` as a safetensors file. */
export const SafetensorsSchema = z.string().meta({
  format: 'binary',
  description:
    'A safetensors file: 8-byte little-endian header length, JSON header (dtype, shape, data_offsets per tensor), raw little-endian data; names match the equivalent torch module.',
});

/** `GET /v1/jobs/{id}/model`: which export. */
export const ModelQuerySchema = z.object({
  format: z
    .enum(['onnx', 'torch'])
    .optional()
    .meta({
      description:
        '`onnx` (default; also `Accept: application/onnx`) or `torch` (also `Accept: text/x-python`)',
    }),
});

/** `GET /v1/jobs/{id}/model?format=onnx`: an ONNX model file. */
export const OnnxModelSchema = z.string().meta({
  format: 'binary',
  description:
    'An ONNX ModelProto (opset 17, IR 8): input `input` [N, features] float32 (or [N, columns] with table preprocessing), output `output` [N, outputs] = what /predict returns; metadata_props hold the job id, spec sha256 and metrics.',
});

/** `GET /v1/jobs/{id}/model?format=torch`: a Python file. */
export const TorchModelSchema = z.string().meta({
  description:
    'A self-contained Python file (torch only) defining `Model` (torch.nn.Module) and `load_model(path)`; `Model().load_state_dict(<the job\'s safetensors>, strict=True)` loads the weights.',
});

/** One row of a table by column name: numbers, strings, booleans, null for a missing value. */
export const RecordSchema = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));

export const PredictRequestSchema = z
  .union([
    z.strictObject({ inputs: z.array(z.array(z.number())).min(1).max(100_000) }),
    z.strictObject({
      records: z
        .array(RecordSchema)
        .min(1)
        .max(100_000)
        .describe(
          "Rows by column name, for a job trained on an uploaded table: the job's fitted preprocessing turns them into inputs.",
        ),
    }),
  ])
  .meta({ id: 'PredictRequest' });

export const PredictResponseSchema = z
  .object({
    outputs: z.array(z.array(z.number())),
    classes: z.array(z.number().int()).optional(),
    labels: z
      .array(z.string())
      .optional()
      .describe("The predicted classes' names, when the job's target classes have names."),
  })
  .meta({ id: 'PredictResponse' });

export const GradientsResponseSchema = z
  .object({
    outputs: z
      .array(z.array(z.number()))
      .describe('What /predict returns for these inputs (probabilities for classification).'),
    jacobian: z
      .array(z.array(z.array(z.number())))
      .describe('Per input row i: jacobian[i][k][j] = ∂outputs[i][k] / ∂inputs[i][j].'),
  })
  .meta({ id: 'GradientsResponse' });

/** `POST /v1/jobs/{id}/fork`: which checkpoint, and what to change. */
export const ForkRequestSchema = z
  .strictObject({
    fromCheckpoint: z
      .union([z.int().min(0, { error: 'fromCheckpoint is a step ≥ 0 or "last"' }), z.literal('last')])
      .default('last')
      .meta({
        description:
          'The step of a listed checkpoint (GET /v1/jobs/{id}/checkpoints) or "last" (the newest one)',
      }),
    changes: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({
        description:
          "A partial JobSpec deep-merged into the parent's (objects merge, anything else replaces), then validated as a whole. It may not change what the checkpoint's state depends on: the parameter shapes, task, data, preprocess, init, training.batchSize / validationSplit / testSplit / seed / shuffle / dtype, optimizer.type",
        example: { optimizer: { lr: 0.001 } },
      }),
  })
  .meta({ id: 'ForkRequest' });
export type ForkRequest = z.infer<typeof ForkRequestSchema>;

/** Headers of `POST /v1/jobs`. */
export const CreateJobHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(256)
    .optional()
    .meta({ description: 'Same key and same body → the same job (200); same key, other body → 409' }),
});

/** Headers of `GET /v1/jobs/{id}/events`. */
export const EventsHeadersSchema = z.looseObject({
  'last-event-id': z
    .string()
    .optional()
    .meta({ description: 'SSE resume point: the id of the last event received' }),
});

/** What `POST /v1/jobs/validate` answers for a valid spec. */
export const ValidateResponseSchema = z
  .object({
    valid: z.literal(true),
    spec: z.record(z.string(), z.unknown()).meta({ description: 'The normalized JobSpec' }),
    estimate: z.object({
      parameters: z.number(),
      stepsPerEpoch: z.number(),
      totalSteps: z.number(),
      bytes: z.number().meta({ description: 'Rough peak memory of the trainer' }),
      flopsPerStep: z
        .number()
        .optional()
        .meta({ description: 'Supervised jobs: operations per optimizer step, 6 · batch · parameters' }),
      seconds: z.number().optional().meta({
        description:
          "Supervised jobs: seconds the job needs at this server's measured speed (a best case); a job over its wall-time limit is refused",
      }),
    }),
    layers: z
      .array(
        z.object({
          index: z
            .int()
            .meta({ description: 'Position in the torch.nn.Sequential (the name prefix of its tensors)' }),
          type: z.string().meta({ description: 'Layer type (linear, relu, conv2d, …)' }),
          outputShape: z
            .array(z.int())
            .meta({ description: "One sample's shape after the layer (no batch dim)" }),
          parameters: z.int().meta({ description: 'Trained values of the layer' }),
        }),
      )
      .optional()
      .meta({ description: 'Supervised jobs: the model as layers, input side first' }),
  })
  .meta({ id: 'ValidateResponse' });

/** What a BullMQ job carries: only ids; the spec lives in the job hash and the worker re-parses it. */
export const TrainJobDataSchema = z.object({
  jobId: z.string().regex(/^job_[0-9a-z]+$/),
  tenant: z.string().min(1),
});
export type TrainJobData = z.infer<typeof TrainJobDataSchema>;

/** `GET /healthz`. */
export const HealthSchema = z.object({ status: z.literal('ok') });

/** `GET /readyz`: 200 when ready, 503 otherwise, same body. */
export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    redis: z.enum(['ok', 'unreachable']),
    workers: z.number().int(),
    backends: z.array(z.string()).meta({ description: 'Kernel backends the live workers train with' }),
    detail: z.string().optional(),
  })
  .meta({ id: 'Readiness' });

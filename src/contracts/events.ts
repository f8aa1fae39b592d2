import { z } from 'zod';
import { JobErrorSchema, JobResultSchema } from './job.js';
import { DOCUMENTED_AS } from './documented-as.js';

/**
 * Events of a job, stored once each in the job's own Redis stream. The stream entry id is the
 * event id (SSE `id:` and the JSON page cursor). Every event carries the attempt that produced
 * it, so a client can tell a retried run from the first one.
 */
const base = {
  jobId: z.string(),
  attempt: z.number().int(),
  time: z.string(),
};

export const StatusEventSchema = z.object({
  type: z.literal('status'),
  ...base,
  status: z.enum(['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelling', 'cancelled']),
});

export const ProgressEventSchema = z.object({
  type: z.literal('progress'),
  ...base,
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number().nullable(),
  lr: z.number().nullable(),
  gradNorm: z.number().nullable().describe('Global L2 norm of the gradient (before clipping).'),
  updateRatio: z.number().nullable().optional().describe('‖Δθ‖/‖θ‖ of the step (supervised jobs).'),
  point: z.record(z.string(), z.number()).optional().describe('minimize: the iterate, by variable.'),
  value: z.number().optional().describe('minimize: the objective at `point`.'),
  episode: z.number().int().optional().describe('reinforce: the episode number (1-based).'),
  return: z.number().optional().describe('reinforce: undiscounted return of the episode.'),
  length: z.number().int().optional().describe('reinforce: steps in the episode.'),
  entropy: z.number().optional().describe('reinforce: mean policy entropy over the episode (nats).'),
  meanReturn100: z.number().optional().describe('reinforce: mean return of the last 100 episodes.'),
});

export const EpochEventSchema = z.object({
  type: z.literal('epoch'),
  ...base,
  epoch: z.number().int(),
  loss: z.number().nullable(),
  valLoss: z.number().nullable(),
  metrics: z.record(z.string(), z.number().nullable()),
  newton: z
    .record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()]))
    .optional()
    .describe(
      "Newton's method: the iteration's damping, Newton decrement, step size, whether the step was accepted, CG iterations.",
    ),
});

export const CheckpointEventSchema = z.object({
  type: z.literal('checkpoint'),
  ...base,
  step: z.number().int(),
  epoch: z.number().int(),
});

export const LogEventSchema = z.object({
  type: z.literal('log'),
  ...base,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});

export const EndEventSchema = z.object({
  type: z.literal('end'),
  ...base,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  result: JobResultSchema.nullable(),
  error: JobErrorSchema.nullable(),
});

export const JobEventSchema = z
  .discriminatedUnion('type', [
    StatusEventSchema,
    ProgressEventSchema,
    EpochEventSchema,
    CheckpointEventSchema,
    LogEventSchema,
    EndEventSchema,
  ])
  .meta({ id: 'JobEvent' });

export type JobEvent = z.infer<typeof JobEventSchema>;
export type JobEventType = JobEvent['type'];
/**
 * An event as a JSON page lists it: the payload plus its stream id.
 * @public
 */
export const StoredEventSchema = (() => {
  const id = {
    id: z.string().meta({ example: '1764139200000-0', description: 'The event id (stream entry id)' }),
  };
  return z
    .discriminatedUnion('type', [
      StatusEventSchema.extend(id),
      ProgressEventSchema.extend(id),
      EpochEventSchema.extend(id),
      CheckpointEventSchema.extend(id),
      LogEventSchema.extend(id),
      EndEventSchema.extend(id),
    ])
    .meta({ id: 'StoredEvent' });
})();
export type StoredEvent = { id: string } & JobEvent;

export const EventPageSchema = z
  .object({
    data: z
      .array(z.record(z.string(), z.unknown()))
      // Served as stored; documented as what they are (see src/api/openapi-document.ts).
      .meta({ description: 'The events, oldest first', [DOCUMENTED_AS]: 'StoredEvent' }),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'EventPage' });

/** The body of `GET /v1/jobs/{id}/events` with `Accept: text/event-stream`. */
export const SseStreamSchema = z.string().meta({
  // OpenAPI 3.0 cannot describe an event stream's messages; this extension names their `data:`.
  'x-event-data': { $ref: '#/components/schemas/JobEvent' },
  description:
    'Server-sent events: `retry:`, then per event `id: <eventId>`, `event: <type>`, `data: <JobEvent JSON>` (the event id is the SSE `id:`); `: ping` comments while idle.',
  example:
    'id: 1764139200000-0\nevent: status\ndata: {"type":"status","jobId":"job_0mif3k2a1x7d9q2zk4","attempt":1,"time":"2026-11-26T06:40:00.000Z","status":"running"}\n\n',
});

export const EventsQuerySchema = z.object({
  after: z
    .string()
    .regex(/^\d+-\d+$/, 'expected an event id such as 1764139200000-0')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventPageSchema, EventsQuerySchema, SseStreamSchema } from '../../contracts/events.js';
import { EventsHeadersSchema, JobParamsSchema, isTerminal, type Job } from '../../contracts/job.js';
import { ApiError, NoContent, ProblemSchema } from '../../contracts/problem.js';
import { compareIds } from '../../queue/tailer.js';
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import { jobOwnerOf } from '../auth.js';
import { loadJob } from './jobs.js';
import { streamEvents } from '../sse.js';

const EVENT_ID = /^\d+-\d+$/;

/** Where an SSE client asked to resume: the `Last-Event-ID` header, else `?after=`. */
interface ResumePoint {
  id: string;
  /** How the problem document names it. */
  name: 'Last-Event-ID' | 'after';
  path: '/headers/last-event-id' | '/query/after';
}

/** A client's value inside a message: quoted, and cut short so a hostile header stays readable. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/**
 * What a resume point means for this job's stream: `stream` (events after it are, or will be,
 * there) or `done` (the job is finished and the point is its last event: nothing is left to send).
 * A malformed id, or one after the stream's last event (an id this stream never sent), is a 400:
 * answering it with a stream would skip every event up to that id, or wait for ever.
 */
async function resumeVerdict(deps: AppDeps, job: Job, from: ResumePoint): Promise<'stream' | 'done'> {
  if (!EVENT_ID.test(from.id))
    throw new ApiError(
      'VALIDATION_ERROR',
      `${from.name} ${shown(from.id)} is not an event id; expected <ms>-<seq> such as 1764139200000-0`,
      [{ path: from.path, message: `expected <ms>-<seq>, got ${shown(from.id)}` }],
    );
  // Read after the job: a job finished at that read has its final stream by now.
  const last = (await deps.jobs.lastEventId(job.id)) ?? '0-0';
  const order = compareIds(from.id, last);
  if (order > 0)
    throw new ApiError(
      'VALIDATION_ERROR',
      `${from.name} ${shown(from.id)} is after the last event of job ${job.id} (${last}); resume from an id the stream sent`,
      [{ path: from.path, message: `after the stream's last event ${last}, got ${shown(from.id)}` }],
    );
  return order === 0 && isTerminal(job.status) ? 'done' : 'stream';
}

export const eventRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/jobs/:id/events',
      {
        schema: {
          operationId: 'getJobEvents',
          summary: 'Job events: SSE stream or JSON pages',
          description:
            '`Accept: text/event-stream` streams the history after `Last-Event-ID` (or `?after=`) and then the live tail; the stream closes after `end`. A finished job resumed at its last event (`end`) answers 204, which tells an EventSource to stop reconnecting; an id after the last event is a 400. Otherwise returns a JSON page `?after=<eventId>&limit=`. SSE and pages share one cursor: the event id.',
          params: JobParamsSchema,
          querystring: EventsQuerySchema,
          headers: EventsHeadersSchema,
          response: {
            200: {
              description:
                'A JSON page of events; with `Accept: text/event-stream`, an SSE stream: each message has `id:` (the event id), `event:` (its type) and `data:` (the StoredEvent as JSON), and the stream closes after `end`.',
              content: {
                'application/json': { schema: EventPageSchema },
                'text/event-stream': { schema: SseStreamSchema },
              },
            },
            204: NoContent.describe(
              'SSE resume of a finished job at its last event: nothing is left to send',
            ),
            404: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const job = await loadJob(deps, req.params.id, jobOwnerOf(req));
        const accept = req.headers.accept ?? '';
        if (accept.includes('text/event-stream')) {
          const header = req.headers['last-event-id'];
          const from: ResumePoint | null =
            header !== undefined
              ? { id: header, name: 'Last-Event-ID', path: '/headers/last-event-id' }
              : req.query.after !== undefined
                ? { id: req.query.after, name: 'after', path: '/query/after' }
                : null;
          if (from && (await resumeVerdict(deps, job, from)) === 'done') return reply.code(204).send();
          await streamEvents(deps, req, reply, job.id, from?.id, metrics.sseClients);
          return reply;
        }
        return deps.jobs.events(job.id, { after: req.query.after, limit: req.query.limit });
      },
    );
  };

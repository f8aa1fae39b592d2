import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventPageSchema, EventsQuerySchema } from '../../contracts/events.js';
import { EventsHeadersSchema, JobParamsSchema } from '../../contracts/job.js';
import { ApiError, ProblemSchema } from '../../contracts/problem.js';
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import { tenantOf } from '../auth.js';
import { loadJob } from './jobs.js';
import { streamEvents } from '../sse.js';

const EVENT_ID = /^\d+-\d+$/;

export const eventRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/jobs/:id/events',
      {
        schema: {
          operationId: 'getJobEvents',
          summary: 'Job events: SSE stream or JSON pages',
          description:
            '`Accept: text/event-stream` streams the history after `Last-Event-ID` (or `?after=`) and then the live tail; the stream closes after `end`. Otherwise returns a JSON page `?after=<eventId>&limit=`. SSE and pages share one cursor: the event id.',
          params: JobParamsSchema,
          querystring: EventsQuerySchema,
          headers: EventsHeadersSchema,
          response: {
            200: EventPageSchema.describe(
              'JSON page; with Accept: text/event-stream the body is an SSE stream instead',
            ),
            400: ProblemSchema,
            404: ProblemSchema,
          },
        },
      },
      async (req, reply) => {
        const job = await loadJob(deps, req.params.id, tenantOf(req));
        const accept = req.headers.accept ?? '';
        if (accept.includes('text/event-stream')) {
          const last = req.headers['last-event-id'] ?? req.query.after;
          if (last !== undefined && !EVENT_ID.test(last))
            throw new ApiError(
              'VALIDATION_ERROR',
              'Last-Event-ID must be an event id such as 1764139200000-0',
              [{ path: '/headers/last-event-id', message: 'expected <ms>-<seq>' }],
            );
          await streamEvents(deps, req, reply, job.id, last, metrics.sseClients);
          return reply;
        }
        return deps.jobs.events(job.id, { after: req.query.after, limit: req.query.limit });
      },
    );
  };

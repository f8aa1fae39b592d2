import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventPageSchema, EventsQuerySchema } from '../../contracts/events.js';
import { EventsHeadersSchema } from '../../contracts/job.js';
import { JobFeedSseSchema } from '../../contracts/job-feed.js';
import { ApiError, problemResponse } from '../../contracts/problem.js';
import { compareIds } from '../../queue/tailer.js';
import type { AppDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';
import { tenantOf } from '../auth.js';
import { streamSource } from '../sse.js';

const EVENT_ID = /^\d+-\d+$/;

const shown = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

/**
 * `GET /jobs/events`: the caller's tenant's job status feed (keys.jobFeed, written by the job
 * scripts in the same step as each status change). Tenant-scoped by construction: the feed key is
 * the tenant's own, so no filter can leak another tenant's jobs.
 */
export const jobFeedRoutes = (deps: AppDeps, metrics: Metrics): FastifyPluginAsyncZod =>
  async function (app) {
    app.get(
      '/jobs/events',
      {
        schema: {
          operationId: 'getJobFeed',
          summary: "Status changes of all the tenant's jobs: SSE stream or JSON pages",
          description:
            "Every `status` event of every job of the caller's tenant, in order (queued, running, cancelling, paused, succeeded, failed, cancelled), from a feed capped at about 10,000 entries. `Accept: text/event-stream` streams from the current end (or after `Last-Event-ID` / `?after=`, replaying what was missed) and never closes by itself; otherwise a JSON page `?after=<eventId>&limit=`. A resume point older than the feed's oldest entry is a 409: events after it may have been dropped, so reload the job list and reconnect without one.",
          querystring: EventsQuerySchema,
          headers: EventsHeadersSchema,
          response: {
            200: {
              description: 'A JSON page of status events; with `Accept: text/event-stream`, an SSE stream of them.',
              content: {
                'application/json': { schema: EventPageSchema },
                'text/event-stream': { schema: JobFeedSseSchema },
              },
            },
            409: problemResponse('The resume point is older than the feed keeps: reload the list, reconnect without it'),
          },
        },
      },
      async (req, reply) => {
        const tenant = tenantOf(req);
        const accept = req.headers.accept ?? '';
        if (!accept.includes('text/event-stream'))
          return deps.jobs.feed(tenant, { after: req.query.after, limit: req.query.limit });
        const header = req.headers['last-event-id'];
        const named = header !== undefined ? 'Last-Event-ID' : 'after';
        const path = header !== undefined ? '/headers/last-event-id' : '/query/after';
        let from = header ?? req.query.after;
        const bounds = await deps.jobs.feedBounds(tenant);
        if (from !== undefined) {
          if (!EVENT_ID.test(from))
            throw new ApiError('VALIDATION_ERROR', `${named} ${shown(from)} is not an event id; expected <ms>-<seq> such as 1764139200000-0`, [
              { path, message: `expected <ms>-<seq>, got ${shown(from)}` },
            ]);
          if (bounds && compareIds(from, bounds.last) > 0)
            throw new ApiError('VALIDATION_ERROR', `${named} ${shown(from)} is after the feed's last event (${bounds.last}); resume from an id the stream sent`, [
              { path, message: `after the feed's last event ${bounds.last}, got ${shown(from)}` },
            ]);
          if (!bounds || compareIds(from, bounds.first) < 0)
            throw new ApiError(
              'CONFLICT',
              `${named} ${shown(from)} is older than the feed's oldest event (${bounds?.first ?? 'none'}): changes after it may have been dropped; reload the job list and reconnect without ${named}`,
              [{ path, message: `older than the oldest kept event ${bounds?.first ?? '(feed empty)'}` }],
            );
        } else from = bounds?.last;
        await streamSource(
          deps,
          req,
          reply,
          {
            name: `job feed of ${tenant}`,
            key: deps.keys.jobFeed(tenant),
            page: (q) => deps.jobs.feed(tenant, q),
            // A feed has no end: it follows the tenant's jobs for as long as the client stays.
            finished: async () => false,
          },
          from,
          metrics.sseClients,
        );
        return reply;
      },
    );
  };

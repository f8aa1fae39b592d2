import { z } from 'zod';

/**
 * `GET /v1/jobs/events`: the tenant's job status feed, every `status` event of every job of the
 * caller's tenant in one stream (what the dashboard's job list follows). The events are the jobs'
 * own `status` events (StatusEvent); the ids are the feed's, not the jobs'.
 */

/** The body of `GET /v1/jobs/events` with `Accept: text/event-stream`. */
export const JobFeedSseSchema = z.string().meta({
  'x-event-data': { $ref: '#/components/schemas/JobEvent' },
  description:
    'Server-sent events: `retry:`, then per status change `id: <feed event id>`, `event: status`, `data: <StatusEvent JSON>` (`jobId`, `attempt`, `time`, `status`); `: ping` comments while idle; never closes by itself. Without `Last-Event-ID` it starts at the current end of the feed.',
  example:
    'id: 1764139200000-0\nevent: status\ndata: {"type":"status","jobId":"job_0mif3k2a1x7d9q2zk4","attempt":1,"time":"2026-11-26T06:40:00.000Z","status":"running"}\n\n',
});

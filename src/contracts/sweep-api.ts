/**
 * The HTTP side of sweeps that src/contracts/sweep.ts (the sweep's own shapes) does not hold: path
 * and query parameters of the `/v1/sweeps` routes and their event page and stream.
 */
import { z } from 'zod';
import { SweepEventSchema } from './sweep.js';

export const SweepParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: 'The sweep id (swp_…)', example: 'swp_0mif3k2a1x7d9q2zk4' }),
});

export const ListSweepsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z
    .string()
    .max(64)
    .regex(/^swp_[0-9a-z]{8,40}$/, 'expected the nextCursor of a previous page (a sweep id)')
    .optional()
    .meta({ description: 'nextCursor of the previous page' }),
});

/** A sweep event as stored, with its stream id (the SSE `id:` and the page cursor). */
const StoredSweepEventSchema = (() => {
  const id = {
    id: z.string().meta({ example: '1764139200000-0', description: 'The event id (stream entry id)' }),
  };
  const [status, trial, rung, best, end] = SweepEventSchema.options;
  return z
    .discriminatedUnion('type', [
      status.extend(id),
      trial.extend(id),
      rung.extend(id),
      best.extend(id),
      end.extend(id),
    ])
    .meta({ id: 'StoredSweepEvent' });
})();

/** `GET /v1/sweeps/{id}/events` as JSON. */
export const SweepEventPageSchema = z
  .object({
    data: z.array(StoredSweepEventSchema).meta({ description: 'The events, oldest first' }),
    hasMore: z.boolean(),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'SweepEventPage' });

/** The body of `GET /v1/sweeps/{id}/events` with `Accept: text/event-stream`. */
export const SweepSseStreamSchema = z.string().meta({
  'x-event-data': { $ref: '#/components/schemas/SweepEvent' },
  description:
    'Server-sent events: `retry:`, then per event `id: <eventId>`, `event: <type>`, `data: <SweepEvent JSON>`; `: ping` comments while idle; closes after `end`.',
  example:
    'id: 1764139200000-0\nevent: status\ndata: {"type":"status","status":"running","sweepId":"swp_0mif3k2a1x7d9q2zk4","time":"2026-11-26T06:40:00.000Z"}\n\n',
});

/** `POST /v1/sweeps` headers: an optional `Idempotency-Key` (as for jobs, in a key space of its own). */
export const CreateSweepHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(256)
    .optional()
    .meta({ description: 'Same key and same body → the same sweep (200); same key, other body → 409' }),
});

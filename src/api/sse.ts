import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredEvent } from '../contracts/events.js';
import type { AppDeps } from './deps.js';
import type { EventPage } from '../queue/job-store.js';
import { isTerminal } from '../contracts/job.js';
import { compareIds } from '../queue/tailer.js';

/**
 * Frames already built, per event object: the tailer hands the same object to every subscriber of
 * a stream, so an event fanned out to 1,000 clients is serialized once, not 1,000 times.
 */
const frames = new WeakMap<StoredEvent, string>();

/** Serialize one event as an SSE frame; the stream id is the SSE id, the type the event name. */
export function sseFrame(ev: StoredEvent): string {
  let frame = frames.get(ev);
  if (frame === undefined) {
    const { id, ...data } = ev;
    frame = `id: ${id}\nevent: ${ev.type}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(ev, frame);
  }
  return frame;
}

/** A slow client may buffer this much before we drop it (it can resume with Last-Event-ID). */
const MAX_BUFFERED = 8 * 1024 * 1024;

/**
 * Stream a job's events over SSE, written by hand on the raw response: the contract wants `: ping`
 * heartbeats and one route serving JSON or SSE by `Accept`, which @fastify/sse 0.6 does not offer
 * (its heartbeat text is fixed). Writing ourselves also means a closed socket is just a flag we
 * check, never a rejected promise in a detached loop.
 *
 * Order of work, so nothing is lost and nothing repeats: subscribe to the live tail first
 * (buffering), replay history after `Last-Event-ID` with XRANGE, then drain the buffer; every event
 * goes through one `send` that drops ids at or below the last one sent. After `end`, close.
 *
 * A job that is finished once the replay is done has its whole stream in Redis: whatever the
 * replay did not send is read once more and the stream closes, whether or not `end` was among it
 * (a job that finished between the route's check and the subscription must not ping for ever).
 * A job deleted meanwhile (`tailer.drop`) ends the stream with a comment saying so.
 */
export async function streamEvents(
  deps: AppDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  jobId: string,
  from: string | undefined,
  gauge?: { inc(): void; dec(): void },
): Promise<void> {
  return streamSource(
    deps,
    req,
    reply,
    {
      name: `job ${jobId}`,
      key: deps.keys.events(jobId),
      page: (q) => deps.jobs.events(jobId, q),
      async finished() {
        const status = await deps.jobs.status(jobId);
        return status === null || isTerminal(status);
      },
    },
    from,
    gauge,
  );
}

/** A stream of events the SSE writer follows: a job's, or a sweep's. */
export interface EventSource {
  /** How log lines and the deletion comment name it (`job job_…`). */
  name: string;
  /** Its Redis stream key (what the tailer follows). */
  key: string;
  page(q: { after?: string; limit: number }): Promise<EventPage>;
  /** True once no event will come after the stored ones (finished, expired or deleted). */
  finished(): Promise<boolean>;
}

/** {@link streamEvents} over any {@link EventSource} (the same rules: replay, live tail, close after `end`). */
export async function streamSource(
  deps: AppDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  source: EventSource,
  from: string | undefined,
  gauge?: { inc(): void; dec(): void },
): Promise<void> {
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');
  gauge?.inc();

  let cursor = from;
  let closed = false;
  let replaying = true;
  const buffered: StoredEvent[] = [];
  let unsubscribe: (() => void) | null = null;
  const ping = setInterval(() => write(': ping\n\n'), deps.cfg.ssePingMs);
  ping.unref();

  function cleanup() {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    unsubscribe?.();
    unsubscribe = null;
    gauge?.dec();
  }
  function write(s: string) {
    if (closed || raw.destroyed || raw.writableEnded) return;
    raw.write(s);
    if (raw.writableLength > MAX_BUFFERED) {
      req.log.warn({ stream: source.name }, 'SSE client too slow; closing (it can resume with Last-Event-ID)');
      raw.destroy();
      cleanup();
    }
  }
  function finish() {
    if (closed) return;
    cleanup();
    if (!raw.destroyed && !raw.writableEnded) raw.end();
  }
  function send(ev: StoredEvent) {
    if (closed) return;
    if (cursor && compareIds(ev.id, cursor) <= 0) return;
    cursor = ev.id;
    write(sseFrame(ev));
    if (ev.type === 'end') finish();
  }

  raw.on('close', cleanup);
  raw.on('error', cleanup);

  /** Send the stored events after the cursor, in pages. */
  async function replay() {
    for (;;) {
      if (closed) return;
      const page = await source.page({ after: cursor, limit: 500 });
      for (const ev of page.data) send(ev);
      if (!page.hasMore) return;
    }
  }

  try {
    const unsub = await deps.tailer.subscribe(
      source.key,
      (ev) => {
        if (replaying) buffered.push(ev);
        else send(ev);
      },
      () => {
        write(`: ${source.name} was deleted\n\n`);
        finish();
      },
    );
    if (closed) {
      unsub();
      return;
    }
    unsubscribe = unsub;
    await replay();
    replaying = false;
    for (const ev of buffered.splice(0)) send(ev);
    if (closed) return;
    // Finished (or gone: expired, deleted): no event will come after the stored ones.
    if (await source.finished()) {
      await replay();
      finish();
    }
  } catch (err) {
    req.log.warn({ err, stream: source.name }, 'SSE stream failed');
    finish();
  }
}

/**
 * A job's or a sweep's events as an async iterator over the SSE stream (`GET /v1/jobs/{id}/events`,
 * `GET /v1/sweeps/{id}/events`), parsed by eventsource-parser. Both streams are resumable by design
 * (each event's id is its Redis stream id), so a dropped connection — network, proxy timeout, the
 * API restarting — is reconnected with `Last-Event-ID` and exponential backoff, and the caller sees
 * every event exactly once, in order. The iteration ends after the `end` event.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { components } from './api-types.js';
import { backoffMs, isTransient, sleep, type Http } from './http.js';

/** One event's data, as the service stores it (`type` tells which). */
export type JobEvent = components['schemas']['JobEvent'];
/** One event of a sweep's stream: `status`, `trial`, `rung`, `best`, `end`. */
export type SweepEvent = components['schemas']['SweepEvent'];

/** An event with its stream id (the resume cursor). */
export interface Streamed<E> {
  id: string;
  data: E;
}
/** A job's event with its stream id. */
export type StreamedEvent = Streamed<JobEvent>;
/** A sweep's event with its stream id. */
export type StreamedSweepEvent = Streamed<SweepEvent>;

/** Options of {@link streamEvents}. */
export interface EventsOptions {
  /** Start after this event id (resume); default: from the first event. */
  after?: string;
  signal?: AbortSignal;
  /** Consecutive failed connection attempts before giving up; default 30 (about two minutes). */
  maxRetries?: number;
  /** No byte (event or `: ping`) for this long means a dead connection: reconnect. Default 60 s. */
  idleTimeoutMs?: number;
  /** Called before each reconnect (for "reconnecting…" messages). */
  onReconnect?: (info: {
    attempt: number;
    delayMs: number;
    lastEventId: string | undefined;
    error: unknown;
  }) => void;
}

/** Iterate a job's events, reconnecting with `Last-Event-ID` until the `end` event. */
export function streamEvents(
  http: Http,
  jobId: string,
  opts: EventsOptions = {},
): AsyncGenerator<StreamedEvent> {
  return streamSse<JobEvent>(http, `/v1/jobs/${encodeURIComponent(jobId)}/events`, opts);
}

/** Iterate a sweep's events, reconnecting with `Last-Event-ID` until the `end` event. */
export function streamSweepEvents(
  http: Http,
  sweepId: string,
  opts: EventsOptions = {},
): AsyncGenerator<StreamedSweepEvent> {
  return streamSse<SweepEvent>(http, `/v1/sweeps/${encodeURIComponent(sweepId)}/events`, opts);
}

/**
 * The one SSE reader under both: `path` answers an event stream of `{ type, … }` JSON events with
 * ids, closing after `end` (or 204 when resumed at the end). Every event type of both streams ends
 * the same way, which is all this needs to know of them.
 */
async function* streamSse<E extends { type: string }>(
  http: Http,
  path: string,
  opts: EventsOptions,
): AsyncGenerator<Streamed<E>> {
  let lastId = opts.after;
  let failures = 0;
  const maxRetries = opts.maxRetries ?? 30;
  for (;;) {
    const conn = new AbortController();
    const stop = () => conn.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', stop, { once: true });
    let ended = false;
    try {
      const res = await http.send({
        path,
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: conn.signal,
      });
      // 204: resumed at the stream's last event (`end`): nothing more will come.
      if (res.status === 204 || !res.body) return;
      const queue: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (m) => queue.push(m) });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => conn.abort(new Error('no data on the event stream')),
          opts.idleTimeoutMs ?? 60_000,
        );
      };
      try {
        arm();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          parser.feed(value);
          while (queue.length) {
            // An abort stops the iteration at once, not after the rest of this chunk's events.
            if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
            const m = queue.shift()!;
            if (!m.id) continue; // the protocol's events all carry ids; anything else is noise
            lastId = m.id;
            failures = 0;
            const data = JSON.parse(m.data) as E;
            yield { id: m.id, data };
            if (data.type === 'end') {
              ended = true;
              return;
            }
          }
        }
      } finally {
        clearTimeout(idle);
        if (!ended) await reader.cancel().catch(() => {});
      }
      // The server closed the stream without `end` (restart, proxy): reconnect.
      throw new Error('the event stream closed before the end event');
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      // A refused request (404, 400 for a bad cursor, 401) will not get better by retrying.
      if (!isTransient(err) && !(err instanceof Error && !('status' in err))) throw err;
      if (failures >= maxRetries) throw err;
      const delayMs = backoffMs(failures);
      opts.onReconnect?.({ attempt: failures + 1, delayMs, lastEventId: lastId, error: err });
      failures++;
      await sleep(delayMs, opts.signal);
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      conn.abort();
    }
  }
}

/**
 * Descent's SSE streams (a job's events, a sweep's, the tenant's job status feed) read with fetch()
 * streaming instead of EventSource, which cannot send the Authorization header. Same wire format
 * (`id:`, `event:`, `data:`, `retry:`, `: ping`), and the same resume rule: after a dropped
 * connection (API restarted, network gone) it reconnects with `Last-Event-ID: <last id seen>`, so
 * the server replays exactly what was missed. Ids at or below the last one are dropped, so a
 * replay can never plot a point twice.
 */
import { apiFetch, problemOf, ApiProblem } from './api.js';

/** One event as the page receives it: the stream id and the JobEvent. */
export interface StreamEvent {
  id: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: Record<string, any> & { type: string };
}

export interface FollowOptions {
  onEvent(ev: StreamEvent): void;
  /**
   * 'live' on every (re)connection (`reconnects` says which), 'reconnecting' while waiting to
   * retry, 'ended' after an `end` event or a 204 (a finished stream resumed at its last event).
   */
  onState?(state: 'live' | 'reconnecting' | 'ended', reconnects: number): void;
  signal: AbortSignal;
}

/** `a` vs `b` for stream ids `<ms>-<seq>`: negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Follow the events of `jobId` ({@link followStream} of `/v1/jobs/{id}/events`). */
export function followEvents(jobId: string, opts: FollowOptions): Promise<void> {
  return followStream(`/v1/jobs/${encodeURIComponent(jobId)}/events`, opts);
}

/**
 * Follow the SSE stream at `path` until `end` (resolves), the page goes away (`signal`, resolves)
 * or the API refuses it with a 4xx (rejects with the ApiProblem: not found, key refused).
 */
export async function followStream(path: string, opts: FollowOptions): Promise<void> {
  let last: string | null = null;
  let retryMs = 1000;
  let reconnects = 0;
  let ended = false;
  while (!opts.signal.aborted && !ended) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last) headers['last-event-id'] = last;
      const res = await apiFetch(path, { headers, signal: opts.signal, cache: 'no-store' });
      // 204: resumed at the finished stream's last event, nothing more will come.
      if (res.status === 204) {
        ended = true;
        break;
      }
      if (!res.ok || !res.body) {
        const p = await problemOf(res);
        if (res.status >= 400 && res.status < 500) throw p;
        throw new Error(p.message);
      }
      opts.onState?.('live', reconnects);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let id: string | null = null;
      let data = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            if (data && id && (last === null || compareIds(id, last) > 0)) {
              last = id;
              const ev = { id, data: JSON.parse(data) } as StreamEvent;
              opts.onEvent(ev);
              if (ev.data.type === 'end') ended = true;
            }
            id = null;
            data = '';
          } else if (line.startsWith(':')) continue;
          else {
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'id') id = val;
            else if (field === 'data') data += data ? `\n${val}` : val;
            else if (field === 'retry' && /^\d+$/.test(val)) retryMs = Number(val);
          }
        }
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      if (err instanceof ApiProblem) throw err;
      // A network error or a dropped stream: retry below.
    }
    if (ended || opts.signal.aborted) break;
    reconnects++;
    opts.onState?.('reconnecting', reconnects);
    await sleep(retryMs, opts.signal);
  }
  if (ended) opts.onState?.('ended', reconnects);
}

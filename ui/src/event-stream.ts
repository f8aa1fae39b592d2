/**
 * Any Descent SSE stream (a sweep's `/v1/sweeps/{id}/events`, the tenant's job status feed
 * `/v1/jobs/events`) read with fetch() streaming, as sse.ts reads a job's: EventSource cannot send
 * the Authorization header. The same wire format and resume rule: after a dropped connection it
 * reconnects with `Last-Event-ID: <last id seen>` (the server replays exactly what was missed), and
 * ids at or below the last one are dropped, so a replay never delivers an event twice.
 *
 * sse.ts keeps its own copy for the job page (its URL is fixed there); this module takes the path.
 */
import { apiFetch, problemOf, ApiProblem } from './api.js';
import { compareIds, type StreamEvent } from './sse.js';

export interface StreamOptions {
  onEvent(ev: StreamEvent): void;
  /**
   * 'live' on every (re)connection (`reconnects` says which), 'reconnecting' while waiting to
   * retry, 'ended' after an `end` event or a 204 (a finished stream resumed at its last event).
   */
  onState?(state: 'live' | 'reconnecting' | 'ended', reconnects: number): void;
  signal: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Follow the SSE stream at `path` until `end` (resolves), the page goes away (`signal`, resolves)
 * or the API refuses it with a 4xx (rejects with the ApiProblem: not found, key refused).
 */
export async function followStream(path: string, opts: StreamOptions): Promise<void> {
  let last: string | null = null;
  let retryMs = 1000;
  let reconnects = 0;
  let ended = false;
  while (!opts.signal.aborted && !ended) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last) headers['last-event-id'] = last;
      const res = await apiFetch(path, { headers, signal: opts.signal, cache: 'no-store' });
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

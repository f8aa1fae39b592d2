/**
 * A lean SSE client on node:http for the benchmark: one socket per stream, frames parsed as they
 * arrive, and each frame stamped with the wall-clock time its chunk reached the process (taken once
 * per chunk, before parsing, so parsing cost does not count as delivery lag). Lighter than fetch's
 * web streams, which matters with 1,000 streams in one process.
 */
import { Agent, request } from 'node:http';

export interface Frame {
  id: string;
  event: string;
  data: string;
  /** Wall-clock ms (fractional) when the chunk holding this frame's end arrived. */
  at: number;
}

/** Fractional wall-clock ms: the same clock as Redis stream ids, finer than Date.now(). */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Milliseconds part of a stream id `ms-seq`. */
export const idMs = (id: string): number => Number(id.slice(0, id.indexOf('-')));

/** Keep-alive agent without a socket cap: every stream needs its own socket. */
export const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

export interface SseHandle {
  /** Resolves when the server ends the stream (after `end`) or it fails. */
  done: Promise<{ closedByServer: boolean; error?: string }>;
  /** Resolves when the response headers arrived (status 200 expected). */
  open: Promise<number>;
  abort(): void;
}

/**
 * Open `url` as an event stream and call `onFrame` for every frame (comments and the `retry:` hint
 * are skipped). The stream ends by itself after the job's `end` event.
 */
export function openSse(url: string, onFrame: (f: Frame) => void, timeoutMs = 120_000): SseHandle {
  let resolveOpen!: (s: number) => void;
  let resolveDone!: (r: { closedByServer: boolean; error?: string }) => void;
  const open = new Promise<number>((r) => (resolveOpen = r));
  const done = new Promise<{ closedByServer: boolean; error?: string }>((r) => (resolveDone = r));
  let buf = '';
  let id = '';
  let event = 'message';
  let data: string[] = [];
  let finished = false;
  const finish = (r: { closedByServer: boolean; error?: string }) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    resolveOpen(0);
    resolveDone(r);
  };
  const req = request(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    resolveOpen(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const at = wallMs();
      buf += chunk;
      let pos = 0;
      let nl: number;
      while ((nl = buf.indexOf('\n', pos)) >= 0) {
        const line = buf.slice(pos, nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
        pos = nl + 1;
        if (line === '') {
          if (data.length) onFrame({ id, event, data: data.join('\n'), at });
          id = '';
          event = 'message';
          data = [];
        } else if (line.charCodeAt(0) === 58 /* ':' */) {
          /* comment (ping) */
        } else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      buf = buf.slice(pos);
    });
    res.on('end', () => finish({ closedByServer: true }));
    res.on('error', (err) => finish({ closedByServer: false, error: err.message }));
  });
  req.on('error', (err) => finish({ closedByServer: false, error: err.message }));
  req.end();
  const timer = setTimeout(() => {
    finish({ closedByServer: false, error: `timed out after ${timeoutMs} ms` });
    req.destroy();
  }, timeoutMs);
  return {
    open,
    done,
    abort() {
      finish({ closedByServer: false, error: 'aborted' });
      req.destroy();
    },
  };
}

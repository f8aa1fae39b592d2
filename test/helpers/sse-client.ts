/** A minimal SSE client over fetch with a streaming body parser (Node 20 has no EventSource). */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseReadOptions {
  headers?: Record<string, string>;
  /** Stop (and abort the request) after this many events. */
  maxEvents?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** Called for each event; return false to stop. */
  onEvent?(m: SseMessage): boolean | void;
}

/** Parse an SSE byte stream incrementally: frames end at a blank line; `:` lines are comments. */
export function createSseParser(emit: (m: SseMessage) => void, onComment?: (c: string) => void) {
  let buf = '';
  let cur: { id?: string; event?: string; data: string[] } = { data: [] };
  return (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.search(/\r\n|\n|\r/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (cur.data.length || cur.event || cur.id)
          emit({ id: cur.id, event: cur.event ?? 'message', data: cur.data.join('\n') });
        cur = { data: [] };
        continue;
      }
      if (line.startsWith(':')) {
        onComment?.(line.slice(1).trim());
        continue;
      }
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'id') cur.id = value;
      else if (field === 'event') cur.event = value;
      else if (field === 'data') cur.data.push(value);
    }
  };
}

/**
 * Open an SSE stream and collect events until the server closes it, `maxEvents` arrive, or
 * `onEvent` returns false. Returns the events, the comments seen and the response status.
 */
export async function readSse(
  url: string,
  opts: SseReadOptions = {},
): Promise<{ status: number; events: SseMessage[]; comments: string[]; closedByServer: boolean }> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs ?? 30_000);
  const events: SseMessage[] = [];
  const comments: string[] = [];
  let stop = false;
  let closedByServer = false;
  try {
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(opts.headers ?? {}) },
      signal: ctrl.signal,
    });
    if (!res.ok || !res.body) return { status: res.status, events, comments, closedByServer: true };
    const parse = createSseParser(
      (m) => {
        if (stop) return;
        events.push(m);
        if (opts.onEvent?.(m) === false || (opts.maxEvents !== undefined && events.length >= opts.maxEvents))
          stop = true;
      },
      (c) => comments.push(c),
    );
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        closedByServer = true;
        break;
      }
      parse(decoder.decode(value, { stream: true }));
      if (stop) {
        await reader.cancel().catch(() => {});
        break;
      }
    }
    return { status: res.status, events, comments, closedByServer };
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
}

/**
 * Printing a stream of events, one line each (NDJSON with --json), for `descent events` (a job's)
 * and `descent sweep events` (a sweep's): what is stored so far through the JSON pages, or with
 * --follow the SSE stream to the `end` event, which the SDK resumes with Last-Event-ID when the
 * connection drops, so no event is missed or printed twice.
 */
import type { EventsOptions, Streamed } from '../../client/index.js';
import type { Context } from './command.js';
import { EXIT } from './output.js';

/** Where a command's events come from and how one reads as text. */
export interface EventSource<E extends { type: string }> {
  /** One JSON page after `after` (oldest first). */
  page(after: string | undefined): Promise<{ data: unknown[]; hasMore: boolean; nextCursor: string | null }>;
  /** The live stream from after `opts.after` to `end`. */
  stream(opts: EventsOptions): AsyncGenerator<Streamed<E>>;
  /** The fields of an event worth a glance, after its id and type. */
  text(e: E): string;
  /** The command that resumes this stream (`descent events job_…`). */
  resume: string;
}

/** Print the events of `src` (from after `after`); answers the exit code. */
export async function printEvents<E extends { type: string }>(
  ctx: Context,
  src: EventSource<E>,
  opts: { follow: boolean; after?: string },
): Promise<number> {
  const { out } = ctx;
  const print = (eid: string, data: E) =>
    out.json
      ? out.printJson({ ...data, id: eid }, true)
      : out.line(`${eid}  ${data.type.padEnd(10)}  ${src.text(data)}`);
  if (!opts.follow) {
    let after = opts.after;
    for (;;) {
      const page = await src.page(after);
      for (const e of page.data as (E & { id: string })[]) print(e.id, e);
      if (!page.hasMore || !page.nextCursor) return EXIT.OK;
      after = page.nextCursor;
    }
  }
  const stop = new AbortController();
  const release = ctx.onInterrupt(() => stop.abort(new Error('interrupted')));
  let last: string | undefined;
  try {
    for await (const e of src.stream({
      after: opts.after,
      signal: stop.signal,
      onReconnect: ({ delayMs, attempt }) =>
        out.note(`connection lost; reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`),
    })) {
      last = e.id;
      print(e.id, e.data);
    }
    return EXIT.OK;
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    out.note(`stopped; resume with: ${src.resume} --follow${last ? ` --after ${last}` : ''}`);
    return EXIT.INTERRUPTED;
  } finally {
    release();
  }
}

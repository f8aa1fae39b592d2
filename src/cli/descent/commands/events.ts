/**
 * `descent events <id> [--follow] [--after <event id>]`: a job's events, one line each (NDJSON
 * with --json). Without --follow, what is stored so far (JSON pages); with --follow, the SSE
 * stream to the `end` event, reconnecting with Last-Event-ID when the connection drops (the API
 * restarting, a proxy timeout), so no event is missed or printed twice.
 */
import type { JobEvent } from '../../../client/index.js';
import { str, type Command } from '../command.js';
import { EXIT, num } from '../output.js';

/** `progress step 120 epoch 3 loss 0.41 lr 0.01`: the fields worth a glance, per type. */
export function eventText(e: JobEvent): string {
  switch (e.type) {
    case 'status':
      return e.status;
    case 'progress':
      return `step ${e.step} epoch ${e.epoch} loss ${num(e.loss)} lr ${num(e.lr)}`;
    case 'epoch':
      return [
        `epoch ${e.epoch} loss ${num(e.loss)}`,
        ...(e.valLoss !== null ? [`val_loss ${num(e.valLoss)}`] : []),
        ...Object.entries(e.metrics ?? {}).map(([k, v]) => `${k} ${num(v)}`),
      ].join(' ');
    case 'checkpoint':
      return `step ${e.step} epoch ${e.epoch}`;
    case 'log':
      return `${e.level} ${e.message}`;
    case 'end':
      return e.error ? `${e.status} ${e.error.code}: ${e.error.message}` : e.status;
  }
}

export const events: Command = {
  name: 'events',
  summary: "print a job's events (--follow: live, until it ends)",
  usage: 'descent events <id> [--follow] [--after <event id>]',
  options: {
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'stream live events until the end event (resumes after drops)',
    },
    after: { type: 'string', value: '<event id>', description: 'start after this event id' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const id = args.positionals[0];
    const print = (eid: string, data: JobEvent) =>
      out.json
        ? out.printJson({ ...data, id: eid }, true)
        : out.line(`${eid}  ${data.type.padEnd(10)}  ${eventText(data)}`);
    if (!args.values.follow) {
      let after = str(args, 'after');
      for (;;) {
        const page = await client.jobs.eventsPage(id, { after, limit: 1000 });
        for (const e of page.data) print(e.id, e as JobEvent);
        if (!page.hasMore || !page.nextCursor) return EXIT.OK;
        after = page.nextCursor;
      }
    }
    const stop = new AbortController();
    const release = ctx.onInterrupt(() => stop.abort(new Error('interrupted')));
    let last: string | undefined;
    try {
      for await (const e of client.jobs.events(id, {
        after: str(args, 'after'),
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
      out.note(`stopped; resume with: descent events ${id} --follow${last ? ` --after ${last}` : ''}`);
      return EXIT.INTERRUPTED;
    } finally {
      release();
    }
  },
};

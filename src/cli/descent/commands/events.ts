/**
 * `descent events <id> [--follow] [--after <event id>]`: a job's events, one line each (NDJSON
 * with --json). Without --follow, what is stored so far (JSON pages); with --follow, the SSE
 * stream to the `end` event, reconnecting with Last-Event-ID when the connection drops (the API
 * restarting, a proxy timeout), so no event is missed or printed twice (event-log.ts).
 */
import type { JobEvent } from '../../../client/index.js';
import { str, type Command } from '../command.js';
import { printEvents } from '../event-log.js';
import { num } from '../output.js';

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
    const { args, client } = ctx;
    const id = args.positionals[0];
    return printEvents<JobEvent>(
      ctx,
      {
        page: (after) => client.jobs.eventsPage(id, { after, limit: 1000 }),
        stream: (opts) => client.jobs.events(id, opts),
        text: eventText,
        resume: `descent events ${id}`,
      },
      { follow: Boolean(args.values.follow), after: str(args, 'after') },
    );
  },
};

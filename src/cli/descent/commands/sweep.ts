/**
 * `descent sweep create|validate|ls|get|trials|events|cancel`: hyperparameter sweeps
 * (docs/sweeps.md) from the terminal, on the SDK's `sweeps.*`. `create --follow` and
 * `get --follow` exit as `train --follow` does: 0 succeeded, 1 failed, 2 bad input, 3 cancelled.
 */
import type { Sweep, SweepEvent, SweepRequest } from '../../../client/index.js';
import { UsageError } from '../args.js';
import { int, readJson, str, type Command, type Context } from '../command.js';
import { printEvents } from '../event-log.js';
import { EXIT, num } from '../output.js';
import { setSweepPath } from '../set-path.js';
import { followSweep, sweepSummary } from '../sweep-follow.js';
import { doneOf, leaderboard, metricLabel, sweepEventText } from '../sweep-text.js';

const SET = {
  type: 'string',
  multiple: true,
  value: '<path=value>',
  description:
    'override a field of the request: spec.training.epochs=5, maxConcurrentTrials=2, space.optimizer.lr.grid=[0.01,0.1]',
} as const;

const CANCEL_ON_INTERRUPT = {
  type: 'boolean',
  description: 'with --follow: Ctrl-C cancels the sweep instead of detaching',
} as const;

/** The request in the file (or stdin), with the --set (and --name) changes made. */
async function readRequest(ctx: Context, command: string): Promise<SweepRequest> {
  const file = ctx.args.positionals[0];
  const req = await readJson(file, ctx, command);
  if (!req || typeof req !== 'object' || Array.isArray(req))
    throw new UsageError(
      `a sweep request is a JSON object ({ spec, space, searcher, … }); ${file} holds ${Array.isArray(req) ? 'an array' : typeof req}`,
      command,
    );
  const r = req as Record<string, unknown>;
  for (const a of (ctx.args.values.set as string[] | undefined) ?? []) setSweepPath(r, a, command);
  const name = str(ctx.args, 'name');
  if (name !== undefined) setSweepPath(r, `metadata.name=${JSON.stringify(name)}`, command);
  return r as SweepRequest;
}

const create: Command = {
  name: 'create',
  summary: 'create a sweep from a request file (or - for stdin); prints its id',
  usage: 'descent sweep create <sweep.json | -> [--follow] [--name <name>] [--set <path=value> …]',
  details: [
    'The request is { spec, space, searcher, metric, mode, maxConcurrentTrials, seed } (docs/sweeps.md).',
    'With --follow, shows the progress (a bar on a terminal, a line per trial that pauses or ends',
    'otherwise), then the leaderboard and a summary; exits 0 succeeded, 1 failed (every trial failed),',
    '2 bad request, 3 cancelled. Ctrl-C detaches (the sweep keeps running) unless --cancel-on-interrupt.',
    '',
    'Examples:',
    '  descent sweep create examples/sweep-lr-momentum-grid.json --follow',
    '  descent sweep create examples/sweep-asha.json --set maxConcurrentTrials=2 --set seed=3',
  ].join('\n'),
  options: {
    follow: { type: 'boolean', short: 'f', description: 'follow the sweep to its end' },
    name: { type: 'string', value: '<name>', description: 'a name, stored as metadata.name' },
    set: SET,
    'cancel-on-interrupt': CANCEL_ON_INTERRUPT,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const sweep = await client.sweeps.create(await readRequest(ctx, 'sweep create'));
    if (!args.values.follow) {
      if (out.json) out.printJson(sweep);
      else {
        out.line(sweep.id);
        out.note(
          `created ${sweep.id} (${sweep.counts.total} trials, ${sweep.status}); follow it: descent sweep get ${sweep.id} --follow`,
        );
      }
      return EXIT.OK;
    }
    if (!out.json)
      out.note(`created ${sweep.id} (${sweep.counts.total} trials); following it (Ctrl-C detaches)`);
    return followSweep(ctx, sweep, { cancelOnInterrupt: Boolean(args.values['cancel-on-interrupt']) });
  },
};

const validate: Command = {
  name: 'validate',
  summary: 'check a sweep request: its trial count, rungs and worst-case epochs; nothing is created',
  usage: 'descent sweep validate <sweep.json | -> [--set <path=value> …]',
  options: { set: SET },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { out, client } = ctx;
    const v = await client.sweeps.validate(await readRequest(ctx, 'sweep validate'));
    if (out.json) out.printJson(v);
    else
      out.pairs([
        ['trials', String(v.trials)],
        ['rungs', `${v.rungs.join(', ')} epochs`],
        ['epochs max', String(v.epochsMax)],
      ]);
    return EXIT.OK;
  },
};

/** `3/15`: trials ended of all. */
const progressText = (s: Sweep) => `${doneOf(s.counts)}/${s.counts.total}`;

const ls: Command = {
  name: 'ls',
  summary: 'list sweeps, newest first',
  usage: 'descent sweep ls [--limit <n>] [--after <cursor>]',
  options: {
    limit: { type: 'string', value: '<n>', description: 'sweeps per page (default 20)' },
    after: { type: 'string', value: '<cursor>', description: "the previous page's nextCursor" },
  },
  positionals: { min: 0, max: 0 },
  async run({ args, out, client }) {
    const page = await client.sweeps.list({
      limit: int(args, 'limit', 'sweep ls'),
      after: str(args, 'after'),
    });
    if (out.json) {
      out.printJson(page);
      return EXIT.OK;
    }
    out.table(
      ['ID', 'STATUS', 'SEARCHER', 'METRIC', 'TRIALS', 'BEST', 'CREATED', 'NAME'],
      page.data.map((s) => [
        s.id,
        s.status,
        String((s.searcher as { type?: string }).type ?? '-'),
        metricLabel(s),
        progressText(s),
        num(s.best?.value),
        s.createdAt.replace(/\.\d+Z$/, 'Z'),
        typeof s.metadata?.name === 'string' ? s.metadata.name : '',
      ]),
    );
    if (page.hasMore) out.note(`more: descent sweep ls --after ${page.nextCursor}`);
    return EXIT.OK;
  },
};

const get: Command = {
  name: 'get',
  summary: 'show one sweep and its leaderboard; --follow watches it to its end',
  usage: 'descent sweep get <id> [--follow] [--cancel-on-interrupt]',
  details: 'With --follow, exits as sweep create --follow does: 0 succeeded, 1 failed, 3 cancelled.',
  options: {
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'follow the sweep to its end (progress, leaderboard)',
    },
    'cancel-on-interrupt': CANCEL_ON_INTERRUPT,
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const sweep = await client.sweeps.get(args.positionals[0]);
    if (args.values.follow)
      return followSweep(ctx, sweep, { cancelOnInterrupt: Boolean(args.values['cancel-on-interrupt']) });
    if (out.json) out.printJson(sweep);
    else await sweepSummary(ctx, sweep);
    return EXIT.OK;
  },
};

const trials: Command = {
  name: 'trials',
  summary: 'the leaderboard: trial, params, metric, status, rung, epochs, job; best first',
  usage: 'descent sweep trials <id>',
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const id = args.positionals[0];
    if (out.json) {
      // The API's body, as the other --json outputs are.
      out.printJson({ data: await client.sweeps.trials(id) });
      return EXIT.OK;
    }
    const [sweep, rows] = await Promise.all([client.sweeps.get(id), client.sweeps.trials(id)]);
    leaderboard(out, sweep, rows);
    return EXIT.OK;
  },
};

const events: Command = {
  name: 'events',
  summary: "print a sweep's events (--follow: live, until it ends)",
  usage: 'descent sweep events <id> [--follow] [--after <event id>]',
  details: 'Events: status, trial (a trial changed state), rung (a rung result), best (a new best), end.',
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
    return printEvents<SweepEvent>(
      ctx,
      {
        page: (after) => client.sweeps.eventsPage(id, { after, limit: 1000 }),
        stream: (opts) => client.sweeps.events(id, opts),
        text: sweepEventText,
        resume: `descent sweep events ${id}`,
      },
      { follow: Boolean(args.values.follow), after: str(args, 'after') },
    );
  },
};

const cancel: Command = {
  name: 'cancel',
  summary: 'cancel a sweep: running trials cancelled, paused ones stopped (idempotent)',
  usage: 'descent sweep cancel <id>',
  details: 'Exits 0 once the sweep is cancelled (or had already ended); a follower of it exits 3.',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ args, out, client }) {
    const sweep = await client.sweeps.cancel(args.positionals[0]);
    if (out.json) out.printJson(sweep);
    else out.line(`${sweep.id} ${sweep.status}`);
    return EXIT.OK;
  },
};

export const sweep: Command = {
  name: 'sweep',
  summary: 'hyperparameter sweeps (sweep create | validate | ls | get | trials | events | cancel)',
  usage: 'descent sweep <create | validate | ls | get | trials | events | cancel> …',
  details: `Searchers: ${['grid', 'random', 'asha'].join(', ')}; see docs/sweeps.md. Example:\n  descent sweep create examples/sweep-lr-momentum-grid.json --follow`,
  options: {},
  positionals: { min: 1, max: Infinity },
  subcommands: [create, validate, ls, get, trials, events, cancel],
  run: async () => EXIT.BAD_INPUT, // main.ts dispatches to a subcommand
};

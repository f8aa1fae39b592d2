/** `descent jobs` (a page of jobs) and `descent job <id> [--follow]` (one job). */
import type { Job, ListJobsQuery } from '../../../client/index.js';
import { int, str, type Command } from '../command.js';
import { followJob, summary } from '../follow.js';
import { EXIT, num } from '../output.js';

const taskOf = (j: Job) => String((j.spec as { task?: string }).task ?? 'supervised');
const nameOf = (j: Job) => String((j.metadata as Record<string, string> | undefined)?.name ?? '');

/** `epoch 12/60` while running, the final loss once done. */
function progressText(j: Job): string {
  const p = j.progress as {
    epoch?: number;
    epochs?: number;
    step?: number;
    totalSteps?: number;
    loss?: number | null;
  } | null;
  const r = j.result as { loss?: number | null } | null;
  if (r && r.loss !== undefined) return `loss ${num(r.loss)}`;
  if (p && p.epochs) return `epoch ${p.epoch}/${p.epochs}`;
  if (p && p.totalSteps) return `step ${p.step}/${p.totalSteps}`;
  return '';
}

export const jobs: Command = {
  name: 'jobs',
  summary: 'list jobs, newest first',
  usage: 'descent jobs [--status <status>] [--task <task>] [--limit <n>] [--after <cursor>]',
  options: {
    status: {
      type: 'string',
      value: '<status>',
      description: 'queued|running|succeeded|failed|cancelling|cancelled',
    },
    task: { type: 'string', value: '<task>', description: 'supervised|minimize|reinforce' },
    limit: { type: 'string', value: '<n>', description: 'jobs per page (default 20)' },
    after: { type: 'string', value: '<cursor>', description: "the previous page's nextCursor" },
  },
  positionals: { min: 0, max: 0 },
  async run({ args, out, client }) {
    const page = await client.jobs.list({
      status: str(args, 'status') as ListJobsQuery['status'],
      task: str(args, 'task') as ListJobsQuery['task'],
      limit: int(args, 'limit', 'jobs'),
      after: str(args, 'after'),
    });
    if (out.json) {
      out.printJson(page);
      return EXIT.OK;
    }
    out.table(
      ['ID', 'STATUS', 'TASK', 'CREATED', 'PROGRESS', 'NAME'],
      page.data.map((j) => [
        j.id,
        j.status,
        taskOf(j),
        j.createdAt.replace(/\.\d+Z$/, 'Z'),
        progressText(j),
        nameOf(j),
      ]),
    );
    if (page.hasMore) out.note(`more: descent jobs --after ${page.nextCursor}`);
    return EXIT.OK;
  },
};

export const job: Command = {
  name: 'job',
  summary: 'show one job; --follow watches it to its end',
  usage: 'descent job <id> [--follow] [--cancel-on-interrupt]',
  details: 'With --follow, exits as train --follow does: 0 succeeded, 1 failed, 3 cancelled.',
  options: {
    follow: { type: 'boolean', short: 'f', description: 'follow the job to its end (progress and summary)' },
    'cancel-on-interrupt': {
      type: 'boolean',
      description: 'with --follow: Ctrl-C cancels the job instead of detaching',
    },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const { args, out, client } = ctx;
    const j = await client.jobs.get(args.positionals[0]);
    if (args.values.follow)
      return followJob(ctx, j, { cancelOnInterrupt: Boolean(args.values['cancel-on-interrupt']) });
    if (out.json) {
      out.printJson(j);
      return EXIT.OK;
    }
    const extra = j as Job & { queuePosition?: number | null; etaSeconds?: number | null };
    const rows: [string, string][] = [
      ['task', taskOf(j)],
      ['created', j.createdAt],
      ['started', j.startedAt ?? '-'],
      ['finished', j.finishedAt ?? '-'],
      ['attempt', String(j.attempt)],
    ];
    if (nameOf(j)) rows.unshift(['name', nameOf(j)]);
    if (extra.queuePosition) rows.push(['queue position', String(extra.queuePosition)]);
    if (typeof extra.etaSeconds === 'number') rows.push(['eta', `${Math.round(extra.etaSeconds)} s`]);
    if (progressText(j) && j.status !== 'succeeded') rows.push(['progress', progressText(j)]);
    out.pairs(rows);
    summary(out, j);
    return EXIT.OK;
  },
};

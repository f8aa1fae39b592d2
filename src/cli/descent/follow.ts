/**
 * Following a job to its end (`descent train --follow`, `descent job <id> --follow`): the live
 * view, Ctrl-C handling, the summary table, and the exit code the job's outcome maps to.
 * Ctrl-C detaches (the job keeps training; the message says how to re-attach) unless
 * `--cancel-on-interrupt`, which cancels the job and waits for it to stop (a second Ctrl-C then
 * detaches anyway).
 */
import type { Job } from '../../client/index.js';
import type { Context } from './command.js';
import { duration, EXIT, num, type Output } from './output.js';
import { createProgressView } from './progress.js';

/** How a followed job's end maps to an exit code. */
export function exitCodeOf(status: string): number {
  if (status === 'succeeded') return EXIT.OK;
  if (status === 'cancelled') return EXIT.CANCELLED;
  return EXIT.FAILED;
}

/** Follow `job` until it ends; answers the exit code. */
export async function followJob(
  ctx: Context,
  job: Job,
  opts: { cancelOnInterrupt?: boolean } = {},
): Promise<number> {
  const { client, out } = ctx;
  const stream = new AbortController();
  let detached = false;
  let cancelling = false;
  const view = out.json ? null : createProgressView(out, job);
  const release = ctx.onInterrupt(() => {
    if (opts.cancelOnInterrupt && !cancelling) {
      cancelling = true;
      view?.stop();
      out.note(`cancelling ${job.id} (Ctrl-C again to detach and leave it to stop on its own)`);
      client.jobs.cancel(job.id).catch((err) => out.note(`cancel failed: ${(err as Error).message}`));
      return;
    }
    detached = true;
    stream.abort(new Error('detached'));
  });
  try {
    const final = await client.jobs.wait(job.id, {
      signal: stream.signal,
      onEvent: ({ id, data }) => (out.json ? out.printJson({ id, ...data }, true) : view!.event(data)),
      onReconnect: ({ attempt, delayMs }) =>
        out.note(`connection lost; reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`),
    });
    view?.stop();
    if (out.json) out.printJson(final, true);
    else summary(out, final);
    return exitCodeOf(final.status);
  } catch (err) {
    view?.stop();
    if (!detached) throw err;
    out.note(
      `\ndetached from ${job.id}; it keeps running. Re-attach: descent job ${job.id} --follow` +
        ` · cancel: descent cancel ${job.id}`,
    );
    return EXIT.INTERRUPTED;
  } finally {
    release();
  }
}

/** The table printed when a followed job ends. */
export function summary(out: Output, job: Job): void {
  const r = (job.result ?? {}) as {
    loss?: number | null;
    valLoss?: number | null;
    metrics?: Record<string, number | null>;
    test?: { loss?: number | null; metrics?: Record<string, number | null> } | null;
    epochs?: number;
    steps?: number;
    durationMs?: number;
    value?: number;
    meanReturn100?: number;
  };
  const ms =
    r.durationMs ??
    (job.startedAt && job.finishedAt ? Date.parse(job.finishedAt) - Date.parse(job.startedAt) : undefined);
  const rows: [string, string][] = [
    ['job', job.id],
    ['status', job.status],
  ];
  if (typeof r.epochs === 'number') rows.push(['epochs', String(r.epochs)]);
  if (typeof r.steps === 'number') rows.push(['steps', String(r.steps)]);
  if (r.loss !== undefined) rows.push(['loss', num(r.loss)]);
  if (r.valLoss !== undefined && r.valLoss !== null) rows.push(['val loss', num(r.valLoss)]);
  for (const [k, v] of Object.entries(r.metrics ?? {})) rows.push([k, num(v)]);
  if (r.test) {
    rows.push(['test loss', num(r.test.loss)]);
    for (const [k, v] of Object.entries(r.test.metrics ?? {})) rows.push([`test ${k}`, num(v)]);
  }
  if (typeof r.value === 'number') rows.push(['value', num(r.value)]);
  if (typeof r.meanReturn100 === 'number') rows.push(['mean return (100)', num(r.meanReturn100)]);
  rows.push(['duration', duration(ms)]);
  if (job.status === 'failed') rows.push(['error', `${job.error?.code}: ${job.error?.message}`]);
  if (job.status === 'succeeded') rows.push(['weights', `descent weights ${job.id} -o model.safetensors`]);
  out.line();
  out.pairs(rows);
}

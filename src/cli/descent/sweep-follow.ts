/**
 * Following a sweep to its end (`descent sweep create --follow`, `descent sweep get <id> --follow`):
 * on a terminal a cli-progress bar (trials done/total, running, best metric so far, epochs used of
 * the worst case, ETA), elsewhere one plain line per trial that pauses at a rung or ends; then the
 * leaderboard and a summary, and the exit code of the sweep's outcome (as `train --follow`: 0
 * succeeded, 1 failed, 3 cancelled). Ctrl-C detaches (130) unless `--cancel-on-interrupt`.
 */
import cliProgress from 'cli-progress';
import type { Sweep, SweepEvent, SweepTrial } from '../../client/index.js';
import type { Context } from './command.js';
import { exitCodeOf } from './follow.js';
import { duration, EXIT, num, type Output } from './output.js';
import { countsText, leaderboard, metricLabel, paramsText, searcherText } from './sweep-text.js';

type TrialStatus = SweepTrial['status'];
type TrialEvent = Extract<SweepEvent, { type: 'trial' }>;

const ENDED = new Set<TrialStatus>(['stopped', 'succeeded', 'failed', 'cancelled']);

/** What the trial events say so far, per trial index. */
class Board {
  private readonly trials = new Map<
    number,
    { status: TrialStatus; rung: number | null; epochs: number; value: number | null }
  >();

  constructor(
    readonly total: number,
    private readonly mode: 'min' | 'max',
  ) {}

  apply(e: TrialEvent): void {
    this.trials.set(e.trial, { status: e.status, rung: e.rung, epochs: e.epochs, value: e.value });
  }

  count(pred: (s: TrialStatus) => boolean): number {
    let n = 0;
    for (const t of this.trials.values()) if (pred(t.status)) n++;
    return n;
  }

  get done(): number {
    return this.count((s) => ENDED.has(s));
  }

  get epochs(): number {
    let n = 0;
    for (const t of this.trials.values()) n += t.epochs;
    return n;
  }

  /** The best current value, ties to the lower index: the rule of the scheduler's `best`. */
  best(): { trial: number; value: number } | null {
    let best: { trial: number; value: number } | null = null;
    for (const [i, t] of [...this.trials].sort((a, b) => a[0] - b[0])) {
      if (t.value === null || t.rung === null) continue;
      if (!best || (this.mode === 'min' ? t.value < best.value : t.value > best.value))
        best = { trial: i, value: t.value };
    }
    return best;
  }
}

/** A live view: fed every event, stopped before anything else prints. */
interface SweepView {
  event(e: SweepEvent): void;
  stop(): void;
}

function bestText(board: Board, metric: string): string {
  const b = board.best();
  return b ? `best ${metric} ${num(b.value)} (trial ${b.trial})` : `best ${metric} -`;
}

/** One line per trial that pauses at a rung or ends (CI logs, pipes). */
function plainView(
  out: Output,
  sweep: Sweep,
  board: Board,
  params: Map<number, Record<string, unknown>>,
): SweepView {
  return {
    event(e) {
      if (e.type !== 'trial') return;
      board.apply(e);
      if (e.status !== 'paused' && !ENDED.has(e.status)) return;
      const p = paramsText(params.get(e.trial) ?? {});
      out.line(
        [
          `trial ${e.trial} ${e.status}`,
          ...(p ? [p] : []),
          `${sweep.metric} ${num(e.value)}`,
          `rung ${e.rung ?? '-'}`,
          `epochs ${e.epochs}`,
          `done ${board.done}/${board.total}`,
          bestText(board, sweep.metric),
        ].join('  '),
      );
    },
    stop() {},
  };
}

/** The terminal bar (on stderr, so stdout stays the leaderboard and summary). */
function barView(out: Output, sweep: Sweep, board: Board): SweepView {
  const bar = new cliProgress.SingleBar(
    {
      format:
        'trials {value}/{total} {bar} {percentage}% | {running} running | {best} | epochs {epochs}/{epochsMax} | ETA {eta_formatted}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      barsize: 24,
      hideCursor: true,
      stream: out.io.stderr as NodeJS.WriteStream,
      noTTYOutput: false,
      etaBuffer: 10,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => ({
    running: board.count((s) => s === 'running' || s === 'promoted'),
    best: bestText(board, sweep.metric),
    epochs: board.epochs,
    epochsMax: sweep.budget.epochsMax,
  });
  bar.start(board.total || 1, 0, payload());
  return {
    event(e) {
      if (e.type !== 'trial') return;
      board.apply(e);
      bar.update(board.done, payload());
    },
    stop() {
      bar.stop();
    },
  };
}

/** Follow `sweep` until it ends; answers the exit code. */
export async function followSweep(
  ctx: Context,
  sweep: Sweep,
  opts: { cancelOnInterrupt?: boolean } = {},
): Promise<number> {
  const { client, out } = ctx;
  const stream = new AbortController();
  let detached = false;
  let cancelling = false;
  let view: SweepView | null = null;
  const release = ctx.onInterrupt(() => {
    if (opts.cancelOnInterrupt && !cancelling) {
      cancelling = true;
      view?.stop();
      out.note(`cancelling ${sweep.id} (Ctrl-C again to detach and leave it to stop on its own)`);
      client.sweeps.cancel(sweep.id).catch((err) => out.note(`cancel failed: ${(err as Error).message}`));
      return;
    }
    detached = true;
    stream.abort(new Error('detached'));
  });
  try {
    if (!out.json) {
      // The trial events carry indexes; their params come from the leaderboard, read once.
      const params = new Map((await client.sweeps.trials(sweep.id)).map((t) => [t.index, t.params]));
      const board = new Board(sweep.counts.total, sweep.mode);
      view =
        out.io.stderr.isTTY && out.io.stdout.isTTY
          ? barView(out, sweep, board)
          : plainView(out, sweep, board, params);
    }
    const final = await client.sweeps.wait(sweep.id, {
      signal: stream.signal,
      onEvent: ({ id, data }) => (out.json ? out.printJson({ id, ...data }, true) : view!.event(data)),
      onReconnect: ({ attempt, delayMs }) =>
        out.note(`connection lost; reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`),
    });
    view?.stop();
    if (out.json) out.printJson(final, true);
    else await sweepSummary(ctx, final);
    return exitCodeOf(final.status);
  } catch (err) {
    view?.stop();
    if (!detached) throw err;
    out.note(
      `\ndetached from ${sweep.id}; it keeps running. Re-attach: descent sweep get ${sweep.id} --follow` +
        ` · cancel: descent sweep cancel ${sweep.id}`,
    );
    return EXIT.INTERRUPTED;
  } finally {
    release();
  }
}

/** The leaderboard, then the sweep's figures (what `sweep get` and a followed sweep's end print). */
export async function sweepSummary(ctx: Context, sweep: Sweep): Promise<void> {
  const { out, client } = ctx;
  const trials = await client.sweeps.trials(sweep.id);
  leaderboard(out, sweep, trials);
  const ms =
    sweep.startedAt && sweep.finishedAt
      ? Date.parse(sweep.finishedAt) - Date.parse(sweep.startedAt)
      : undefined;
  const name = sweep.metadata?.name;
  const rows: [string, string][] = [
    ['sweep', sweep.id],
    ...(typeof name === 'string' ? ([['name', name]] as [string, string][]) : []),
    ['status', sweep.status],
    ['searcher', searcherText(sweep)],
    ['metric', metricLabel(sweep)],
    ['trials', countsText(sweep.counts)],
    ['budget', `${sweep.budget.epochsUsed} of at most ${sweep.budget.epochsMax} epochs`],
  ];
  const b = sweep.best;
  if (b) {
    const index = trials.find((t) => t.trialId === b.trialId)?.index;
    rows.push([
      'best',
      `${sweep.metric} ${num(b.value)}${index !== undefined ? ` (trial ${index})` : ''} ${paramsText(b.params)}`.trim(),
    ]);
  }
  // Why trials failed is on their jobs: the first one's error says what to fix (a diverging lr, …).
  const failed = trials.find((t) => t.status === 'failed' && t.jobId);
  if (failed) {
    const job = await client.jobs.get(failed.jobId!).catch(() => null);
    if (job?.error)
      rows.push([
        'first error',
        `trial ${failed.index} (${failed.jobId}): ${job.error.code}: ${job.error.message}`,
      ]);
  }
  rows.push(['created', sweep.createdAt]);
  if (sweep.finishedAt) rows.push(['duration', duration(ms)]);
  if (b?.jobId) rows.push(['weights', `descent weights ${b.jobId} -o model.safetensors`]);
  out.line();
  out.pairs(rows);
}

/**
 * How a sweep reads in the terminal: its params (`optimizer.lr=0.01`), the leaderboard table
 * (trial, one column per space path, the metric, status, rung, epochs, job), its counts, its
 * searcher and one line per sweep event. Shared by `descent sweep …` and the follow view.
 */
import type { Sweep, SweepEvent, SweepTrial } from '../../client/index.js';
import { num, type Output } from './output.js';

/** A param value for a cell: numbers as the other tables show them, anything else as JSON. */
function valueText(v: unknown): string {
  return typeof v === 'number' ? num(v) : typeof v === 'string' ? v : JSON.stringify(v);
}

/** `optimizer.lr=0.01 optimizer.momentum=0.5`. */
export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(' ');
}

/** `valAccuracy (max)`: the metric and which way is better. */
export function metricLabel(sweep: Pick<Sweep, 'metric' | 'mode'>): string {
  return `${sweep.metric} (${sweep.mode})`;
}

/** Trials in a terminal state (what "done" counts). */
export function doneOf(c: Sweep['counts']): number {
  return c.stopped + c.succeeded + c.failed + c.cancelled;
}

/** `15: 2 running, 1 paused, 12 succeeded` — the states that have trials. */
export function countsText(c: Sweep['counts']): string {
  const parts = (
    ['pending', 'running', 'paused', 'promoted', 'stopped', 'succeeded', 'failed', 'cancelled'] as const
  )
    .filter((k) => c[k] > 0)
    .map((k) => `${c[k]} ${k}`);
  return `${c.total}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** `grid`, `random: 20 trials`, `asha: 27 trials, rungs 1, 3, 9 epochs, η 3`. */
export function searcherText(sweep: Pick<Sweep, 'searcher' | 'rungs'>): string {
  const s = sweep.searcher as { type?: string; trials?: number; reductionFactor?: number };
  if (s.type === 'asha')
    return `asha: ${s.trials} trials, rungs ${sweep.rungs.join(', ')} epochs, η ${s.reductionFactor ?? 3}`;
  if (s.type === 'random') return `random: ${s.trials} trials`;
  return String(s.type ?? '-');
}

/** The leaderboard, best first, as the API orders it. */
export function leaderboard(out: Output, sweep: Pick<Sweep, 'metric'>, trials: SweepTrial[]): void {
  // The space's paths, in the order the trials carry them (every trial has the same keys).
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  out.table(
    ['TRIAL', ...keys, sweep.metric, 'STATUS', 'RUNG', 'EPOCHS', 'JOB'],
    trials.map((t) => [
      String(t.index),
      ...keys.map((k) => (k in t.params ? valueText(t.params[k]) : '-')),
      num(t.value),
      t.status,
      t.rung === null ? '-' : String(t.rung),
      String(t.epochs),
      t.jobId ?? '-',
    ]),
  );
}

/** The fields of a sweep event worth a glance, after its id and type. */
export function sweepEventText(e: SweepEvent): string {
  switch (e.type) {
    case 'status':
    case 'end':
      return e.status;
    case 'trial':
      return [
        `trial ${e.trial} ${e.status}`,
        ...(e.rung !== null ? [`rung ${e.rung}`, `epochs ${e.epochs}`, `value ${num(e.value)}`] : []),
      ].join(' ');
    case 'rung':
      return `trial ${e.trial} rung ${e.rung} epochs ${e.epochs} value ${num(e.value)}${e.final ? ' final' : ''}`;
    case 'best':
      return `trial ${e.trial} rung ${e.rung} value ${num(e.value)} ${paramsText(e.params)}`;
  }
}

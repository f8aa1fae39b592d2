/**
 * A sweep's parallel-coordinates plot, drawn as SVG: one vertical axis per space key (in the
 * space's order) and one for the metric, one polyline per finished trial (succeeded or stopped,
 * with a value) through its params and its value. Lines are coloured by rank (darkest = best) and
 * the best trial is drawn last, in the trajectory red. Numeric axes are linear, or logarithmic for
 * a `logUniform` dimension; anything else (arrays, strings, booleans) is categorical, its values
 * spaced evenly in order of first appearance. `data-polylines` on the element counts the lines.
 */
import { h, svg, fmt } from '../dom.js';
import { BANDS, TRAJECTORY } from '../palette.js';

/** A leaderboard row as GET /v1/sweeps/{id}/trials answers it. */
export interface TrialRow {
  trialId: string;
  jobId: string | null;
  index: number;
  params: Record<string, unknown>;
  status: string;
  rung: number | null;
  epochs: number;
  value: number | null;
}

/** Trials the plot draws: ended with a metric value. */
export const finishedTrials = (rows: readonly TrialRow[]): TrialRow[] =>
  rows.filter((t) => (t.status === 'succeeded' || t.status === 'stopped') && t.value !== null);

const W = 760;
const H = 340;
const M = { left: 60, right: 70, top: 34, bottom: 40 };

interface Axis {
  label: string;
  /** Position 0 (bottom) … 1 (top) of a value, or null if the trial has none. */
  pos(v: unknown): number | null;
  ticks: { at: number; text: string }[];
}

function numericAxis(label: string, values: number[], log: boolean): Axis {
  const f = log ? Math.log10 : (x: number) => x;
  const fs = values.map(f);
  let lo = Math.min(...fs);
  let hi = Math.max(...fs);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pos = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? (f(v) - lo) / (hi - lo) : null);
  const inv = (t: number) => (log ? 10 ** (lo + t * (hi - lo)) : lo + t * (hi - lo));
  return { label: log ? `${label} (log)` : label, pos, ticks: [0, 0.5, 1].map((t) => ({ at: t, text: fmt(inv(t)) })) };
}

function categoricalAxis(label: string, values: unknown[]): Axis {
  const keys: string[] = [];
  for (const v of values) {
    const k = JSON.stringify(v);
    if (!keys.includes(k)) keys.push(k);
  }
  const at = (i: number) => (keys.length === 1 ? 0.5 : i / (keys.length - 1));
  return {
    label,
    pos: (v) => {
      const i = keys.indexOf(JSON.stringify(v));
      return i < 0 ? null : at(i);
    },
    ticks: keys.map((k, i) => ({ at: at(i), text: k.length > 14 ? `${k.slice(0, 13)}…` : k })),
  };
}

/**
 * The axes of a sweep: its space keys, then the metric. Scales come from every trial with a value
 * there (not only the finished ones), so the axes stay put while a sweep runs.
 */
function axesOf(space: Record<string, Record<string, unknown>>, metric: string, rows: readonly TrialRow[]): Axis[] {
  const axes = Object.entries(space).map(([key, dim]) => {
    const vals = rows.map((r) => r.params[key]).filter((v) => v !== undefined);
    const nums = vals.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (nums.length && nums.length === vals.length) return numericAxis(key, nums, 'logUniform' in dim && nums.every((v) => v > 0));
    return categoricalAxis(key, vals);
  });
  const metricVals = rows.map((r) => r.value).filter((v): v is number => v !== null && Number.isFinite(v));
  axes.push(numericAxis(metric, metricVals.length ? metricVals : [0], false));
  return axes;
}

/** The plot's figure; call {@link ParallelCoords.update} with each new leaderboard. */
export class ParallelCoords {
  readonly el: HTMLElement;
  private readonly root: SVGElement;

  constructor(
    private readonly space: Record<string, Record<string, unknown>>,
    private readonly metric: string,
    private readonly mode: 'min' | 'max',
  ) {
    this.root = svg('svg', {
      id: 'parcoords',
      width: W,
      height: H,
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': `Parallel coordinates: ${Object.keys(space).join(', ')} against ${metric}, one line per finished trial`,
      'data-polylines': 0,
    });
    this.el = h('figure', { class: 'chart', id: 'parcoords-figure' }, h('figcaption', { text: `Parameters → ${metric}` }), this.root as unknown as Node);
  }

  /** Redraw from the leaderboard (best first, as the API sorts it). */
  update(rows: readonly TrialRow[]): void {
    const axes = axesOf(this.space, this.metric, rows);
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const ax = (i: number) => M.left + (axes.length === 1 ? pw / 2 : (i / (axes.length - 1)) * pw);
    const ay = (t: number) => M.top + ph - t * ph;
    const parts: SVGElement[] = [svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' })];
    // Lines first (under the axes), worst first so the best are on top; the best one in red, last.
    const done = finishedTrials(rows);
    const ranked = [...done].reverse();
    ranked.forEach((t, k) => {
      const pts = axes.map((a, i) => {
        const p = a.pos(i === axes.length - 1 ? t.value : t.params[Object.keys(this.space)[i]]);
        return p === null ? null : `${ax(i).toFixed(1)},${ay(p).toFixed(1)}`;
      });
      if (pts.some((p) => p === null)) return;
      const best = k === ranked.length - 1;
      // Rank 0 (best) darkest: BANDS runs light → dark.
      const rank = done.length - 1 - k;
      const color = best ? TRAJECTORY : BANDS[Math.round((1 - rank / Math.max(1, done.length - 1)) * (BANDS.length - 2))];
      parts.push(
        svg(
          'polyline',
          { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': best ? 3 : 2, 'data-trial': t.index },
          svg('title', {}, `trial ${t.index}: ${this.metric} ${fmt(t.value)}`),
        ),
      );
    });
    axes.forEach((a, i) => {
      const x = ax(i);
      parts.push(svg('line', { x1: x, x2: x, y1: ay(0), y2: ay(1), stroke: '#333', 'stroke-width': 1 }));
      parts.push(svg('text', { x, y: M.top - 14, 'text-anchor': 'middle', 'font-size': 12, fill: '#1b1b1b' }, a.label));
      for (const t of a.ticks)
        parts.push(svg('text', { x: x + 5, y: ay(t.at) + 4, 'font-size': 11, fill: '#444' }, t.text));
    });
    parts.push(
      svg(
        'text',
        { x: W - M.right + 4, y: H - 10, 'text-anchor': 'end', 'font-size': 11, fill: '#444' },
        `${this.mode === 'max' ? 'higher' : 'lower'} ${this.metric} is better · red: best`,
      ),
    );
    this.root.replaceChildren(...parts);
    this.root.setAttribute('data-polylines', String(this.root.querySelectorAll('polyline').length));
    this.root.setAttribute('data-finished', String(done.length));
  }
}

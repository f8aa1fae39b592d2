/**
 * Live line charts on uPlot. Points arrive as fast as the job sends them; the chart redraws at
 * most every {@link REDRAW_MS} (≤ 10 redraws a second), so a job sending 1,000 events a second
 * costs ten redraws, not a thousand. `data-points` on the chart's element is the number of points
 * of its first series that are drawn (tests compare it with the events received).
 */
import uPlot from 'uplot';
import { h } from './dom.js';
import { COLORS } from './palette.js';

const REDRAW_MS = 100;

/**
 * Log-scale charts plot log10(y) on a linear scale, with ticks at whole decades labelled `1e-k`.
 * uPlot's own log axis steps through a fixed table of powers of ten (about 1e-16 to 1e16): a long
 * run's gradient norm or update ratio falls below it, the stepping never ends, and the tab dies
 * with "Invalid array length". Exponents have no such bound.
 */
const DECADE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200];


/**
 * A linear y range around the data with at least a millionth of its magnitude in span. uPlot
 * steps its ticks by an increment fitted to the span; a converged loss whose values differ only
 * in their last bits gives an increment that no longer changes the value when added, and the
 * stepping never ends (the tab dies with "Invalid array length").
 */
function linearRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  const mag = Math.max(Math.abs(min), Math.abs(max));
  const pad = Math.max((max - min) * 0.05, mag * 1e-6, 1e-300);
  return [min - pad, max + pad];
}

export interface SeriesSpec {
  label: string;
  color?: string;
  /** Dashed (e.g. a threshold). */
  dash?: boolean;
}

export interface ChartOptions {
  id: string;
  title: string;
  xLabel: string;
  series: SeriesSpec[];
  /** Log-scale y (values ≤ 0 are left out). */
  logY?: boolean;
  height?: number;
}

/** The columns a chart plots, for tests: `el.chartData()`. */
export interface ChartElement extends HTMLElement {
  chartData?: () => (number | null)[][];
}

export class LiveChart {
  readonly el: ChartElement;
  /** What was pushed (`chartData()`), and what is drawn: the same, with log10(y) for logY. */
  private readonly data: (number | null)[][];
  private readonly drawn: (number | null)[][];
  private readonly plot: uPlot;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastDraw = 0;
  private readonly logY: boolean;

  constructor(
    parent: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    this.logY = opts.logY ?? false;
    this.data = [[], ...opts.series.map(() => [])];
    this.drawn = this.logY ? [this.data[0], ...opts.series.map(() => [])] : this.data;
    this.el = h('figure', { class: 'chart', id: opts.id, 'data-points': '0' }) as ChartElement;
    const caption = h('figcaption', { text: opts.title });
    const box = h('div', { role: 'img', 'aria-label': `${opts.title} chart` });
    this.el.append(caption, box);
    parent.append(this.el);
    this.el.chartData = () => this.data.map((c) => c.slice());
    const width = Math.max(320, Math.min(720, (parent.clientWidth || 640) - 16));
    this.plot = new uPlot(
      {
        width,
        height: opts.height ?? 220,
        scales: { x: { time: false }, y: { range: linearRange } },
        axes: [
          { label: opts.xLabel },
          this.logY
            ? { incrs: DECADE_STEPS, values: (_u: uPlot, vals: number[]) => vals.map((v) => (v == null ? '' : `1e${Math.round(v)}`)) }
            : {},
        ],
        series: [
          { label: opts.xLabel },
          ...opts.series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? COLORS[i % COLORS.length],
            width: 2,
            spanGaps: true,
            ...(s.dash ? { dash: [6, 4] } : {}),
          })),
        ],
        legend: { live: false },
        cursor: { show: false },
      },
      this.drawn as uPlot.AlignedData,
      box,
    );
  }

  /** Add one x with a value per series (null where a series has none at this x). */
  push(x: number, ys: (number | null | undefined)[]): void {
    this.data[0].push(x);
    ys.forEach((y, i) => {
      const ok = typeof y === 'number' && Number.isFinite(y) && (!this.logY || y > 0);
      this.data[i + 1].push(ok ? y : null);
      if (this.logY) this.drawn[i + 1].push(ok ? Math.log10(y) : null);
    });
    this.schedule();
  }

  /** Points of series `i` that hold a value. */
  count(i = 0): number {
    return this.data[i + 1].filter((v) => v !== null).length;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastDraw + REDRAW_MS - performance.now());
    this.timer = setTimeout(() => this.draw(), wait);
  }

  private draw(): void {
    this.timer = null;
    this.lastDraw = performance.now();
    this.plot.setData(this.drawn as uPlot.AlignedData);
    this.el.dataset.points = String(this.count(0));
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.plot.destroy();
  }
}

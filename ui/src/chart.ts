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
  private readonly data: (number | null)[][];
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
        scales: { x: { time: false }, y: this.logY ? { distr: 3 } : {} },
        axes: [
          { label: opts.xLabel },
          // uPlot's default labels round tiny log-scale values to 0.
          this.logY ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => (v == null ? '' : v.toExponential(0))) } : {},
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
      this.data as uPlot.AlignedData,
      box,
    );
  }

  /** Add one x with a value per series (null where a series has none at this x). */
  push(x: number, ys: (number | null | undefined)[]): void {
    this.data[0].push(x);
    ys.forEach((y, i) => {
      const ok = typeof y === 'number' && Number.isFinite(y) && (!this.logY || y > 0);
      this.data[i + 1].push(ok ? y : null);
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
    this.plot.setData(this.data as uPlot.AlignedData);
    this.el.dataset.points = String(this.count(0));
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.plot.destroy();
  }
}

/**
 * A minimize job's contour plot: the objective sampled by the server on a grid
 * (GET /v1/jobs/{id}/contour, evaluated through src/expr — the page never evaluates the
 * expression) drawn as filled bands on a canvas, with the optimizer's trajectory on top. The grid
 * is fetched again when the trajectory leaves the box.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { BANDS, TRAJECTORY } from '../palette.js';


const W = 520;
const H = 420;
const M = { left: 48, right: 12, top: 12, bottom: 36 };

interface Grid {
  variables: string[];
  x: number[];
  y: number[];
  values: (number | null)[][];
  min: number | null;
  max: number | null;
}

export class ContourPanel {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly points: [number, number][] = [];
  private grid: Grid | null = null;
  private box: [number, number, number, number] | null = null;
  private fetchTimer: ReturnType<typeof setTimeout> | null = null;
  private frame = 0;

  constructor(
    private readonly jobId: string,
    private readonly variables: string[],
    private readonly signal: AbortSignal,
  ) {
    this.canvas = h('canvas', {
      id: 'contour',
      width: W,
      height: H,
      role: 'img',
      'aria-label': `Contour plot of the objective over ${variables.join(' and ')}, with the optimizer's trajectory`,
    });
    this.el = h('figure', { class: 'chart' }, h('figcaption', { text: 'Objective and trajectory' }), this.canvas);
  }

  /** One iterate of the trajectory. */
  add(point: Record<string, number>): void {
    const p: [number, number] = [point[this.variables[0]], point[this.variables[1]]];
    if (!p.every(Number.isFinite)) return;
    this.points.push(p);
    this.el.dataset.points = String(this.points.length);
    if (!this.box || !this.inside(p)) this.refetchSoon();
    this.redraw();
  }

  private inside([x, y]: [number, number]): boolean {
    const [x0, x1, y0, y1] = this.box!;
    return x >= x0 && x <= x1 && y >= y0 && y <= y1;
  }

  private refetchSoon(): void {
    if (this.fetchTimer) return;
    this.fetchTimer = setTimeout(() => void this.fetchGrid(), 300);
  }

  private async fetchGrid(): Promise<void> {
    this.fetchTimer = null;
    const xs = this.points.map((p) => p[0]);
    const ys = this.points.map((p) => p[1]);
    const pad = (lo: number, hi: number) => {
      const d = Math.max(1, (hi - lo) * 0.3);
      return [lo - d, hi + d];
    };
    const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
    const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
    this.box = [x0, x1, y0, y1];
    const q = new URLSearchParams({ xMin: String(x0), xMax: String(x1), yMin: String(y0), yMax: String(y1), n: '80' });
    try {
      this.grid = await api(`/v1/jobs/${this.jobId}/contour?${q}`, { signal: this.signal });
      this.el.dataset.grid = 'loaded';
      this.redraw();
    } catch {
      /* the page was left, or the job went away */
    }
  }

  private redraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private draw(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, W, H);
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const g = this.grid;
    if (!g || !this.box) return;
    const [x0, x1, y0, y1] = this.box;
    const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
    const sy = (y: number) => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
    // Bands on a log scale above the minimum: the valleys an optimizer follows stay visible.
    const lo = g.min ?? 0;
    const span = Math.log1p((g.max ?? 1) - lo) || 1;
    const n = g.x.length;
    const cw = pw / n + 0.5;
    const chh = ph / g.y.length + 0.5;
    for (let j = 0; j < g.y.length; j++)
      for (let i = 0; i < n; i++) {
        const v = g.values[j][i];
        if (v === null) continue;
        const t = Math.log1p(v - lo) / span;
        ctx.fillStyle = BANDS[Math.min(BANDS.length - 1, Math.floor(t * BANDS.length))];
        ctx.fillRect(M.left + (i / n) * pw, M.top + ph - ((j + 1) / g.y.length) * ph, cw, chh);
      }
    // Axes.
    ctx.strokeStyle = '#333';
    ctx.strokeRect(M.left, M.top, pw, ph);
    ctx.fillStyle = '#222';
    ctx.font = '12px sans-serif';
    ctx.textAlign = 'center';
    for (let k = 0; k <= 4; k++) {
      const x = x0 + ((x1 - x0) * k) / 4;
      ctx.fillText(x.toFixed(1), sx(x), H - M.bottom + 16);
    }
    ctx.fillText(g.variables[0], M.left + pw / 2, H - 4);
    ctx.textAlign = 'right';
    for (let k = 0; k <= 4; k++) {
      const y = y0 + ((y1 - y0) * k) / 4;
      ctx.fillText(y.toFixed(1), M.left - 6, sy(y) + 4);
    }
    ctx.save();
    ctx.translate(12, M.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(g.variables[1], 0, 0);
    ctx.restore();
    // Trajectory.
    ctx.save();
    ctx.beginPath();
    ctx.rect(M.left, M.top, pw, ph);
    ctx.clip();
    ctx.strokeStyle = TRAJECTORY;
    ctx.fillStyle = TRAJECTORY;
    ctx.lineWidth = 3;
    ctx.beginPath();
    this.points.forEach(([x, y], k) => (k ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
    for (const [x, y] of this.points) {
      ctx.beginPath();
      ctx.arc(sx(x), sy(y), 4, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
    this.canvas.dataset.drawn = String(this.points.length);
  }
}

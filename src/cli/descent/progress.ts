/**
 * The live view of a followed job: on a terminal a cli-progress bar (epoch/epochs, step rate,
 * loss, validation metric, lr, ETA), elsewhere (CI logs, pipes) one plain line per epoch. Both
 * read the same events; {@link createProgressView} picks one.
 */
import cliProgress from 'cli-progress';
import type { Job, JobEvent } from '../../client/index.js';
import { num, type Output } from './output.js';

/** What the view shows as its unit and how many of them the job runs. */
interface Units {
  name: string;
  total: number;
}

/** Supervised jobs count epochs, minimize jobs steps, reinforce jobs episodes. */
export function unitsOf(job: Job): Units {
  const spec = job.spec as Record<string, unknown> & { training?: { epochs?: number } };
  if (spec.task === 'minimize') return { name: 'step', total: Number(spec.steps ?? 0) };
  if (spec.task === 'reinforce') return { name: 'episode', total: Number(spec.episodes ?? 0) };
  return { name: 'epoch', total: Number(spec.training?.epochs ?? 0) };
}

/** A live view: fed every event, stopped before anything else prints. */
export interface ProgressView {
  event(e: JobEvent): void;
  stop(): void;
}

type Progress = Extract<JobEvent, { type: 'progress' }>;
type Epoch = Extract<JobEvent, { type: 'epoch' }>;

/** Steps per second from the events' own timestamps (right for a replayed history too). */
class Rate {
  private first: { step: number; t: number } | null = null;
  value = 0;
  update(e: Progress): void {
    const t = Date.parse(e.time);
    if (!this.first || e.step < this.first.step) this.first = { step: e.step, t };
    else if (t > this.first.t) this.value = ((e.step - this.first.step) * 1000) / (t - this.first.t);
  }
  text(): string {
    return this.value ? `${num(this.value)} steps/s` : '- steps/s';
  }
}

/** The first metric of an epoch, labelled `val_` when it was measured on the validation split. */
function metricText(e: Epoch): string {
  const [k, v] = Object.entries(e.metrics ?? {})[0] ?? [];
  if (!k) return '';
  return `${e.valLoss !== null ? 'val_' : ''}${k} ${num(v)}`;
}

/** The value a progress event moves the bar to, in the job's units. */
function progressValue(units: Units, e: Progress): number | null {
  if (units.name === 'step') return e.step;
  if (units.name === 'episode') return e.episode ?? null;
  return null; // epochs advance on epoch events
}

/** One line per epoch (and, for minimize/reinforce, at most one per second). */
function plainView(out: Output, units: Units): ProgressView {
  const rate = new Rate();
  let lr: number | null = null;
  let lastLineAt = 0;
  return {
    event(e) {
      if (e.type === 'progress') {
        rate.update(e);
        lr = e.lr;
        const v = progressValue(units, e);
        const now = Date.now();
        if (v !== null && (now - lastLineAt >= 1000 || v === units.total)) {
          lastLineAt = now;
          const extra =
            units.name === 'episode' ? `return ${num(e.return)}` : `value ${num(e.value ?? e.loss)}`;
          out.line(`${units.name} ${v}/${units.total}  ${extra}  lr ${num(e.lr)}  ${rate.text()}`);
        }
      } else if (e.type === 'epoch') {
        const parts = [
          `epoch ${e.epoch}/${units.total}`,
          `loss ${num(e.loss)}`,
          ...(e.valLoss !== null ? [`val_loss ${num(e.valLoss)}`] : []),
          ...Object.entries(e.metrics ?? {}).map(
            ([k, v]) => `${e.valLoss !== null ? 'val_' : ''}${k} ${num(v)}`,
          ),
          `lr ${num(lr)}`,
          rate.text(),
        ];
        out.line(parts.join('  '));
      } else if (e.type === 'log' && (e.level === 'warn' || e.level === 'error'))
        out.note(`${e.level}: ${e.message}`);
    },
    stop() {},
  };
}

/** The terminal bar, redrawn in place (cli-progress, on stderr so stdout stays the summary). */
function barView(out: Output, units: Units): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      format: `${units.name} {value}/{total} {bar} {percentage}% | {rate} | loss {loss} | {metric} | lr {lr} | ETA {eta_formatted}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      barsize: 24,
      hideCursor: true,
      stream: out.io.stderr as NodeJS.WriteStream,
      // The bar is drawn only on a terminal; cli-progress checks the stream too.
      noTTYOutput: false,
      etaBuffer: 20,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const rate = new Rate();
  const payload = { rate: rate.text(), loss: '-', metric: '', lr: '-' };
  bar.start(units.total || 1, 0, payload);
  return {
    event(e) {
      if (e.type === 'progress') {
        rate.update(e);
        Object.assign(payload, { rate: rate.text(), loss: num(e.loss), lr: num(e.lr) });
        const v = progressValue(units, e);
        if (v !== null) bar.update(v, payload);
        else bar.update(payload);
      } else if (e.type === 'epoch') {
        Object.assign(payload, { loss: num(e.loss), metric: metricText(e) || '-' });
        bar.update(e.epoch, payload);
      }
    },
    stop() {
      bar.stop();
    },
  };
}

/** The bar on a terminal, plain lines otherwise. */
export function createProgressView(out: Output, job: Job): ProgressView {
  const units = unitsOf(job);
  return out.io.stderr.isTTY && out.io.stdout.isTTY ? barView(out, units) : plainView(out, units);
}

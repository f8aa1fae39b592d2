import type { JobMetrics } from '../contracts/job.js';
import type { StoredEvent } from '../contracts/events.js';

/** Evenly spaced indices of `n` rows, at most `max` of them, always keeping the first and the last. */
export function downsampleIndices(n: number, max: number | undefined): number[] {
  if (max === undefined || n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}

/**
 * Columnar history of a job from its event stream: progress events give the rows (step, epoch,
 * loss, lr, gradNorm, time) and carry the validation loss of the latest finished epoch; epoch events
 * give the per-epoch table. Only the latest attempt counts: a retried run starts its history over.
 */
export function buildMetrics(
  jobId: string,
  attempt: number,
  events: StoredEvent[],
  maxPoints?: number,
): JobMetrics {
  const latest =
    events.reduce((a, e) => (e.type === 'progress' || e.type === 'epoch' ? Math.max(a, e.attempt) : a), 0) ||
    attempt;
  const rows: {
    step: number;
    epoch: number;
    loss: number | null;
    lr: number | null;
    gradNorm: number | null;
    valLoss: number | null;
    time: string;
  }[] = [];
  const epochs: JobMetrics['epochs'] = { epoch: [], loss: [], valLoss: [], metrics: {} };
  let lastVal: number | null = null;
  for (const e of events) {
    if (e.attempt !== latest) continue;
    if (e.type === 'progress') {
      rows.push({
        step: e.step,
        epoch: e.epoch,
        loss: e.loss,
        lr: e.lr,
        gradNorm: e.gradNorm,
        valLoss: lastVal,
        time: e.time,
      });
    } else if (e.type === 'epoch') {
      lastVal = e.valLoss ?? null;
      const i = epochs.epoch.length;
      epochs.epoch.push(e.epoch);
      epochs.loss.push(e.loss ?? null);
      epochs.valLoss.push(e.valLoss ?? null);
      for (const [name, v] of Object.entries(e.metrics ?? {})) {
        const col = (epochs.metrics[name] ??= new Array(i).fill(null));
        col.push(v ?? null);
      }
      for (const col of Object.values(epochs.metrics)) if (col.length < i + 1) col.push(null);
    }
  }
  const idx = downsampleIndices(rows.length, maxPoints);
  const pick = <K extends keyof (typeof rows)[number]>(k: K) => idx.map((i) => rows[i][k]);
  return {
    jobId,
    attempt: latest,
    points: idx.length,
    total: rows.length,
    step: pick('step'),
    epoch: pick('epoch'),
    loss: pick('loss'),
    lr: pick('lr'),
    gradNorm: pick('gradNorm'),
    valLoss: pick('valLoss'),
    time: pick('time'),
    epochs,
  };
}

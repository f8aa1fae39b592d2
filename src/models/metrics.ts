/** Evaluation metrics over plain arrays (no graph). */
import type { FloatArray } from '../tensor/index.js';

/** Fraction of rows whose arg-max logit (or, with one column, logit > 0) equals the label. */
export function accuracy(logits: FloatArray, width: number, labels: ArrayLike<number>): number {
  const n = labels.length;
  if (n === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < n; i++) hits += predictedClass(logits, width, i) === labels[i] ? 1 : 0;
  return hits / n;
}

/** The class of row i: arg-max over `width` logits (first on ties), or logit > 0 for one column. */
export function predictedClass(logits: FloatArray, width: number, i: number): number {
  if (width === 1) return logits[i] > 0 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < width; c++) if (logits[i * width + c] > logits[i * width + best]) best = c;
  return best;
}

/** Coefficient of determination 1 − SS_res/SS_tot, averaged over target columns (sklearn's uniform average). */
export function r2(pred: FloatArray, y: FloatArray, width: number): number {
  const n = y.length / width;
  let total = 0;
  for (let c = 0; c < width; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[i * width + c];
    m /= n;
    let res = 0;
    let tot = 0;
    for (let i = 0; i < n; i++) {
      const e = y[i * width + c] - pred[i * width + c];
      const d = y[i * width + c] - m;
      res += e * e;
      tot += d * d;
    }
    total += tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
  }
  return total / width;
}

/** Mean absolute error over all elements. */
export function meanAbsoluteError(pred: FloatArray, y: FloatArray): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(pred[i] - y[i]);
  return s / y.length;
}

/**
 * Training metrics accumulated over an epoch's batches from the outputs the steps computed anyway
 * (as Keras reports training metrics): no extra forward pass over the training set. Validation
 * metrics, when there is a validation split, are computed fresh at the end of the epoch instead.
 */
import type { FloatArray } from '../tensor/index.js';
import { predictedClass } from '../models/metrics.js';

export class RunningMetrics {
  /** classification: [correct, rows]; regression: [rows, Σ|e|, then per column Σy, Σy², Σe²] */
  private acc: number[];

  constructor(
    private readonly classification: boolean,
    private readonly width: number,
  ) {
    this.acc = classification ? [0, 0] : new Array<number>(2 + 3 * width).fill(0);
  }

  /** Add a batch: outputs [rows × width] and its targets (class labels, or values [rows × width]). */
  add(out: FloatArray, targets: ArrayLike<number>, rows: number): void {
    const w = this.width;
    const a = this.acc;
    if (this.classification) {
      for (let i = 0; i < rows; i++) if (predictedClass(out, w, i) === targets[i]) a[0]++;
      a[1] += rows;
      return;
    }
    a[0] += rows;
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < w; c++) {
        const y = targets[i * w + c];
        const e = y - out[i * w + c];
        a[1] += Math.abs(e);
        a[2 + 3 * c] += y;
        a[3 + 3 * c] += y * y;
        a[4 + 3 * c] += e * e;
      }
    }
  }

  /** accuracy, or r2 (uniform average over columns) and mae. */
  result(): Record<string, number> {
    const a = this.acc;
    if (this.classification) return { accuracy: a[1] ? a[0] / a[1] : NaN };
    const n = a[0];
    let r2 = 0;
    for (let c = 0; c < this.width; c++) {
      const tot = a[3 + 3 * c] - (a[2 + 3 * c] * a[2 + 3 * c]) / n;
      const res = a[4 + 3 * c];
      r2 += tot > 0 ? 1 - res / tot : res === 0 ? 1 : 0;
    }
    return { r2: r2 / this.width, mae: a[1] / (n * this.width) };
  }

  /** The accumulators, for a checkpoint. */
  state(): number[] {
    return [...this.acc];
  }

  restore(s: readonly number[]): void {
    this.acc = [...s];
  }

  reset(): void {
    this.acc.fill(0);
  }
}

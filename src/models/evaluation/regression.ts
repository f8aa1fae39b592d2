/**
 * Regression metrics over n × width row-major predictions and targets, as scikit-learn 1.2
 * (`mean_absolute_error`, `mean_squared_error(squared=False)`, `r2_score`, each averaged
 * uniformly over target columns) and residual quantiles as numpy's default `np.quantile`.
 */
import type { FloatArray } from '../../tensor/index.js';
import { meanAbsoluteError, r2 } from '../metrics.js';

/** The quantiles {@link regressionReport} gives by default: min, deciles 1 and 9, quartiles, max. */
export const DEFAULT_QUANTILES: readonly number[] = [0, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1];

/** What {@link regressionReport} returns. */
export interface RegressionReport {
  mae: number;
  rmse: number;
  /** R², sklearn's rule for a constant target column: 1 if predicted exactly, else 0. */
  r2: number;
  /** `q` and the q-quantile of the residuals y − pred over every element. */
  residualQuantiles: { q: number; value: number }[];
}

/**
 * Root mean squared error: √(mean over rows of (y − pred)²) per column, then the mean over
 * columns (sklearn 1.2 takes the root before averaging outputs).
 */
export function rootMeanSquaredError(pred: FloatArray, y: FloatArray, width: number): number {
  const n = y.length / width;
  let total = 0;
  for (let c = 0; c < width; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = y[i * width + c] - pred[i * width + c];
      s += e * e;
    }
    total += Math.sqrt(s / n);
  }
  return total / width;
}

/**
 * The q-quantiles of `values` by linear interpolation between order statistics (numpy's default
 * method "linear"): position h = q·(n − 1), value x⌊h⌋ + (x⌊h⌋₊₁ − x⌊h⌋)·(h − ⌊h⌋), computed from the
 * upper end when the fraction is ≥ ½ as numpy does. NaN for every q with no values.
 */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in [0, 1]`);
    if (n === 0) return NaN;
    const h = q * (n - 1);
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, n - 1);
    const t = h - lo;
    const a = sorted[lo];
    const b = sorted[hi];
    const d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
  });
}

/** MAE, RMSE, R² and residual quantiles of `pred` against `y` (both n × width, row-major). */
export function regressionReport(
  pred: FloatArray,
  y: FloatArray,
  width: number,
  qs: readonly number[] = DEFAULT_QUANTILES,
): RegressionReport {
  if (pred.length !== y.length) throw new RangeError(`${pred.length} predictions but ${y.length} targets`);
  const residuals = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) residuals[i] = y[i] - pred[i];
  const values = quantiles(residuals, qs);
  return {
    mae: meanAbsoluteError(pred, y),
    rmse: rootMeanSquaredError(pred, y, width),
    r2: r2(pred, y, width),
    residualQuantiles: qs.map((q, i) => ({ q, value: values[i] })),
  };
}

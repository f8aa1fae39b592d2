/**
 * The statistics scikit-learn 1.2 fits, over the present (non-missing) values of one column:
 * SimpleImputer's mean / median / most_frequent, StandardScaler's mean and scale, MinMaxScaler's
 * range. Each follows sklearn's arithmetic closely enough to agree to ~1e-15 relative.
 */
import { compareCodePoints } from './order.js';

const EPS = 2 ** -52;

/** Arithmetic mean Σx/n (SimpleImputer "mean"). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Median: the middle value, or the mean of the two middle values (SimpleImputer "median"). */
export function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The most frequent value; among equally frequent ones the smallest (sklearn's tie rule). */
export function mostFrequentNumber(values: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i], (counts.get(values[i]) ?? 0) + 1);
  let best = NaN;
  let bestCount = 0;
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v < best)) [best, bestCount] = [v, c];
  return best;
}

/** The most frequent string; among equally frequent ones the smallest by code point (Python's min). */
export function mostFrequentString(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = '';
  let bestCount = 0;
  for (const [v, c] of counts)
    if (c > bestCount || (c === bestCount && compareCodePoints(v, best) < 0)) [best, bestCount] = [v, c];
  return best;
}

/**
 * StandardScaler's `mean_` and `scale_`: mean m = Σx/n, population variance with sklearn's
 * correction (Σ(x − m)² − (Σ(x − m))²/n)/n, scale √var, and scale 1 for a (near-)constant column,
 * var ≤ n·ε·var + (n·m·ε)² (sklearn's `_is_constant_feature`).
 */
export function standardStats(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  const m = mean(values);
  let correction = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    correction += d;
    squares += d * d;
  }
  const variance = (squares - (correction * correction) / n) / n;
  const constant = variance <= n * EPS * variance + (n * m * EPS) ** 2;
  return { mean: m, std: constant ? 1 : Math.sqrt(variance) };
}

/** MinMaxScaler's `data_min_` and `data_max_`. */
export function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return { min, max };
}

/**
 * MinMaxScaler's `scale_` and `min_` for the range [0, 1]: x ↦ x·scale + offset with
 * scale = 1/(max − min), or 1 when max − min < 10ε (sklearn's `_handle_zeros_in_scale`), and
 * offset = −min·scale.
 */
export function minMaxTransform(min: number, max: number): { scale: number; offset: number } {
  const range = max - min;
  const scale = 1 / (range < 10 * EPS ? 1 : range);
  return { scale, offset: 0 - min * scale };
}

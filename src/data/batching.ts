/** The order rows are visited in an epoch and how they are cut into batches. */
import { permutation, type Rng } from '../rng/rng.js';
import type { Dataset } from './types.js';

/** The row order of one epoch: a seeded permutation when `shuffle`, else 0, 1, …, rows − 1. */
export function epochOrder(rows: number, shuffle: boolean, rng: Rng): Int32Array {
  if (shuffle) return permutation(rows, rng);
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return order;
}

/**
 * Consecutive `[start, end)` ranges of an epoch's order: one range for `"full"` (and for a batch size
 * at least `rows`), otherwise ranges of `batchSize` rows with a smaller last one (drop_last = False).
 */
export function batchRanges(rows: number, batchSize: number | 'full'): Array<[number, number]> {
  if (rows <= 0) return [];
  if (batchSize === 'full') return [[0, rows]];
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer ≥ 1 or "full" (got ${batchSize})`);
  const out: Array<[number, number]> = [];
  for (let s = 0; s < rows; s += batchSize) out.push([s, Math.min(rows, s + batchSize)]);
  return out;
}

/**
 * Copy the rows `order[start..end)` of a row-major matrix `src` (`width` values a row) into the front
 * of `out`, which may be a reused Float32Array or Float64Array of at least (end − start)·width values.
 * Returns the number of values written.
 */
export function gatherRows(
  src: Float64Array,
  width: number,
  order: ArrayLike<number>,
  start: number,
  end: number,
  out: Float32Array | Float64Array | Int32Array,
): number {
  const n = (end - start) * width;
  if (out.length < n) throw new RangeError(`gatherRows: output holds ${out.length} values, needs ${n}`);
  let o = 0;
  for (let i = start; i < end; i++) {
    const base = order[i] * width;
    for (let j = 0; j < width; j++) out[o++] = src[base + j];
  }
  return n;
}

/** Gather one batch of `ds` (x and y) into preallocated buffers; returns the batch's row count. */
export function gatherBatch(
  ds: Dataset,
  order: ArrayLike<number>,
  start: number,
  end: number,
  xOut: Float32Array | Float64Array,
  yOut: Float32Array | Float64Array,
): number {
  gatherRows(ds.x, ds.features, order, start, end, xOut);
  gatherRows(ds.y, ds.targets, order, start, end, yOut);
  return end - start;
}

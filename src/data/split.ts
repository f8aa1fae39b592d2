/** Seeded train/validation split. */
import { permutation, type Rng } from '../rng/rng.js';
import type { Dataset } from './types.js';

/**
 * Rows held out for validation: ⌈rows·fraction⌉, 0 when fraction is 0. Same formula as
 * `validationRows` in src/contracts/job-spec.ts (a test keeps them equal).
 */
export function validationRowCount(rows: number, fraction: number): number {
  if (!(fraction > 0)) return 0;
  // The epsilon keeps 0.1·30 = 3.0000000000000004 from rounding up to 4.
  return Math.min(rows, Math.ceil(rows * fraction - 1e-9));
}

/** A new dataset holding `ds`'s rows at `index`, in that order. */
export function selectRows(ds: Dataset, index: ArrayLike<number>, name = ds.name): Dataset {
  const n = index.length;
  const { features: f, targets: t } = ds;
  const x = new Float64Array(n * f);
  const y = new Float64Array(n * t);
  for (let i = 0; i < n; i++) {
    const r = index[i];
    x.set(ds.x.subarray(r * f, (r + 1) * f), i * f);
    y.set(ds.y.subarray(r * t, (r + 1) * t), i * t);
  }
  const out: Dataset = { ...ds, name, x, y, rows: n };
  return out;
}

/**
 * Split off a validation set: permute the rows with `rng` (Fisher-Yates), keep the first rows − k in
 * permutation order for training and the last k = ⌈rows·fraction⌉ for validation (as
 * torch.utils.data.random_split does). With fraction 0 the dataset is returned as it is, `val` is null
 * and `rng` is not advanced.
 */
export function splitValidation(ds: Dataset, fraction: number, rng: Rng): { train: Dataset; val: Dataset | null } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1) (got ${fraction})`);
  const k = validationRowCount(ds.rows, fraction);
  if (k > 0 && k >= ds.rows)
    throw new RangeError(`validation fraction ${fraction} of ${ds.rows} rows leaves no training rows`);
  return splitValidationRows(ds, k, rng);
}

/**
 * {@link splitValidation} with the validation row count given.
 */
function splitValidationRows(ds: Dataset, k: number, rng: Rng): { train: Dataset; val: Dataset | null } {
  if (k === 0) return { train: ds, val: null };
  if (k >= ds.rows) {
    throw new RangeError(`${k} validation rows of ${ds.rows} rows leaves no training rows`);
  }
  const { train, val } = validationSplitRows(ds.rows, k, rng);
  return { train: selectRows(ds, train, `${ds.name}:train`), val: selectRows(ds, val, `${ds.name}:val`) };
}

/**
 * The rows {@link splitValidationRows} takes, as positions: training rows then the k validation
 * rows, in permutation order. With k = 0 every row trains and `rng` is not advanced.
 */
export function validationSplitRows(rows: number, k: number, rng: Rng): { train: Int32Array; val: Int32Array } {
  if (k === 0) return { train: Int32Array.from({ length: rows }, (_, i) => i), val: new Int32Array(0) };
  const p = permutation(rows, rng);
  return { train: p.subarray(0, rows - k), val: p.subarray(rows - k) };
}

/**
 * The test rows (`training.testSplit`), split off before anything else sees the data: permute
 * with `rng` and hold out the last k = ⌈rows·fraction⌉; both parts in ascending row order (so the
 * validation split that follows draws over the rest in the data's order). The test rows never reach
 * training, validation or the fitted preprocessing. With fraction 0 there are none and `rng` is not
 * advanced.
 */
export function testSplitRows(rows: number, fraction: number, rng: Rng): { rest: Int32Array; test: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`test fraction must be in [0, 1) (got ${fraction})`);
  const k = validationRowCount(rows, fraction);
  if (k === 0) return { rest: Int32Array.from({ length: rows }, (_, i) => i), test: new Int32Array(0) };
  if (k >= rows) throw new RangeError(`test fraction ${fraction} of ${rows} rows leaves no training rows`);
  const p = permutation(rows, rng);
  return { rest: Int32Array.from(p.subarray(0, rows - k)).sort(), test: Int32Array.from(p.subarray(rows - k)).sort() };
}

/**
 * A numeric {@link Dataset}'s features as the typed columns preprocessing takes
 * (src/data/preprocess): what training fits on and what /evaluate applies a job's fit to, so both
 * read an uploaded dataset the same way.
 */
import type { Column } from './preprocess/types.js';
import type { Dataset } from './types.js';

/**
 * The typed columns of an upload (`ds.columns`) as they are; else one numeric column per feature,
 * named as uploaded (else x0, x1, …), NaN a missing value.
 */
export function featureColumns(ds: Dataset): readonly Column[] {
  if (ds.columns) return ds.columns;
  return Array.from({ length: ds.features }, (_, j) => {
    const values = new Float64Array(ds.rows);
    for (let r = 0; r < ds.rows; r++) values[r] = ds.x[r * ds.features + j];
    return { name: ds.featureNames?.[j] ?? `x${j}`, type: 'numeric' as const, values };
  });
}

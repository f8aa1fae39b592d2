/** Reading a cell of a {@link Column} whatever its representation. */
import type { Column } from './types.js';

/** Rows in a column. */
export function rowCount(col: Column): number {
  return col.type === 'categorical' && 'codes' in col ? col.codes.length : col.values.length;
}

/** The category at row `r` of a categorical column, `null` when missing. */
export function categoryAt(col: Column & { type: 'categorical' }, r: number): string | null {
  if ('codes' in col) {
    const k = col.codes[r];
    return k < 0 ? null : col.categories[k];
  }
  return col.values[r];
}

/** Whether row `r` of `col` is missing (NaN, or null / code −1 for a categorical column). */
export function isMissing(col: Column, r: number): boolean {
  return col.type === 'categorical' ? categoryAt(col, r) === null : Number.isNaN(col.values[r]);
}

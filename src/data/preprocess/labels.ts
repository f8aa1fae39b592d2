/**
 * String targets: class names ↔ class indices, as scikit-learn's LabelEncoder (classes sorted by
 * code point), or in the order the spec names them (`model.classes`).
 */
import { compareCodePoints } from './order.js';
import { PreprocessError } from './types.js';

/**
 * The classes of a target column: its distinct values over `rows` (default: all rows, so every
 * class gets an output even if the training rows miss one) in code-point order, or `names` as
 * given, refused if they repeat a name or do not cover every value.
 */
export function fitLabels(
  column: string,
  values: readonly (string | null)[],
  names?: readonly string[],
  rows?: ArrayLike<number>,
): string[] {
  const at = rows === undefined ? values.map((_, i) => i) : Array.from(rows);
  const missing = at.filter((r) => values[r] === null);
  if (missing.length > 0)
    throw new PreprocessError(
      'MISSING_VALUES',
      `target column ${JSON.stringify(column)} has ${missing.length === 1 ? '1 missing value' : `${missing.length} missing values`} (first at row ${missing[0]}); a target cannot be filled in: remove those rows`,
      { column, row: missing[0] },
    );
  if (names === undefined) return [...new Set(at.map((r) => values[r] as string))].sort(compareCodePoints);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new PreprocessError('BAD_OPTION', `model.classes names ${JSON.stringify(n)} twice`, { column, value: n });
    seen.add(n);
  }
  encodeLabels(column, names, values, at);
  return names.slice();
}

/**
 * The class index of each value at `rows` (default: all) in `classes`; a value that is not a class
 * is refused, naming the row and the classes.
 */
export function encodeLabels(
  column: string,
  classes: readonly string[],
  values: readonly (string | null)[],
  rows?: ArrayLike<number>,
): Float64Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const at = rows === undefined ? values.map((_, i) => i) : Array.from(rows);
  const out = new Float64Array(at.length);
  at.forEach((r, i) => {
    const v = values[r];
    const k = v === null ? undefined : index.get(v);
    if (k === undefined)
      throw new PreprocessError(
        v === null ? 'MISSING_VALUES' : 'UNKNOWN_CATEGORY',
        `target column ${JSON.stringify(column)} has ${v === null ? 'a missing value' : `the value ${JSON.stringify(v)}`} at row ${r}, which is not one of the classes ${classes.map((c) => JSON.stringify(c)).join(', ')}`,
        { column, row: r, value: v },
      );
    out[i] = k;
  });
  return out;
}

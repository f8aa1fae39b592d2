/**
 * Apply fitted preprocessing to any rows (training, validation, test, an evaluation dataset,
 * /predict records): fill, scale, encode, in the fitted column order, into one dense row-major
 * float64 matrix. Only the fitted statistics are used; nothing is re-fitted.
 */
import { categoryAt, isMissing, rowCount } from './access.js';
import { missingValuesMessage, unknownCategoryMessage } from './messages.js';
import { minMaxTransform } from './stats.js';
import {
  PreprocessError,
  type Column,
  type FittedColumn,
  type FittedPreprocess,
  type NumericColumn,
} from './types.js';

/** The preprocessed rows. */
export interface PreprocessedRows {
  /** rows × width, row-major. */
  x: Float64Array;
  rows: number;
  width: number;
  featureNames: string[];
  /** Source row of each output row. */
  kept: number[];
  /** Source rows left out by missing "drop" (a missing value in such a column). */
  dropped: number[];
}

/** Output columns of one fitted column. */
function widthOf(c: FittedColumn): number {
  return c.type === 'categorical' && c.encoding === 'onehot' ? c.categories.length : 1;
}

/** Find each fitted column among `columns` by name, with a matching type. */
function match(fitted: FittedPreprocess, columns: readonly Column[]): Column[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  return fitted.columns.map((f) => {
    const c = byName.get(f.name);
    if (c === undefined)
      throw new PreprocessError(
        'MISSING_COLUMN',
        `column ${JSON.stringify(f.name)} is missing; the model takes ${fitted.columns.map((k) => JSON.stringify(k.name)).join(', ')}`,
        { column: f.name },
      );
    // numeric and boolean are both float64 0/1-or-number columns; categorical is the other kind
    if ((c.type === 'categorical') !== (f.type === 'categorical'))
      throw new PreprocessError(
        'WRONG_TYPE',
        `column ${JSON.stringify(f.name)} is ${c.type} here but was ${f.type} when the model was trained`,
        { column: f.name },
      );
    return c;
  });
}

/**
 * Preprocess `rows` of `columns` (default: every row) with `fitted`. Columns are found by name
 * (others are ignored). Throws a {@link PreprocessError} for a missing column, a categorical /
 * numeric mismatch, a missing value under "error" (named with the count and the fix) or an unknown
 * category under unknownCategory "error".
 */
export function applyPreprocess(
  fitted: FittedPreprocess,
  columns: readonly Column[],
  rows?: ArrayLike<number>,
): PreprocessedRows {
  const cols = match(fitted, columns);
  const total = cols.length === 0 ? 0 : rowCount(cols[0]);
  const source = rows === undefined ? Array.from({ length: total }, (_, i) => i) : Array.from(rows);
  const kept: number[] = [];
  const dropped: number[] = [];
  for (const r of source) {
    if (!(Number.isInteger(r) && r >= 0 && r < total)) throw new RangeError(`row ${r} is not in [0, ${total})`);
    if (cols.some((c, j) => fitted.columns[j].missing === 'drop' && isMissing(c, r))) dropped.push(r);
    else kept.push(r);
  }
  cols.forEach((c, j) => {
    if (fitted.columns[j].missing !== 'error') return;
    const bad = kept.filter((r) => isMissing(c, r));
    if (bad.length > 0)
      throw new PreprocessError('MISSING_VALUES', missingValuesMessage(c.name, bad.length), {
        column: c.name,
        row: bad[0],
      });
  });

  const width = fitted.columns.reduce((w, c) => w + widthOf(c), 0);
  const n = kept.length;
  const x = new Float64Array(n * width);
  let offset = 0;
  fitted.columns.forEach((f, j) => {
    const c = cols[j];
    if (f.type === 'categorical') writeCategorical(f, c, kept, x, width, offset, fitted.unknownCategory === 'ignore');
    else writeNumeric(f, c as NumericColumn, kept, x, width, offset);
    offset += widthOf(f);
  });
  return { x, rows: n, width, featureNames: fitted.featureNames.slice(), kept, dropped };
}

function writeNumeric(
  f: FittedColumn & { type: 'numeric' | 'boolean' },
  c: NumericColumn,
  rows: number[],
  x: Float64Array,
  width: number,
  at: number,
): void {
  const values = c.values;
  // the formulas sklearn's transform uses: (x − mean)/scale, and x·scale + min_ for minmax
  const mm = f.scaling === 'minmax' ? minMaxTransform(f.min as number, f.max as number) : null;
  for (let i = 0; i < rows.length; i++) {
    let v = values[rows[i]];
    if (Number.isNaN(v)) v = f.fill as number;
    if (f.scaling === 'standardize') v = (v - (f.mean as number)) / (f.std as number);
    else if (mm) v = v * mm.scale + mm.offset;
    x[i * width + at] = v;
  }
}

function writeCategorical(
  f: FittedColumn & { type: 'categorical' },
  c: Column,
  rows: number[],
  x: Float64Array,
  width: number,
  at: number,
  ignore: boolean,
): void {
  const cc = c as Column & { type: 'categorical' };
  const index = new Map(f.categories.map((k, i) => [k, i]));
  for (let i = 0; i < rows.length; i++) {
    const v = categoryAt(cc, rows[i]) ?? (f.fill as string);
    const k = index.get(v);
    if (k === undefined && !ignore)
      throw new PreprocessError('UNKNOWN_CATEGORY', unknownCategoryMessage(f, v, rows[i]), {
        column: f.name,
        row: rows[i],
        value: v,
      });
    if (f.encoding === 'ordinal') x[i * width + at] = k ?? -1;
    else if (k !== undefined) x[i * width + at + k] = 1;
  }
}

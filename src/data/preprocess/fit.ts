/**
 * Fit the preprocessing on the training rows only: which rows "drop" removes, then per column
 * SimpleImputer's fill value and StandardScaler / MinMaxScaler statistics or the
 * OneHotEncoder / OrdinalEncoder categories, as a scikit-learn pipeline (imputer, then scaler or
 * encoder) fitted on those rows would. Validation and test rows are never read, so they cannot leak
 * into the statistics.
 */
import { categoryAt, isMissing, rowCount } from './access.js';
import { missingValuesMessage, perColumnPath } from './messages.js';
import { compareCodePoints } from './order.js';
import { mean, median, minMax, mostFrequentNumber, mostFrequentString, standardStats } from './stats.js';
import {
  DEFAULT_PREPROCESS,
  PreprocessError,
  type CategoricalEncoding,
  type Column,
  type FittedColumn,
  type FittedPreprocess,
  type MissingStrategy,
  type NumericScaling,
  type PreprocessOptions,
} from './types.js';

/** The options in force for one column. */
interface Resolved {
  missing: MissingStrategy;
  scaling: NumericScaling;
  encoding: CategoricalEncoding;
}

/**
 * A column's options: its perColumn entry over the table-wide ones. Booleans are not scaled
 * unless their perColumn entry says so; a categorical column takes a table-wide "mean" or "median"
 * as "most_frequent" (the only fill a category has), but refuses them from its own perColumn entry.
 */
function resolve(col: Column, opts: Readonly<PreprocessOptions>): Resolved {
  const per = opts.perColumn[col.name] ?? {};
  const path = perColumnPath(col.name);
  if (col.type === 'categorical') {
    if (per.numeric !== undefined)
      throw new PreprocessError(
        'BAD_OPTION',
        `${path}.numeric applies to numeric and boolean columns; ${JSON.stringify(col.name)} is categorical (use ${path}.categorical)`,
        { column: col.name },
      );
    if (per.missing === 'mean' || per.missing === 'median')
      throw new PreprocessError(
        'BAD_OPTION',
        `${path}.missing "${per.missing}" needs a numeric column; ${JSON.stringify(col.name)} is categorical (use "most_frequent")`,
        { column: col.name },
      );
    const m = per.missing ?? opts.missing;
    return {
      missing: m === 'mean' || m === 'median' ? 'most_frequent' : m,
      scaling: 'none',
      encoding: per.categorical ?? opts.categorical,
    };
  }
  if (per.categorical !== undefined)
    throw new PreprocessError(
      'BAD_OPTION',
      `${path}.categorical applies to categorical columns; ${JSON.stringify(col.name)} is ${col.type} (declare it categorical in the upload's types)`,
      { column: col.name },
    );
  return {
    missing: per.missing ?? opts.missing,
    scaling: per.numeric ?? (col.type === 'numeric' ? opts.numeric : 'none'),
    encoding: opts.categorical,
  };
}

/** Output names, as sklearn's get_feature_names_out: the column, or `column_category` per one-hot column. */
export function featureNamesOf(columns: readonly FittedColumn[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    if (c.type === 'categorical' && c.encoding === 'onehot') for (const k of c.categories) names.push(`${c.name}_${k}`);
    else names.push(c.name);
  }
  return names;
}

/**
 * Fit the preprocessing of `columns` (all rows of the table, in feature order) on the rows
 * `trainRows` alone. Options default to {@link DEFAULT_PREPROCESS}. Throws a
 * {@link PreprocessError} for a missing value under "error", a column with no training value to
 * fill from, a perColumn entry naming no column or not fitting the column's type, or no row left.
 */
export function fitPreprocess(
  columns: readonly Column[],
  trainRows: ArrayLike<number>,
  options: Partial<PreprocessOptions> = {},
): FittedPreprocess {
  const opts: PreprocessOptions = { ...DEFAULT_PREPROCESS, ...options, perColumn: options.perColumn ?? {} };
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name))
      throw new PreprocessError('BAD_OPTION', `column ${JSON.stringify(c.name)} is given twice`, { column: c.name });
    names.add(c.name);
  }
  const total = columns.length === 0 ? 0 : rowCount(columns[0]);
  for (let i = 0; i < trainRows.length; i++)
    if (!(Number.isInteger(trainRows[i]) && trainRows[i] >= 0 && trainRows[i] < total))
      throw new RangeError(`training row ${trainRows[i]} is not in [0, ${total})`);
  for (const key of Object.keys(opts.perColumn))
    if (!names.has(key))
      throw new PreprocessError(
        'BAD_OPTION',
        `${perColumnPath(key)} names no feature column (the features are ${[...names].map((n) => JSON.stringify(n)).join(', ')})`,
        { column: key },
      );
  const resolved = columns.map((c) => resolve(c, opts));

  // "drop": a training row with a missing value in such a column is left out of every statistic
  const kept: number[] = [];
  for (let i = 0; i < trainRows.length; i++) {
    const r = trainRows[i];
    if (!columns.some((c, j) => resolved[j].missing === 'drop' && isMissing(c, r))) kept.push(r);
  }
  if (kept.length === 0) {
    const why =
      trainRows.length === 0
        ? 'there are no training rows'
        : `missing "drop" left none of the ${trainRows.length} training rows`;
    throw new PreprocessError('NO_TRAINING_VALUES', `cannot fit the preprocessing: ${why}`);
  }

  const fitted = columns.map((c, j) => fitColumn(c, resolved[j], kept));
  return {
    columns: fitted,
    unknownCategory: opts.unknownCategory,
    featureNames: featureNamesOf(fitted),
    fittedRows: kept.length,
    droppedRows: trainRows.length - kept.length,
  };
}

/** One column's statistics over the rows `rows`: the fill value, then the scaler or encoder on the filled values. */
function fitColumn(col: Column, o: Resolved, rows: readonly number[]): FittedColumn {
  const missingRows = rows.filter((r) => isMissing(col, r));
  if (missingRows.length > 0 && o.missing === 'error')
    throw new PreprocessError('MISSING_VALUES', missingValuesMessage(col.name, missingRows.length), {
      column: col.name,
      row: missingRows[0],
    });
  if (missingRows.length === rows.length)
    throw new PreprocessError(
      'NO_TRAINING_VALUES',
      `column ${JSON.stringify(col.name)} has no value in the ${rows.length} training rows; leave it out of data.features`,
      { column: col.name },
    );
  const fills = missingRows.length > 0; // "drop" and "error" leave no missing row here
  if (col.type === 'categorical') {
    const present: string[] = [];
    for (const r of rows) {
      const v = categoryAt(col, r);
      if (v !== null) present.push(v);
    }
    const fill = o.missing === 'most_frequent' ? mostFrequentString(present) : undefined;
    const all = fills && fill !== undefined ? [...present, fill] : present;
    const categories = [...new Set(all)].sort(compareCodePoints);
    return {
      name: col.name,
      type: 'categorical',
      missing: o.missing,
      ...(fill === undefined ? {} : { fill }),
      encoding: o.encoding,
      categories,
    };
  }
  const present = Float64Array.from(
    rows.filter((r) => !Number.isNaN(col.values[r])),
    (r) => col.values[r],
  );
  const fill =
    o.missing === 'mean'
      ? mean(present)
      : o.missing === 'median'
        ? median(present)
        : o.missing === 'most_frequent'
          ? mostFrequentNumber(present)
          : undefined;
  const out: FittedColumn = {
    name: col.name,
    type: col.type,
    missing: o.missing,
    ...(fill === undefined ? {} : { fill }),
    scaling: o.scaling,
  };
  if (o.scaling === 'none') return out;
  const filled = Float64Array.from(rows, (r) => (Number.isNaN(col.values[r]) ? (fill as number) : col.values[r]));
  return o.scaling === 'standardize' ? { ...out, ...standardStats(filled) } : { ...out, ...minMax(filled) };
}

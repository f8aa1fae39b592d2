/**
 * A stored typed table as the dataset training and /evaluate take: the feature columns kept typed
 * (`columns`: categorical, boolean, missing values), for the job's preprocessing to encode, and
 * the targets as numbers: a categorical target becomes class indices over its categories in
 * code-point order (scikit-learn's LabelEncoder), named in `classNames`.
 */
import { compareCodePoints } from './preprocess/order.js';
import type { Column as TableColumn, Table } from './table/types.js';
import { DatasetError, type Dataset } from './types.js';

/** Class indices of a categorical target column, and its classes sorted by code point. */
function encodeTarget(c: TableColumn & { type: 'categorical' }): { y: Float64Array; names: string[] } {
  const names = [...c.categories].sort(compareCodePoints);
  const rank = c.categories.map((v) => names.indexOf(v));
  const y = new Float64Array(c.codes.length);
  c.codes.forEach((code, r) => {
    y[r] = rank[code];
  });
  return { y, names };
}

/**
 * The dataset of a typed table, its target and features as `pick` (the JobSpec's `data.target` and
 * `data.features`) choose, else the upload's. `x` holds the numeric and boolean features (NaN where missing or
 * categorical); preprocessing reads `columns`. A missing target value is refused naming the column:
 * a target cannot be filled in.
 */
export function trainingDataset(t: Table, pick: { features?: readonly string[]; target?: string } = {}): Dataset {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  const find = (n: string, what: string) => {
    const c = byName.get(n);
    if (!c)
      throw new DatasetError(
        'INVALID_DATASET',
        `${what} ${JSON.stringify(n)} is not a column of the dataset; its columns are ${t.columns.map((k) => JSON.stringify(k.name)).join(', ')}`,
        { column: n },
      );
    return c;
  };
  // the spec's data.target / data.features choose among the upload's columns (default: its target, every other column)
  const targets = pick.target !== undefined ? [find(pick.target, 'data.target')] : t.target.map((n) => byName.get(n)!);
  const isTarget = new Set(targets.map((c) => c.name));
  const features = pick.features
    ? pick.features.map((n) => find(n, 'data.features entry'))
    : t.columns.filter((c) => !isTarget.has(c.name));
  for (const c of targets)
    if (c.missing > 0)
      throw new DatasetError(
        'INVALID_DATASET',
        `target column ${JSON.stringify(c.name)} has ${c.missing} missing value${c.missing === 1 ? '' : 's'}; a target cannot be filled in: remove those rows`,
        { column: c.name },
      );
  const categorical = targets.find((c) => c.type === 'categorical');
  if (categorical && targets.length > 1)
    throw new DatasetError(
      'INVALID_DATASET',
      `target column ${JSON.stringify(categorical.name)} is categorical; a categorical target must be the only target`,
      { column: categorical.name },
    );
  const w = features.length;
  const x = new Float64Array(t.rows * w).fill(NaN);
  features.forEach((c, j) => {
    if (c.type !== 'categorical') for (let r = 0; r < t.rows; r++) x[r * w + j] = c.values[r];
  });
  let y: Float64Array;
  let classNames: string[] | undefined;
  if (categorical?.type === 'categorical') ({ y, names: classNames } = encodeTarget(categorical));
  else {
    const k = targets.length;
    y = new Float64Array(t.rows * k);
    targets.forEach((c, j) => {
      if (c.type !== 'categorical') for (let r = 0; r < t.rows; r++) y[r * k + j] = c.values[r];
    });
  }
  return {
    name: t.name,
    x,
    y,
    rows: t.rows,
    features: w,
    targets: targets.length,
    featureNames: features.map((c) => c.name),
    targetNames: targets.map((c) => c.name),
    columns: features,
    ...(classNames ? { classNames, classes: classNames.length } : {}),
  };
}

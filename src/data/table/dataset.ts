/**
 * Between a {@link Table} and the numeric {@link Dataset} the trainer consumes. A table whose columns
 * are all numeric or boolean, with no missing value, is exactly today's dataset (booleans as 0/1);
 * anything else needs preprocessing first, and {@link tableToDataset} says which column and why.
 */
import { DatasetError, type Dataset } from '../types.js';
import { assembleTable, columnBuilders } from './assemble.js';
import type { NumberColumn, Table, TypeOverrides } from './types.js';

/** Feature columns (every column but the targets), then target columns, each in file order. */
export function splitColumns(t: Table): { features: Table['columns']; targets: Table['columns'] } {
  const isTarget = new Set(t.target);
  return {
    features: t.columns.filter((c) => !isTarget.has(c.name)),
    targets: t.target.map((n) => t.columns.find((c) => c.name === n)!),
  };
}

/** The first column that keeps `t` from being a plain numeric dataset, with the reason; or null. */
function nonNumericReason(t: Table): { column: string; reason: string } | null {
  for (const c of t.columns) {
    if (c.type === 'categorical') {
      return { column: c.name, reason: `column ${JSON.stringify(c.name)} is categorical (${c.categories.length} categories); training on it needs it encoded (preprocess), which this version does not do yet` };
    }
    if (c.missing > 0) {
      return { column: c.name, reason: `column ${JSON.stringify(c.name)} has ${c.missing} missing value${c.missing === 1 ? '' : 's'}; training needs every value present` };
    }
  }
  return null;
}

/** Row-major copy of some number columns, rows [from, to). */
function rowMajor(cols: readonly NumberColumn[], from: number, to: number): Float64Array {
  const w = cols.length;
  const out = new Float64Array((to - from) * w);
  for (let j = 0; j < w; j++) {
    const v = cols[j].values;
    for (let r = from; r < to; r++) out[(r - from) * w + j] = v[r];
  }
  return out;
}

/**
 * The numeric dataset of a table: x = the feature columns, y = the targets, row-major. Throws a
 * DatasetError naming the column when a column is categorical or has missing values.
 */
export function tableToDataset(t: Table, names: { featureNames?: string[]; targetNames?: string[] } = {}): Dataset {
  const bad = nonNumericReason(t);
  if (bad) throw new DatasetError('INVALID_DATASET', bad.reason, { column: bad.column });
  const { features, targets } = splitColumns(t);
  return {
    name: t.name,
    x: rowMajor(features as NumberColumn[], 0, t.rows),
    y: rowMajor(targets as NumberColumn[], 0, t.rows),
    rows: t.rows,
    features: features.length,
    targets: targets.length,
    ...(names.featureNames ? { featureNames: names.featureNames } : {}),
    ...(names.targetNames ? { targetNames: names.targetNames } : {}),
  };
}

/**
 * A numeric dataset as a table (JSON `{x, y}` uploads): columns named as the dataset names them, else
 * `x0, x1, …` and `y` (`y0, y1, …` for several targets). Declared `types` apply as to any table
 * (`label:categorical` makes integer labels categories; `flag:boolean` reads 0/1).
 */
export function datasetToTable(ds: Dataset, types?: TypeOverrides): Table {
  const fnames = ds.featureNames ?? Array.from({ length: ds.features }, (_, j) => `x${j}`);
  const tnames = ds.targetNames ?? (ds.targets === 1 ? ['y'] : Array.from({ length: ds.targets }, (_, j) => `y${j}`));
  if (types && Object.keys(types).length) {
    const builders = columnBuilders([...fnames, ...tnames], { types }, Infinity, 'the dataset');
    for (let r = 0; r < ds.rows; r++) {
      for (let j = 0; j < ds.features; j++) builders[j].addValue(ds.x[r * ds.features + j]);
      for (let j = 0; j < ds.targets; j++) builders[ds.features + j].addValue(ds.y[r * ds.targets + j]);
    }
    return assembleTable(builders, ds.rows, (r) => `row ${r} of x and y`, { name: ds.name, target: tnames }, 'the dataset');
  }
  const column = (m: Float64Array, w: number, j: number, name: string): NumberColumn => {
    const values = new Float64Array(ds.rows);
    for (let r = 0; r < ds.rows; r++) values[r] = m[r * w + j];
    return { name, type: 'numeric', values, missing: 0 };
  };
  return {
    name: ds.name,
    rows: ds.rows,
    columns: [...fnames.map((n, j) => column(ds.x, ds.features, j, n)), ...tnames.map((n, j) => column(ds.y, ds.targets, j, n))],
    target: tnames,
  };
}

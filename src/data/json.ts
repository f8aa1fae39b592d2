/**
 * JSON datasets: `{ "x": number[][], "y": number[] | number[][], "featureNames"?: string[], "targetNames"?: string[] }`.
 *
 * The HTTP layer validates the body's shape with the zod schema in `src/contracts/dataset.ts` first; this
 * function checks again (it may be called with anything) and builds the typed arrays, naming the exact
 * place of any problem (`x[3][1] is not a finite number`).
 */
import { DEFAULT_DATASET_LIMITS, DatasetError, type Dataset, type DatasetLimits } from './types.js';

export interface JsonDatasetOptions extends Partial<Pick<DatasetLimits, 'maxRows' | 'maxColumns'>> {
  /** Dataset name (default "json"). */
  name?: string;
}

/** "1 row", "2 rows". */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const KEYS = new Set(['x', 'y', 'featureNames', 'targetNames']);

/** `x[3][1]` → `/x/3/1`. */
function pointerOf(column: string): string {
  return '/' + column.replace(/\[(\d+)\]/g, '/$1');
}

function bad(message: string, column?: string): never {
  throw new DatasetError('INVALID_DATASET', message, column === undefined ? {} : { column, pointer: pointerOf(column) });
}

function names(v: unknown, key: string, count: number): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) bad(`${key} must be an array of strings`, key);
  if (v.length !== count) bad(`${key} has ${countOf(v.length, 'name')} but the data has ${countOf(count, 'column')}`, key);
  return [...(v as string[])];
}

/** Build a Dataset from a parsed JSON body. */
export function parseJsonDataset(obj: unknown, opts: JsonDatasetOptions = {}): Dataset {
  const maxRows = opts.maxRows ?? DEFAULT_DATASET_LIMITS.maxRows;
  const maxColumns = opts.maxColumns ?? DEFAULT_DATASET_LIMITS.maxColumns;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) bad('a JSON dataset is an object { "x": [[…]], "y": […] }');
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) bad(`unknown key "${k}" (expected x, y, featureNames, targetNames)`, k);
  const { x, y } = o;
  if (!Array.isArray(x)) bad('x must be an array of rows (number[][])', 'x');
  if (!Array.isArray(y)) bad('y must be an array (number[] or number[][])', 'y');
  const rows = x.length;
  if (rows === 0) bad('x has no rows', 'x');
  if (rows > maxRows) throw new DatasetError('TOO_LARGE', `x has ${rows} rows; the limit is ${maxRows}`, { column: 'x', pointer: '/x' });
  if (y.length !== rows) bad(`y has ${countOf(y.length, 'row')} but x has ${rows}`, 'y');
  if (!Array.isArray(x[0])) bad('x[0] must be an array of numbers', 'x[0]');
  const features = (x[0] as unknown[]).length;
  if (features === 0) bad('x[0] has no features', 'x[0]');
  const flat = !Array.isArray(y[0]);
  const targets = flat ? 1 : (y[0] as unknown[]).length;
  if (targets === 0) bad('y[0] has no targets', 'y[0]');
  if (features + targets > maxColumns) {
    throw new DatasetError('TOO_LARGE', `the data has ${features + targets} columns; the limit is ${maxColumns}`);
  }
  const X = new Float64Array(rows * features);
  const Y = new Float64Array(rows * targets);
  for (let i = 0; i < rows; i++) {
    const r = x[i];
    if (!Array.isArray(r) || r.length !== features) {
      bad(`x is not rectangular: x[${i}] has ${Array.isArray(r) ? countOf(r.length, 'value') : 'no array'}, x[0] has ${features}`, `x[${i}]`);
    }
    for (let j = 0; j < features; j++) {
      const v = r[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`x[${i}][${j}] is not a finite number`, `x[${i}][${j}]`);
      X[i * features + j] = v;
    }
    const t = y[i];
    if (flat) {
      if (typeof t !== 'number' || !Number.isFinite(t)) bad(`y[${i}] is not a finite number`, `y[${i}]`);
      Y[i] = t;
    } else {
      if (!Array.isArray(t) || t.length !== targets) {
        bad(`y is not rectangular: y[${i}] has ${Array.isArray(t) ? countOf(t.length, 'value') : 'no array'}, y[0] has ${targets}`, `y[${i}]`);
      }
      for (let j = 0; j < targets; j++) {
        const v = t[j];
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(`y[${i}][${j}] is not a finite number`, `y[${i}][${j}]`);
        Y[i * targets + j] = v;
      }
    }
  }
  const featureNames = names(o.featureNames, 'featureNames', features);
  const targetNames = names(o.targetNames, 'targetNames', targets);
  return {
    name: opts.name ?? 'json',
    x: X,
    y: Y,
    rows,
    features,
    targets,
    ...(featureNames ? { featureNames } : {}),
    ...(targetNames ? { targetNames } : {}),
  };
}

/**
 * JSON records `[{ "col": value, … }, …]` as a typed table. The columns are the keys of the first
 * record, in its order; a later record may leave a key out (a missing value, as null is) but not add
 * one, so a typo in a key is refused rather than becoming a new, mostly missing column.
 */
import { DatasetError } from '../types.js';
import { assembleTable, columnBuilders, tableLimits, type TableOptions } from './assemble.js';
import { shown } from './infer.js';
import type { Table } from './types.js';

/** Parse an array of records (already JSON-parsed) as a table. */
export function parseRecordsTable(records: unknown, opts: TableOptions & { maxNameLength?: number } = {}): Table {
  const L = tableLimits(opts);
  if (!Array.isArray(records)) throw new DatasetError('INVALID_DATASET', 'records must be an array of objects', { pointer: '/' });
  if (records.length === 0) throw new DatasetError('INVALID_DATASET', 'the records array is empty', { pointer: '/' });
  if (records.length > L.maxRows) {
    throw new DatasetError('TOO_LARGE', `the body has ${records.length} records; the limit is ${L.maxRows}`, { pointer: '/' });
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const first: unknown = records[0];
  if (!isRecord(first)) throw new DatasetError('INVALID_DATASET', 'records[0] is not an object', { pointer: '/0' });
  const names = Object.keys(first);
  if (names.length === 0) throw new DatasetError('INVALID_DATASET', 'records[0] has no keys: the columns are its keys', { pointer: '/0' });
  const builders = columnBuilders(names, opts, opts.maxNameLength ?? 256, 'records[0]');
  const index = new Map(names.map((n, i) => [n, i]));
  records.forEach((rec: unknown, r) => {
    if (!isRecord(rec)) throw new DatasetError('INVALID_DATASET', `records[${r}] is not an object`, { pointer: `/${r}` });
    for (const k of Object.keys(rec)) {
      if (!index.has(k)) {
        throw new DatasetError('INVALID_DATASET', `records[${r}] has the key ${shown(k)}, which records[0] does not; the columns are records[0]'s keys`, {
          pointer: `/${r}`,
        });
      }
    }
    for (let j = 0; j < names.length; j++) {
      const v = rec[names[j]];
      if (typeof v === 'string' && v.length > L.maxCellLength) {
        throw new DatasetError('INVALID_DATASET', `records[${r}].${names[j]} has ${v.length} characters; the limit is ${L.maxCellLength}`, {
          column: names[j],
          pointer: `/${r}/${names[j]}`,
        });
      }
      builders[j].addValue(v);
    }
  });
  return assembleTable(builders, records.length, (r) => `records[${r}]`, { ...opts, name: opts.name ?? 'json' }, 'the records');
}

/**
 * Rows of values under a list of column names (what a Parquet reader gives) as a table. Values
 * are numbers, bigints, strings, booleans, dates or null; anything nested is refused by name.
 */
export function parseRowsTable(names: readonly string[], rows: readonly (readonly unknown[])[], opts: TableOptions & { maxNameLength?: number } = {}): Table {
  const L = tableLimits(opts);
  if (rows.length > L.maxRows) throw new DatasetError('TOO_LARGE', `the file has ${rows.length} rows; the limit is ${L.maxRows}`);
  const builders = columnBuilders(names, opts, opts.maxNameLength ?? 256, 'the file');
  for (const row of rows) {
    for (let j = 0; j < builders.length; j++) {
      const v = row[j];
      if (typeof v === 'string' && v.length > L.maxCellLength) {
        throw new DatasetError('INVALID_DATASET', `row ${builders[j].length + 1}, column ${shown(names[j])} has ${v.length} characters; the limit is ${L.maxCellLength}`, {
          column: names[j],
        });
      }
      builders[j].addValue(v);
    }
  }
  return assembleTable(builders, rows.length, (r) => `row ${r + 1}`, { ...opts, name: opts.name ?? 'parquet' }, 'the file');
}

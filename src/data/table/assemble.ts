/** From named column builders to a {@link Table}: the target, declared types, and the column rules. */
import { DatasetError } from '../types.js';
import { ColumnBuilder, shown, type Place } from './infer.js';
import type { Table, TableLimits, TypeOverrides } from './types.js';

/** What every table reader takes besides the data. */
export interface TableOptions {
  /** Dataset name. */
  name?: string;
  /** Target column name(s); default: the last column. */
  target?: string | readonly string[];
  /** Declared column types. */
  types?: TypeOverrides;
  limits?: Partial<TableLimits>;
}

/** The limits a reader applies when given none: the service defaults (src/contracts/limits.ts). */
export const DEFAULT_TABLE_LIMITS: Readonly<TableLimits> = Object.freeze({
  maxRows: 1_000_000,
  maxColumns: 11_000,
  maxCellLength: 16_384,
});

/** The limits of `opts`, defaults filled in. */
export function tableLimits(opts: TableOptions): TableLimits {
  return { ...DEFAULT_TABLE_LIMITS, ...opts.limits };
}

/** "a, b, c, …" for a long list of names. */
function listOf(names: readonly string[]): string {
  return names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ');
}

/**
 * Check a header (names trimmed by the caller): no empty or duplicate name, names within the cell
 * limit, columns within the limit, every declared type naming a column. Returns the builders.
 */
export function columnBuilders(names: readonly string[], opts: TableOptions, nameLimit: number, where: string): ColumnBuilder[] {
  const L = tableLimits(opts);
  if (names.length > L.maxColumns) {
    throw new DatasetError('TOO_LARGE', `${where} has ${names.length} columns; the limit is ${L.maxColumns}`);
  }
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') throw new DatasetError('INVALID_DATASET', `${where}: column ${i + 1} of the header has no name`, { pointer: `/header/${i}` });
    if (name.length > nameLimit) {
      throw new DatasetError('INVALID_DATASET', `The header is invalid: column ${i + 1}'s name has ${name.length} characters; the limit is ${nameLimit}`, {
        pointer: `/header/${i}`,
      });
    }
    if (seen.has(name)) throw new DatasetError('INVALID_DATASET', `${where}: column name ${shown(name)} appears twice`, { column: name, pointer: `/header/${i}` });
    seen.add(name);
  });
  for (const c of Object.keys(opts.types ?? {})) {
    if (!seen.has(c)) {
      throw new DatasetError('INVALID_DATASET', `types names column ${shown(c)}, which is not in the header (columns: ${listOf(names)})`, {
        column: c,
        pointer: '/querystring/types',
      });
    }
  }
  return names.map((n) => new ColumnBuilder(n, opts.types?.[n]));
}

/** Finish every column and name the target(s). */
export function assembleTable(builders: readonly ColumnBuilder[], rows: number, place: Place, opts: TableOptions, what: string): Table {
  if (rows === 0) throw new DatasetError('INVALID_DATASET', `${what} has a header but no data rows`);
  const names = builders.map((b) => b.name);
  const wanted = opts.target === undefined ? [names[names.length - 1]] : typeof opts.target === 'string' ? [opts.target] : [...opts.target];
  if (wanted.length === 0) throw new DatasetError('INVALID_DATASET', 'no target column given');
  for (const t of wanted) {
    if (!names.includes(t)) {
      throw new DatasetError('INVALID_DATASET', `target column ${shown(t)} is not in the header (columns: ${listOf(names)})`, {
        column: t,
        pointer: '/querystring/target',
      });
    }
  }
  if (new Set(wanted).size !== wanted.length) throw new DatasetError('INVALID_DATASET', 'a target column is named twice');
  if (wanted.length === names.length) throw new DatasetError('INVALID_DATASET', `${what} has no feature column besides the target`);
  const columns = builders.map((b) => b.finish(place));
  return { name: opts.name ?? 'table', rows, columns, target: wanted };
}

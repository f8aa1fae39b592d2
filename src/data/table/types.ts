/**
 * The typed table: what an upload becomes once its column types are known, and what preprocessing,
 * metrics and the trainer consume. Columnar, so a column is one typed array whatever the row count.
 */

/** A column's type: numbers, categories (strings, or integers declared so), or true/false. */
export type ColumnType = 'numeric' | 'categorical' | 'boolean';

/**
 * A numeric or boolean column: one float64 per row, `NaN` where the value is missing
 * (a boolean column holds 1 for true, 0 for false).
 */
export interface NumberColumn {
  name: string;
  type: 'numeric' | 'boolean';
  values: Float64Array;
  /** Rows whose value is missing (the NaNs of `values`). */
  missing: number;
}

/**
 * A categorical column: one code per row into `categories` (-1 where missing). Categories are in
 * order of first appearance, so codes are stable while a file streams in; sort them where an order
 * matters (label encoding sorts, as the design says).
 */
export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  codes: Int32Array;
  categories: string[];
  /** Rows whose value is missing (code -1). */
  missing: number;
}

/** One column of a {@link Table}. */
export type Column = NumberColumn | CategoricalColumn;

/**
 * A typed table: `rows` rows of `columns`, in file order, and the names of the target column(s).
 * Every column has exactly `rows` values.
 */
export interface Table {
  name: string;
  rows: number;
  columns: Column[];
  /** Target column names (at least one); every other column is a feature. */
  target: string[];
}

/** Column types the user declared (`?types=col:categorical,…`), by column name. */
export type TypeOverrides = Readonly<Record<string, ColumnType>>;

/** Limits applied while a table is parsed. */
export interface TableLimits {
  /** Data rows. */
  maxRows: number;
  /** Columns (features + targets). */
  maxColumns: number;
  /** Characters of one cell (and of one column name). */
  maxCellLength: number;
}

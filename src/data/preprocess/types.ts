/**
 * The input, options and fitted form of the preprocessing that travels with a model (issue 12,
 * api-v1.1.md "Tables"): typed columns in, one dense float64 feature matrix out, with statistics
 * fitted on the training rows only and stored as plain JSON so /predict, /evaluate and the exports
 * apply exactly what training applied.
 */

/** A numeric or boolean column: one float64 per row, NaN where the value is missing; booleans are 0 / 1. */
export interface NumericColumn {
  name: string;
  type: 'numeric' | 'boolean';
  values: Float64Array;
}

/** A categorical column: one string per row, `null` where the value is missing. */
export interface CategoricalValuesColumn {
  name: string;
  type: 'categorical';
  values: readonly (string | null)[];
}

/**
 * A categorical column as a typed upload stores it (src/data/table): one code per row into
 * `categories` (in any order), −1 where the value is missing.
 */
export interface CodedCategoricalColumn {
  name: string;
  type: 'categorical';
  codes: Int32Array;
  categories: readonly string[];
}

/** A categorical column, as strings or as codes. */
export type CategoricalColumn = CategoricalValuesColumn | CodedCategoricalColumn;

/**
 * One typed column of a table, all rows. The typed upload's columns (src/data/table) are of this
 * shape as they are; extra fields such as their `missing` count are ignored.
 */
export type Column = NumericColumn | CategoricalColumn;

/** The type of a column. */
export type ColumnType = Column['type'];

/** How numeric columns are scaled: as is, StandardScaler's (x − mean)/std, or MinMaxScaler's to [0, 1]. */
export type NumericScaling = 'none' | 'standardize' | 'minmax';
/** How categorical columns become numbers: OneHotEncoder's 0/1 columns or OrdinalEncoder's codes. */
export type CategoricalEncoding = 'onehot' | 'ordinal';
/**
 * What a missing value does: refuse the data, drop the row, or fill it with SimpleImputer's
 * training-row mean / median / most frequent value.
 */
export type MissingStrategy = 'error' | 'drop' | 'mean' | 'median' | 'most_frequent';
/** A category not seen in the training rows: refuse it, or encode it as all zeros (ordinal: −1). */
export type UnknownCategory = 'error' | 'ignore';

/** Overrides for one column. `numeric` also applies to a boolean column (booleans are not scaled otherwise). */
export interface ColumnOptions {
  numeric?: NumericScaling;
  categorical?: CategoricalEncoding;
  missing?: MissingStrategy;
}

/** The JobSpec's `preprocess` (src/contracts/job-spec/data.ts), as this layer reads it. */
export interface PreprocessOptions {
  numeric: NumericScaling;
  categorical: CategoricalEncoding;
  /** For categorical columns, "mean" and "median" given here mean "most_frequent". */
  missing: MissingStrategy;
  unknownCategory: UnknownCategory;
  perColumn: Readonly<Record<string, ColumnOptions>>;
}

/** The defaults, today's numeric behaviour: no scaling, refuse missing values, one-hot categories. */
export const DEFAULT_PREPROCESS: Readonly<PreprocessOptions> = Object.freeze({
  numeric: 'none',
  categorical: 'onehot',
  missing: 'error',
  unknownCategory: 'error',
  perColumn: Object.freeze({}),
});

/** A fitted numeric or boolean column. */
export interface FittedNumeric {
  name: string;
  type: 'numeric' | 'boolean';
  missing: MissingStrategy;
  /** The value a missing cell gets (SimpleImputer's `statistics_`), when `missing` fills. */
  fill?: number;
  scaling: NumericScaling;
  /** standardize: StandardScaler's `mean_` and `scale_` (population std; 1 for a constant column). */
  mean?: number;
  std?: number;
  /** minmax: MinMaxScaler's `data_min_` and `data_max_` (a constant column maps to 0). */
  min?: number;
  max?: number;
}

/** A fitted categorical column. */
export interface FittedCategorical {
  name: string;
  type: 'categorical';
  missing: MissingStrategy;
  fill?: string;
  encoding: CategoricalEncoding;
  /** The training rows' categories in code-point order (OneHotEncoder's `categories_`). */
  categories: string[];
}

export type FittedColumn = FittedNumeric | FittedCategorical;

/** Everything needed to apply the preprocessing again; plain JSON. */
export interface FittedPreprocess {
  /** The input columns, in feature order. */
  columns: FittedColumn[];
  unknownCategory: UnknownCategory;
  /** Output column names, sklearn's get_feature_names_out: `age`, `species_setosa`, … */
  featureNames: string[];
  /** Training rows the statistics were fitted on (after "drop"). */
  fittedRows: number;
  /** Training rows left out by missing "drop". */
  droppedRows: number;
}

/** Why preprocessing refused the data. */
export type PreprocessErrorCode =
  | 'MISSING_VALUES'
  | 'UNKNOWN_CATEGORY'
  | 'MISSING_COLUMN'
  | 'WRONG_TYPE'
  | 'NO_TRAINING_VALUES'
  | 'BAD_OPTION';

/**
 * Data or options preprocessing cannot use. The message names the column (and row and value where
 * there is one) and the fix, so it can go to the user as a 400 as it is.
 */
export class PreprocessError extends Error {
  readonly code: PreprocessErrorCode;
  readonly column?: string;
  /** Row of the table (or index of the record) of the first offending value. */
  readonly row?: number;
  readonly value?: unknown;

  constructor(
    code: PreprocessErrorCode,
    message: string,
    where: { column?: string; row?: number; value?: unknown } = {},
  ) {
    super(message);
    this.name = 'PreprocessError';
    this.code = code;
    this.column = where.column;
    this.row = where.row;
    this.value = where.value;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * The in-memory dataset every trainer consumes: dense row-major float64 matrices, so a batch is a
 * contiguous copy of rows and nothing is re-parsed during training.
 */
export interface Dataset {
  name: string;
  /** rows × features, row-major. */
  x: Float64Array;
  /** rows × targets, row-major; class indices are stored as numbers for classification. */
  y: Float64Array;
  rows: number;
  features: number;
  targets: number;
  featureNames?: string[];
  targetNames?: string[];
  /** Number of classes when y holds class labels (built-in classification sets). */
  classes?: number;
}

/** The arrays and sizes of a dataset without its names: what a built-in generator returns. */
export type DatasetArrays = Pick<Dataset, 'x' | 'y' | 'rows' | 'features' | 'targets'>;

/** Why a dataset was refused: a bad value (`INVALID_DATASET`) or a limit (`TOO_LARGE`). */
export type DatasetErrorCode = 'INVALID_DATASET' | 'TOO_LARGE';

/**
 * A refused dataset. The message names the place (line and column for CSV, path for JSON) and, for a
 * limit, the limit and the value, so it can go to the user as it is.
 */
export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  /** 1-based physical line of a CSV file, when the problem has one. */
  readonly line?: number;
  /** Column name (CSV) or JSON path such as `x[3][1]`, when the problem has one. */
  readonly column?: string;
  /** JSON pointer of the problem in a JSON dataset (`/x/3/1`), for problem+json `errors[].path`. */
  readonly pointer?: string;

  constructor(code: DatasetErrorCode, message: string, where: { line?: number; column?: string; pointer?: string } = {}) {
    super(message);
    this.name = 'DatasetError';
    this.code = code;
    this.line = where.line;
    this.column = where.column;
    this.pointer = where.pointer;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Limits applied while parsing an uploaded dataset. Defaults mirror `src/contracts/limits.ts`. */
export interface DatasetLimits {
  /** Data rows (the header excluded). */
  maxRows: number;
  /** Columns (features + targets). */
  maxColumns: number;
  /** Bytes of the CSV text (UTF-8). */
  maxBytes: number;
}

/** Same numbers as `DEFAULT_LIMITS` in src/contracts/limits.ts (maxDatasetRows, maxFeatures + maxTargets, maxDatasetBytes); a test keeps them equal. */
export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = Object.freeze({
  maxRows: 1_000_000,
  maxColumns: 11_000,
  maxBytes: 64 * 1024 * 1024,
});

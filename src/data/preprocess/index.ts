/**
 * Preprocessing that travels with the model: typed columns in, fitted statistics (JSON) out,
 * applied the same way to training rows, validation / test rows, datasets and records.
 */
export {
  DEFAULT_PREPROCESS,
  PreprocessError,
  type CategoricalColumn,
  type CategoricalEncoding,
  type Column,
  type ColumnOptions,
  type ColumnType,
  type FittedCategorical,
  type FittedColumn,
  type FittedNumeric,
  type FittedPreprocess,
  type MissingStrategy,
  type NumericColumn,
  type NumericScaling,
  type PreprocessErrorCode,
  type PreprocessOptions,
  type UnknownCategory,
} from './types.js';
export { fitPreprocess, featureNamesOf } from './fit.js';
export { applyPreprocess, type PreprocessedRows } from './apply.js';
export { applyToRecords, recordsToColumns, type RawRecord } from './records.js';
export { encodeLabels, fitLabels } from './labels.js';

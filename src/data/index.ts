/** Datasets: built-ins, CSV/JSON parsing, seeded splits and batching. Imports only src/rng. */
export { DatasetError, DEFAULT_DATASET_LIMITS, type Dataset, type DatasetErrorCode, type DatasetLimits } from './types.js';
export {
  BUILTIN_NAMES,
  LINEAR_REGRESSION_TRUTH,
  SENSITIVITY_TRUTH,
  isBuiltinName,
  listBuiltins,
  loadBuiltin,
  type BuiltinInfo,
  type BuiltinName,
  type BuiltinOptions,
} from './builtins.js';
export { IRIS_CLASS_NAMES, IRIS_FEATURE_NAMES, IRIS_ROWS } from './iris.js';
export { parseCsv, readCsvRecords, type CsvOptions } from './csv.js';
export { parseJsonDataset, type JsonDatasetOptions } from './json.js';
export { selectRows, splitValidation, validationRowCount } from './split.js';
export { batchRanges, epochOrder, gatherBatch, gatherRows } from './batching.js';
export { datasetShape, labelSummary, type LabelSummary } from './describe.js';

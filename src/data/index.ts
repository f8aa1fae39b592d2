/** Datasets: built-ins, CSV/JSON parsing, seeded splits and batching. Imports only src/rng. */
export { DatasetError, DEFAULT_DATASET_LIMITS, type Dataset } from './types.js';
export {
  BUILTIN_NAMES,
  LINEAR_REGRESSION_TRUTH,
  SENSITIVITY_TRUTH,
  listBuiltins,
  loadBuiltin,
} from './builtins.js';
export { parseCsv, readCsvRecords } from './csv.js';
export { parseJsonDataset } from './json.js';
export { selectRows, splitValidation, testSplitRows, validationRowCount, validationSplitRows } from './split.js';
export { batchRanges, epochOrder, gatherBatch, gatherRows } from './batching.js';
export { datasetShape } from './describe.js';

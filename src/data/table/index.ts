/**
 * Typed tables: column types inferred from CSV, JSON records or Parquet rows, summaries, and the
 * bridge to the numeric {@link Dataset} the trainer consumes. See types.ts for the representation.
 */
export type { CategoricalColumn, Column, ColumnType, NumberColumn, Table, TableLimits, TypeOverrides } from './types.js';
export type { TableOptions } from './assemble.js';
export { CsvTableParser, parseCsvTable, type CsvTableOptions } from './csv-stream.js';
export { parseRecordsTable, parseRowsTable } from './records.js';
export { summarizeColumn, TOP_CATEGORIES, type ColumnSummary } from './describe.js';
export { datasetToTable, splitColumns, tableToDataset } from './dataset.js';

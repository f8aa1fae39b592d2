/** The messages of preprocessing errors, shared by fit, apply and record parsing. */
import type { FittedCategorical } from './types.js';

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The JSON path of a column's override: `perColumn.age` or `perColumn["monthly fee"]`. */
export function perColumnPath(column: string): string {
  return IDENT.test(column) ? `perColumn.${column}` : `perColumn[${JSON.stringify(column)}]`;
}

/** `column "age" has 12 missing values; set preprocess.missing or perColumn.age.missing`. */
export function missingValuesMessage(column: string, count: number): string {
  const what = count === 1 ? '1 missing value' : `${count} missing values`;
  return `column ${JSON.stringify(column)} has ${what}; set preprocess.missing or ${perColumnPath(column)}.missing`;
}

/** A category the training rows did not have, with the known ones (at most 20) and the fix. */
export function unknownCategoryMessage(col: FittedCategorical, value: string, row: number): string {
  const known = col.categories.slice(0, 20).map((c) => JSON.stringify(c)).join(', ');
  const more = col.categories.length > 20 ? `, … (${col.categories.length} in all)` : '';
  const ignored = col.encoding === 'onehot' ? 'all-zero one-hot columns' : 'the code -1';
  return (
    `column ${JSON.stringify(col.name)} has the unknown category ${JSON.stringify(value)} (row ${row}); ` +
    `the training rows had ${known}${more}; set preprocess.unknownCategory to "ignore" to encode unknown categories as ${ignored}`
  );
}

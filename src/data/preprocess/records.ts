/**
 * Records in: `[{ "age": 41, "plan": "pro", "autopay": true }, …]` (the body of /predict and
 * /evaluate) turned into typed columns for {@link applyPreprocess}, with an error naming the record,
 * the column and the value when one does not fit the column's type.
 */
import { applyPreprocess, type PreprocessedRows } from './apply.js';
import {
  PreprocessError,
  type CategoricalValuesColumn,
  type ColumnType,
  type FittedPreprocess,
  type NumericColumn,
} from './types.js';

/** A record's raw values: numbers, strings, booleans, or null for missing. */
export type RawRecord = Readonly<Record<string, unknown>>;

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

function wrongType(i: number, name: string, type: ColumnType, expected: string, value: unknown): PreprocessError {
  return new PreprocessError(
    'WRONG_TYPE',
    `records[${i}].${name} must be ${expected} (${JSON.stringify(name)} is ${type}); got ${JSON.stringify(value) ?? String(value)}`,
    { column: name, row: i, value },
  );
}

/**
 * One column per entry of `schema`, one row per record. Missing values are `null`; a record without
 * the key is refused (a typo would otherwise become a missing value). Numeric: finite numbers.
 * Boolean: true / false, 0 / 1, or the strings true / false / yes / no / 1 / 0 (any case).
 * Categorical: strings, and finite numbers as their decimal text (integer categories).
 */
export function recordsToColumns(
  schema: readonly { name: string; type: ColumnType }[],
  records: readonly RawRecord[],
): (NumericColumn | CategoricalValuesColumn)[] {
  return schema.map(({ name, type }) => {
    const get = (i: number): unknown => {
      const rec = records[i];
      if (!Object.prototype.hasOwnProperty.call(rec, name))
        throw new PreprocessError(
          'MISSING_COLUMN',
          `records[${i}] has no ${JSON.stringify(name)}; every record needs ${schema.map((s) => JSON.stringify(s.name)).join(', ')} (null for a missing value)`,
          { column: name, row: i },
        );
      return rec[name];
    };
    if (type === 'categorical') {
      const values = records.map((_, i) => {
        const v = get(i);
        if (v === null || typeof v === 'string') return v;
        if (typeof v === 'number' && Number.isFinite(v)) return String(v);
        throw wrongType(i, name, type, 'a string or null', v);
      });
      return { name, type, values };
    }
    const values = new Float64Array(records.length);
    records.forEach((_, i) => {
      const v = get(i);
      if (v === null) values[i] = NaN;
      else if (type === 'numeric') {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(i, name, type, 'a finite number or null', v);
        values[i] = v;
      } else if (typeof v === 'boolean') values[i] = v ? 1 : 0;
      else if (v === 0 || v === 1) values[i] = v;
      else if (typeof v === 'string' && TRUE.has(v.toLowerCase())) values[i] = 1;
      else if (typeof v === 'string' && FALSE.has(v.toLowerCase())) values[i] = 0;
      else throw wrongType(i, name, type, 'true, false, 0, 1, "yes", "no" or null', v);
    });
    return { name, type, values };
  });
}

/** {@link applyPreprocess} on records, each row checked against the fitted columns' types. */
export function applyToRecords(fitted: FittedPreprocess, records: readonly RawRecord[]): PreprocessedRows {
  return applyPreprocess(fitted, recordsToColumns(fitted.columns, records));
}

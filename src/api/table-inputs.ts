/**
 * Request rows → model inputs for /predict, /gradients and /evaluate: `inputs` as they are, or
 * `records` by column name through the job's fitted preprocessing (`result.preprocessing`), so
 * those routes apply exactly what training applied. Data problems become 400s whose `errors[].path`
 * points at the record and column (`/records/{row}/{column}`).
 */
import type { PreprocessingResult } from '../contracts/evaluation.js';
import type { Job } from '../contracts/job.js';
import { ApiError } from '../contracts/problem.js';
import { encodeLabels } from '../data/preprocess/labels.js';
import { applyPreprocess, type PreprocessedRows } from '../data/preprocess/apply.js';
import { recordsToColumns, type RawRecord } from '../data/preprocess/records.js';
import { PreprocessError, type Column } from '../data/preprocess/types.js';

/** The fitted preprocessing a job stored, or null (a job trained on inline arrays or a built-in). */
export function fittedOf(job: Job): PreprocessingResult | null {
  const p = (job.result as { preprocessing?: PreprocessingResult } | null)?.preprocessing;
  return p ?? null;
}

/** A JSON pointer token (RFC 6901: ~ and / escaped). */
function token(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A PreprocessError as a 400 pointing at `/{where}/{row}/{column}`. */
export function preprocessProblem(e: PreprocessError, where: 'records' | 'datasetId'): ApiError {
  const path =
    where === 'datasetId'
      ? '/datasetId'
      : `/records${e.row === undefined ? '' : `/${e.row}`}${e.column === undefined ? '' : `/${token(e.column)}`}`;
  return new ApiError('VALIDATION_ERROR', e.message, [{ path, message: e.message }]);
}

/** Rows of a preprocessed matrix as the nested arrays predict takes. */
export function nestedRows(p: { x: Float64Array; rows: number; width: number }): number[][] {
  return Array.from({ length: p.rows }, (_, i) => Array.from(p.x.subarray(i * p.width, (i + 1) * p.width)));
}

/**
 * Apply the job's fit to `columns`; every row must come out (a row training would have dropped
 * for a missing value cannot be predicted, so it is refused naming the row and column).
 */
export function applyFitted(
  fitted: PreprocessingResult,
  columns: readonly Column[],
  where: 'records' | 'datasetId',
): PreprocessedRows {
  let out: PreprocessedRows;
  try {
    out = applyPreprocess(fitted, columns);
  } catch (e) {
    if (e instanceof PreprocessError) throw preprocessProblem(e, where);
    throw e;
  }
  if (out.dropped.length > 0) {
    const row = out.dropped[0];
    const col = fitted.columns.find((c) => c.missing === 'drop')?.name ?? '';
    const message = `${where === 'records' ? `records[${row}]` : `row ${row} of the dataset`} has a missing value in a column whose missing values training dropped (${JSON.stringify(col)}); give a value`;
    throw new ApiError('VALIDATION_ERROR', message, [
      { path: where === 'records' ? `/records/${row}/${token(col)}` : '/datasetId', message },
    ]);
  }
  return out;
}

/** `records` through the job's fit; a 400 when the job has none. */
export function recordsToInputs(job: Job, records: readonly RawRecord[]): number[][] {
  const fitted = fittedOf(job);
  if (!fitted)
    throw new ApiError(
      'VALIDATION_ERROR',
      `job ${job.id} was trained on arrays, not an uploaded table: it has no columns to read records by; send "inputs"`,
      [{ path: '/records', message: 'the job has no fitted preprocessing; send inputs' }],
    );
  let columns: Column[];
  try {
    columns = recordsToColumns(fitted.columns, records);
  } catch (e) {
    if (e instanceof PreprocessError) throw preprocessProblem(e, 'records');
    throw e;
  }
  return nestedRows(applyFitted(fitted, columns, 'records'));
}

/** The model inputs of a /predict or /gradients body. */
export function bodyInputs(job: Job, body: { inputs: number[][] } | { records: RawRecord[] }): number[][] {
  return 'inputs' in body ? body.inputs : recordsToInputs(job, body.records);
}

/** The class names of a job's categorical target, or undefined. */
export function classNames(job: Job): string[] | undefined {
  return fittedOf(job)?.classes;
}

/**
 * True values given as JSON (`targets`, or the target column of records) → a flat float64 array:
 * one class index per row for classification (a class name is looked up in the job's classes),
 * `width` numbers per row for regression. `at(i)` names the value's JSON pointer.
 */
export function targetValues(
  values: readonly unknown[],
  opts: { classification: boolean; width: number; classes?: readonly string[]; at: (i: number) => string },
): Float64Array {
  const { classification, width, classes, at } = opts;
  const bad = (i: number, message: string) =>
    new ApiError('VALIDATION_ERROR', message, [{ path: at(i), message }]);
  if (classification) {
    return Float64Array.from(values, (v, i) => {
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && classes) {
        try {
          return encodeLabels('target', classes, [v])[0];
        } catch (e) {
          if (e instanceof PreprocessError)
            throw bad(
              i,
              `target ${i} is ${JSON.stringify(v)}, not one of the classes ${classes.map((c) => JSON.stringify(c)).join(', ')}`,
            );
          throw e;
        }
      }
      throw bad(
        i,
        `target ${i} must be a class index${classes ? ' or a class name' : ''}; got ${JSON.stringify(v)}`,
      );
    });
  }
  const out = new Float64Array(values.length * width);
  values.forEach((v, i) => {
    const row = typeof v === 'number' ? [v] : v;
    if (
      !Array.isArray(row) ||
      row.length !== width ||
      row.some((x) => typeof x !== 'number' || !Number.isFinite(x))
    )
      throw bad(
        i,
        `target ${i} must be ${width === 1 ? 'a finite number' : `${width} finite numbers`} (the model's outputs); got ${JSON.stringify(v)}`,
      );
    out.set(row as number[], i * width);
  });
  return out;
}

/**
 * CSV datasets: RFC 4180 text with a header row, every cell a number.
 *
 * Accepted: quoted fields (`"a ""b"""`, with commas and line breaks inside), CRLF, LF or CR line ends,
 * a UTF-8 byte-order mark, spaces around numbers, blank lines anywhere (ignored). Refused, with the line
 * and column named: a non-number, an empty cell, a row with the wrong field count, an unterminated quote,
 * duplicate or empty column names, and anything over the row, column or byte limits.
 */
import { DEFAULT_DATASET_LIMITS, DatasetError, type Dataset, type DatasetLimits } from './types.js';

export interface CsvOptions extends Partial<DatasetLimits> {
  /** Target column name(s). Default: the last column. */
  target?: string | readonly string[];
  /** Dataset name (default "csv"). */
  name?: string;
}

/** "1 row", "2 rows". */
function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** A strict decimal number: no hex, no "Infinity", no empty string (which Number() would take as 0). */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse one cell; throws naming the line and column. */
function cellNumber(raw: string, line: number, column: string): number {
  const s = raw.trim();
  if (s === '') throw new DatasetError('INVALID_DATASET', `line ${line}, column "${column}": empty value`, { line, column });
  if (!NUMBER.test(s)) {
    const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
    throw new DatasetError('INVALID_DATASET', `line ${line}, column "${column}": "${shown}" is not a number`, { line, column });
  }
  const v = Number(s);
  if (!Number.isFinite(v)) {
    throw new DatasetError('INVALID_DATASET', `line ${line}, column "${column}": ${s} is out of the float64 range`, { line, column });
  }
  return v;
}

/**
 * Split CSV text into records, calling `onRecord(fields, line)` for each non-blank one (line is the
 * 1-based physical line where the record starts). Returning false from `onRecord` stops early.
 */
export function readCsvRecords(text: string, onRecord: (fields: string[], line: number) => boolean | void): void {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < n) {
    const startLine = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let field: string;
      if (pos < n && text.charCodeAt(pos) === QUOTE) {
        quotedAny = true;
        const fieldLine = line;
        pos++;
        field = '';
        for (;;) {
          const q = text.indexOf('"', pos);
          if (q < 0) {
            throw new DatasetError('INVALID_DATASET', `line ${fieldLine}: a quoted field is never closed`, { line: fieldLine });
          }
          const chunk = text.slice(pos, q);
          field += chunk;
          for (let k = 0; k < chunk.length; k++) {
            const c = chunk.charCodeAt(k);
            if (c === LF || (c === CR && chunk.charCodeAt(k + 1) !== LF)) line++;
          }
          if (text.charCodeAt(q + 1) === QUOTE) {
            field += '"';
            pos = q + 2;
          } else {
            pos = q + 1;
            break;
          }
        }
        if (pos < n) {
          const c = text.charCodeAt(pos);
          if (c !== COMMA && c !== LF && c !== CR) {
            throw new DatasetError('INVALID_DATASET', `line ${line}: unexpected text after a closing quote (field ${fields.length + 1})`, {
              line,
            });
          }
        }
      } else {
        const start = pos;
        while (pos < n) {
          const c = text.charCodeAt(pos);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new DatasetError('INVALID_DATASET', `line ${line}: a quote inside an unquoted field (field ${fields.length + 1})`, {
              line,
            });
          }
          pos++;
        }
        field = text.slice(start, pos);
      }
      fields.push(field);
      if (pos >= n) break;
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      // End of record: CRLF, LF or a lone CR.
      pos += c === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    const blank = !quotedAny && fields.length === 1 && fields[0].trim() === '';
    if (!blank && onRecord(fields, startLine) === false) return;
  }
}

/**
 * Parse a CSV dataset with a header row. The target column(s) become `y` (default: the last column),
 * every other column a feature, in file order.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): Dataset {
  const limits: DatasetLimits = {
    maxRows: opts.maxRows ?? DEFAULT_DATASET_LIMITS.maxRows,
    maxColumns: opts.maxColumns ?? DEFAULT_DATASET_LIMITS.maxColumns,
    maxBytes: opts.maxBytes ?? DEFAULT_DATASET_LIMITS.maxBytes,
  };
  // Length in UTF-16 units bounds the UTF-8 size from below, so the exact count is only needed near the limit.
  if (text.length > limits.maxBytes / 3) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.maxBytes) {
      throw new DatasetError('TOO_LARGE', `the CSV has ${bytes} bytes; the limit is ${limits.maxBytes}`);
    }
  }

  let header: string[] | null = null;
  let featureCols: number[] = [];
  let targetCols: number[] = [];
  let rows = 0;
  let x = new Float64Array(0);
  let y = new Float64Array(0);

  readCsvRecords(text, (fields, line) => {
    if (header === null) {
      header = fields.map((f) => f.trim());
      if (header.length > limits.maxColumns) {
        throw new DatasetError('TOO_LARGE', `the CSV has ${header.length} columns; the limit is ${limits.maxColumns}`, { line });
      }
      const seen = new Set<string>();
      header.forEach((name, i) => {
        if (name === '') throw new DatasetError('INVALID_DATASET', `line ${line}: column ${i + 1} of the header has no name`, { line });
        if (seen.has(name)) throw new DatasetError('INVALID_DATASET', `line ${line}: column name "${name}" appears twice`, { line, column: name });
        seen.add(name);
      });
      const wanted = opts.target === undefined ? [header[header.length - 1]] : typeof opts.target === 'string' ? [opts.target] : [...opts.target];
      if (wanted.length === 0) throw new DatasetError('INVALID_DATASET', 'no target column given');
      targetCols = wanted.map((t) => {
        const i = header!.indexOf(t);
        if (i < 0) {
          const list = header!.length > 20 ? `${header!.slice(0, 20).join(', ')}, …` : header!.join(', ');
          throw new DatasetError('INVALID_DATASET', `target column "${t}" is not in the header (columns: ${list})`, { column: t });
        }
        return i;
      });
      if (new Set(targetCols).size !== targetCols.length) throw new DatasetError('INVALID_DATASET', 'a target column is named twice');
      featureCols = header.map((_, i) => i).filter((i) => !targetCols.includes(i));
      if (featureCols.length === 0) {
        throw new DatasetError('INVALID_DATASET', 'the CSV has no feature column besides the target');
      }
      x = new Float64Array(featureCols.length * 64);
      y = new Float64Array(targetCols.length * 64);
      return;
    }
    const h = header as string[];
    if (fields.length !== h.length) {
      throw new DatasetError('INVALID_DATASET', `line ${line} has ${countOf(fields.length, 'field')}; the header has ${h.length}`, { line });
    }
    if (rows >= limits.maxRows) {
      throw new DatasetError('TOO_LARGE', `the CSV has more than ${limits.maxRows} data rows; the limit is ${limits.maxRows}`, { line });
    }
    const f = featureCols.length;
    const t = targetCols.length;
    if ((rows + 1) * f > x.length) {
      const grow = (a: Float64Array, w: number) => {
        const b = new Float64Array(Math.max(64, rows * 2) * w);
        b.set(a);
        return b;
      };
      x = grow(x, f);
      y = grow(y, t);
    }
    for (let j = 0; j < f; j++) x[rows * f + j] = cellNumber(fields[featureCols[j]], line, h[featureCols[j]]);
    for (let j = 0; j < t; j++) y[rows * t + j] = cellNumber(fields[targetCols[j]], line, h[targetCols[j]]);
    rows++;
  });

  if (header === null) throw new DatasetError('INVALID_DATASET', 'the CSV is empty: it needs a header row and data rows');
  if (rows === 0) throw new DatasetError('INVALID_DATASET', 'the CSV has a header but no data rows');
  const h = header as string[];
  return {
    name: opts.name ?? 'csv',
    x: x.slice(0, rows * featureCols.length),
    y: y.slice(0, rows * targetCols.length),
    rows,
    features: featureCols.length,
    targets: targetCols.length,
    featureNames: featureCols.map((i) => h[i]),
    targetNames: targetCols.map((i) => h[i]),
  };
}

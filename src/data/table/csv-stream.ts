/**
 * A push parser for CSV tables: feed text as it arrives ({@link CsvTableParser.push}), then
 * {@link CsvTableParser.end} for the {@link Table}. Only the record being read is buffered; cells go
 * straight into typed column builders, so a 1,000,000-row upload is never held as text.
 *
 * RFC 4180: a header row, quoted fields (`"a ""b"""`, with commas and line breaks inside), CRLF, LF
 * or lone CR line ends, a UTF-8 byte-order mark, blank lines ignored. Refused, naming the line and
 * column: a ragged row, an unterminated quote, a quote inside an unquoted field, text after a closing
 * quote, a NUL character, a cell over `maxCellLength`, a header name over `maxNameLength`, empty or
 * duplicate names, and more rows or columns than the limits.
 */
import { DatasetError } from '../types.js';
import { assembleTable, columnBuilders, tableLimits, type TableOptions } from './assemble.js';
import type { ColumnBuilder } from './infer.js';
import type { Table, TableLimits } from './types.js';

/** Options of a CSV table: {@link TableOptions} and the header-name limit. */
export interface CsvTableOptions extends TableOptions {
  /** Characters of a column name (default 256, the service's maxStringLength). */
  maxNameLength?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

const enum State {
  /** At the start of a field. */
  Start,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: `""` or the closing quote. */
  QuoteSeen,
}

/** Streaming CSV → typed table. One instance per upload. */
export class CsvTableParser {
  private readonly limits: TableLimits;
  private readonly nameLimit: number;
  private state = State.Start;
  private field = '';
  private fields: string[] = [];
  private quotedAny = false;
  /** A CR ended the last record: a LF right after it belongs to it. */
  private afterCr = false;
  private first = true;
  /** 1-based physical line being read. */
  private lineNo = 1;
  private recordLine = 1;
  private fieldLine = 1;
  private builders: ColumnBuilder[] | null = null;
  private rows = 0;
  /** Physical line of each data row, for messages about a column found only at the end. */
  private rowLines = new Int32Array(1024);

  constructor(private readonly opts: CsvTableOptions = {}) {
    this.limits = tableLimits(opts);
    this.nameLimit = opts.maxNameLength ?? 256;
  }

  /** The line being read (1-based), for messages of the caller (a bad byte). */
  get line(): number {
    return this.lineNo;
  }

  private fail(message: string, extra: { column?: string; pointer?: string } = {}): never {
    throw new DatasetError('INVALID_DATASET', message, { line: this.lineNo, ...extra });
  }

  private columnAt(i: number): string {
    return this.builders && i < this.builders.length ? ` (column ${JSON.stringify(this.builders[i].name)})` : '';
  }

  private append(s: string): void {
    if (this.field.length + s.length > this.limits.maxCellLength) {
      const i = this.fields.length;
      this.fail(
        `line ${this.fieldLine}: cell ${i + 1}${this.columnAt(i)} has more than ${this.limits.maxCellLength} characters; the limit is ${this.limits.maxCellLength}`,
      );
    }
    this.field += s;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    // Bound the record being read: the row-shape check itself comes at its end, with the counts.
    if (this.fields.length > this.limits.maxColumns + 1) {
      throw new DatasetError('TOO_LARGE', `line ${this.recordLine} has more than ${this.limits.maxColumns} cells; the limit is ${this.limits.maxColumns} columns`, {
        line: this.recordLine,
      });
    }
  }

  private endRecord(): void {
    const fields = this.fields;
    const line = this.recordLine;
    this.fields = [];
    const blank = !this.quotedAny && fields.length === 1 && fields[0].trim() === '';
    this.quotedAny = false;
    if (blank) return;
    if (this.builders === null) {
      this.builders = columnBuilders(
        fields.map((f) => f.trim()),
        this.opts,
        this.nameLimit,
        'the CSV',
      );
      return;
    }
    const b = this.builders;
    if (fields.length !== b.length) {
      throw new DatasetError('INVALID_DATASET', `line ${line} has ${fields.length} cell${fields.length === 1 ? '' : 's'}; the header has ${b.length}`, {
        line,
        pointer: `/line/${line}`,
      });
    }
    if (this.rows >= this.limits.maxRows) {
      throw new DatasetError('TOO_LARGE', `the CSV has more than ${this.limits.maxRows} data rows; the limit is ${this.limits.maxRows}`, { line });
    }
    if (this.rows >= this.rowLines.length) {
      const g = new Int32Array(this.rowLines.length * 2);
      g.set(this.rowLines);
      this.rowLines = g;
    }
    this.rowLines[this.rows++] = line;
    for (let j = 0; j < b.length; j++) b[j].addText(fields[j]);
  }

  /** Count line ends inside a quoted field's text (CRLF once, lone CR once). */
  private countLines(text: string, from: number, to: number): void {
    for (let k = text.indexOf('\n', from); k >= 0 && k < to; k = text.indexOf('\n', k + 1)) this.lineNo++;
    for (let k = text.indexOf('\r', from); k >= 0 && k < to; k = text.indexOf('\r', k + 1)) {
      if (text.charCodeAt(k + 1) !== LF) this.lineNo++;
    }
  }

  /** Feed the next piece of text (any split: inside a field, a quote pair or a CRLF). */
  push(text: string): void {
    let i = 0;
    const n = text.length;
    if (this.first && n > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const nul = text.indexOf('\u0000', i);
    if (nul >= 0) {
      let line = this.lineNo;
      for (let k = text.indexOf('\n', i); k >= 0 && k < nul; k = text.indexOf('\n', k + 1)) line++;
      throw new DatasetError('INVALID_DATASET', `line ${line}: the CSV contains a NUL character; is it a binary file?`, { line });
    }
    while (i < n) {
      switch (this.state) {
        case State.Start: {
          const c = text.charCodeAt(i);
          if (this.afterCr) {
            this.afterCr = false;
            if (c === LF) {
              i++;
              continue;
            }
          }
          if (this.fields.length === 0) this.recordLine = this.lineNo;
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.quotedAny = true;
            this.fieldLine = this.lineNo;
            i++;
            continue;
          }
          this.state = State.Unquoted;
          this.fieldLine = this.lineNo;
          continue;
        }
        case State.Unquoted: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
            j++;
          }
          if (j > i) this.append(text.slice(i, j));
          if (j === n) {
            i = n;
            break;
          }
          if (c === QUOTE) {
            this.fail(`line ${this.lineNo}: a quote inside an unquoted field (cell ${this.fields.length + 1}${this.columnAt(this.fields.length)}); quote the whole field and double the quote`);
          }
          i = j + 1;
          this.delimiter(c);
          break;
        }
        case State.Quoted: {
          const q = text.indexOf('"', i);
          const end = q < 0 ? n : q;
          if (end > i) {
            this.append(text.slice(i, end));
            this.countLines(text, i, end);
          }
          if (q < 0) {
            i = n;
            break;
          }
          this.state = State.QuoteSeen;
          i = q + 1;
          break;
        }
        case State.QuoteSeen: {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.append('"');
            this.state = State.Quoted;
            i++;
            break;
          }
          if (c !== COMMA && c !== LF && c !== CR) {
            this.fail(`line ${this.lineNo}: unexpected text after a closing quote (cell ${this.fields.length + 1}${this.columnAt(this.fields.length)})`);
          }
          i++;
          this.delimiter(c);
          break;
        }
      }
    }
  }

  /** A comma or a line end closes the field (and the record). */
  private delimiter(c: number): void {
    this.endField();
    this.state = State.Start;
    if (c === COMMA) return;
    this.lineNo++;
    if (c === CR) this.afterCr = true;
    this.endRecord();
  }

  /** No more text: the table, or a DatasetError naming the problem. */
  end(): Table {
    if (this.state === State.Quoted) {
      throw new DatasetError('INVALID_DATASET', `line ${this.fieldLine}: a quoted field is never closed`, { line: this.fieldLine });
    }
    if (this.state !== State.Start || this.fields.length > 0) {
      this.endField();
      this.endRecord();
    }
    this.state = State.Start;
    if (this.builders === null) throw new DatasetError('INVALID_DATASET', 'the CSV is empty: it needs a header row and data rows');
    const lines = this.rowLines;
    return assembleTable(this.builders, this.rows, (r) => `line ${lines[r]}`, { ...this.opts, name: this.opts.name ?? 'csv' }, 'the CSV');
  }
}

/** Parse a whole CSV text as a table (tests, small bodies). */
export function parseCsvTable(text: string, opts: CsvTableOptions = {}): Table {
  const p = new CsvTableParser(opts);
  p.push(text);
  return p.end();
}

/**
 * Column type inference, one cell at a time, so a streaming parser never keeps the cells.
 *
 * Rules (docs: api-v1.1.md "Tables"):
 * - missing: an empty cell, `NA`, `NaN`, `null` (any case, spaces around ignored) and JSON null;
 * - numeric: every present value a strict decimal number (no hex, no `Infinity`);
 * - boolean: every present value `true`/`false`/`yes`/`no` (any case) or a JSON boolean; `0`/`1` only
 *   when the column is declared boolean (a 0/1 column is otherwise numeric, as it was before types);
 * - categorical: every present value a string that is not a number; integers only when declared;
 * - a column mixing numbers and other strings is refused, naming the first string and the fix
 *   (`?types=col:categorical`), because it is far more often a typo in a numeric column than a
 *   category; an all-missing column is refused too (no type can be inferred, nothing to learn).
 */
import { DatasetError } from '../types.js';
import type { Column, ColumnType } from './types.js';

/** A strict decimal number: no hex, no "Infinity", no empty string (which Number() would take as 0). */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const MISSING = new Set(['', 'na', 'nan', 'null']);
const TRUE = new Set(['true', 'yes']);
const FALSE = new Set(['false', 'no']);

/** True for the spellings of a missing value (already trimmed). */
function isMissingText(s: string): boolean {
  if (s.length === 0) return true;
  // Every spelling but the empty one starts with n or N: most cells are decided by one compare.
  const c = s.charCodeAt(0) | 0x20;
  return c === 0x6e && s.length <= 4 && MISSING.has(s.toLowerCase());
}

/** Trim only when an edge is white space (most cells have none; trim() would copy-check each). */
function trimmed(raw: string): string {
  const n = raw.length;
  if (n === 0) return raw;
  return raw.charCodeAt(0) <= 32 || raw.charCodeAt(n - 1) <= 32 ? raw.trim() : raw;
}

/** 1, 0 or -1 (not a boolean word) for a trimmed cell. */
function booleanWord(s: string): number {
  if (s.length > 5) return -1;
  const l = s.toLowerCase();
  return TRUE.has(l) ? 1 : FALSE.has(l) ? 0 : -1;
}

/** A value shown in a message: quoted, cut at 40 characters. */
export function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** Where a cell is, for messages: "line 17" (CSV) or "records[16]" (JSON), computed only on error. */
export type Place = (row: number) => string;

function grow<T extends Float64Array | Int32Array>(a: T, need: number, fill: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2, 1024));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/**
 * Collects one column's cells and decides its type at {@link ColumnBuilder.finish}. Numbers go to a
 * float64 array as they come; strings are dictionary-coded (the dictionary holds distinct strings
 * only), so memory is 8–12 bytes a row whatever the cells' text.
 */
export class ColumnBuilder {
  private nums = new Float64Array(0);
  private codes: Int32Array | null = null;
  private readonly dict = new Map<string, number>();
  private rows = 0;
  private missing = 0;
  private numbers = 0;
  private strings = 0;
  private firstNumber = -1;
  private firstString = -1;
  private firstStringValue = '';
  private badNumber = -1;
  private badNumberValue = '';

  constructor(
    readonly name: string,
    /** The declared type, if any (`?types=`). */
    readonly declared?: ColumnType,
  ) {}

  private code(s: string): number {
    let c = this.dict.get(s);
    if (c === undefined) {
      c = this.dict.size;
      this.dict.set(s, c);
    }
    return c;
  }

  private addString(r: number, s: string): void {
    this.codes = grow(this.codes ?? new Int32Array(0), r + 1, -1);
    this.codes[r] = this.code(s);
    this.nums[r] = NaN;
    if (this.firstString < 0) {
      this.firstString = r;
      this.firstStringValue = s;
    }
    this.strings++;
  }

  private addMissing(r: number): void {
    this.nums[r] = NaN;
    if (this.codes) this.codes[r] = -1;
    this.missing++;
  }

  private addNumber(r: number, v: number, text: string): void {
    if (!Number.isFinite(v) && this.badNumber < 0) {
      this.badNumber = r;
      this.badNumberValue = text;
    }
    this.nums[r] = v;
    if (this.codes) this.codes[r] = -1;
    if (this.firstNumber < 0) this.firstNumber = r;
    this.numbers++;
  }

  /** Add the next row's cell as CSV text. */
  addText(raw: string): void {
    const r = this.rows++;
    if (r >= this.nums.length) this.nums = grow(this.nums, r + 1, 0);
    const s = trimmed(raw);
    if (isMissingText(s)) return this.addMissing(r);
    if (this.declared === 'categorical') return this.addString(r, s);
    if (NUMBER.test(s)) return this.addNumber(r, Number(s), s);
    this.addString(r, s);
  }

  /** Add the next row's cell as a JSON (or Parquet) value: number, string, boolean, null/undefined. */
  addValue(v: unknown): void {
    if (typeof v === 'string') return this.addText(v);
    const r = this.rows++;
    this.nums = grow(this.nums, r + 1, 0);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return this.addMissing(r);
    if (typeof v === 'bigint') v = Number(v);
    if (typeof v === 'number') {
      if (this.declared === 'categorical') return this.addString(r, String(v));
      return this.addNumber(r, v, String(v));
    }
    if (typeof v === 'boolean') return this.addString(r, v ? 'true' : 'false');
    if (v instanceof Date) return this.addString(r, Number.isNaN(v.getTime()) ? String(v) : v.toISOString());
    // Nested values (objects, arrays) have no column type.
    this.addString(r, `\u0000${typeof v}`);
  }

  /** Rows added so far. */
  get length(): number {
    return this.rows;
  }

  /**
   * The typed column, or a DatasetError naming the column, the first offending value and its place.
   * `place` turns a row index into "line 17" or "records[16]".
   */
  finish(place: Place): Column {
    const n = this.rows;
    const col = JSON.stringify(this.name);
    const firstStr = () =>
      this.firstStringValue.startsWith('\u0000')
        ? `a nested ${this.firstStringValue.slice(1)}`
        : shown(this.firstStringValue);
    if (this.strings > 0 && this.firstStringValue.startsWith('\u0000')) {
      throw new DatasetError('INVALID_DATASET', `${place(this.firstString)}, column ${col}: ${firstStr()} is not a table value (use numbers, strings, booleans or null)`, {
        column: this.name,
      });
    }
    if (this.badNumber >= 0) {
      throw new DatasetError('INVALID_DATASET', `${place(this.badNumber)}, column ${col}: ${this.badNumberValue} is out of the float64 range`, {
        column: this.name,
      });
    }
    if (this.numbers + this.strings === 0) {
      throw new DatasetError('INVALID_DATASET', `column ${col} has no values: all ${n} are missing; drop the column or fill it`, {
        column: this.name,
      });
    }
    const declared = this.declared;
    if (declared === 'categorical') return this.categorical();
    if (declared === 'boolean' || (declared === undefined && this.numbers === 0 && this.allBooleanWords())) {
      return this.boolean(place);
    }
    if (declared === 'numeric' && this.strings > 0) {
      throw new DatasetError('INVALID_DATASET', `${place(this.firstString)}, column ${col}: ${firstStr()} is not a number (the column is declared numeric)`, {
        column: this.name,
      });
    }
    if (declared === undefined && this.strings > 0) {
      if (this.numbers === 0) return this.categorical();
      throw new DatasetError(
        'INVALID_DATASET',
        `${place(this.firstString)}, column ${col}: ${firstStr()} is not a number, but ${place(this.firstNumber)} holds a number; ` +
          `fix the value, or declare ?types=${this.name}:categorical to read every value as a category`,
        { column: this.name },
      );
    }
    // A view, not a copy: copying every column at the end would double the peak of a big upload.
    return { name: this.name, type: 'numeric', values: this.nums.subarray(0, n), missing: this.missing };
  }

  private allBooleanWords(): boolean {
    for (const s of this.dict.keys()) if (booleanWord(s) < 0) return false;
    return true;
  }

  private boolean(place: Place): Column {
    const n = this.rows;
    const values = this.nums.subarray(0, n); // rewritten in place: the builder is done with it
    const word = new Map<number, number>();
    for (const [s, c] of this.dict) word.set(c, booleanWord(s));
    for (let r = 0; r < n; r++) {
      const c = this.codes && r < this.codes.length ? this.codes[r] : -1;
      if (c >= 0) {
        const b = word.get(c)!;
        if (b < 0) {
          const s = [...this.dict].find(([, k]) => k === c)![0];
          throw new DatasetError('INVALID_DATASET', `${place(r)}, column ${JSON.stringify(this.name)}: ${shown(s)} is not a boolean (true/false, yes/no, 0/1)`, {
            column: this.name,
          });
        }
        values[r] = b;
      } else if (!Number.isNaN(values[r]) && values[r] !== 0 && values[r] !== 1) {
        throw new DatasetError('INVALID_DATASET', `${place(r)}, column ${JSON.stringify(this.name)}: ${values[r]} is not a boolean (true/false, yes/no, 0/1)`, {
          column: this.name,
        });
      }
    }
    return { name: this.name, type: 'boolean', values, missing: this.missing };
  }

  private categorical(): Column {
    const n = this.rows;
    let codes: Int32Array;
    if (this.codes && this.codes.length >= n) codes = this.codes.subarray(0, n); // rows past the last string are -1 already
    else {
      codes = new Int32Array(n).fill(-1);
      if (this.codes) codes.set(this.codes);
    }
    return { name: this.name, type: 'categorical', codes, categories: [...this.dict.keys()], missing: this.missing };
  }
}

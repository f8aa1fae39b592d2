import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError, parseCsv, readCsvRecords } from '../../../src/data/index.js';

function records(text: string): Array<[number, string[]]> {
  const out: Array<[number, string[]]> = [];
  readCsvRecords(text, (f, line) => {
    out.push([line, f]);
  });
  return out;
}

function refusal(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
  throw new Error('expected a DatasetError');
}

describe('RFC 4180 records', () => {
  it('splits on commas and any line ending, with physical line numbers', () => {
    expect(records('a,b\r\n1,2\n3,4\r5,6')).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
      [4, ['5', '6']],
    ]);
  });

  it('handles quotes, doubled quotes, commas and line breaks inside quotes', () => {
    expect(records('"a,1","say ""hi""","two\r\nlines"\n"",x\n')).toEqual([
      [1, ['a,1', 'say "hi"', 'two\r\nlines']],
      [3, ['', 'x']],
    ]);
  });

  it('ignores blank lines, a byte-order mark and a missing final newline', () => {
    expect(records('\ufeffa\n\n\r\n  \n1\n\n')).toEqual([
      [1, ['a']],
      [5, ['1']],
    ]);
  });

  it('keeps empty fields', () => {
    expect(records(',\n')).toEqual([[1, ['', '']]]);
  });

  it('refuses an unterminated quote and text after a closing quote', () => {
    expect(refusal(() => records('a\n"open\n\n')).message).toBe('line 2: a quoted field is never closed');
    expect(refusal(() => records('"a"b,c')).message).toBe('line 1: unexpected text after a closing quote (field 1)');
    expect(refusal(() => records('a,b"c')).message).toBe('line 1: a quote inside an unquoted field (field 2)');
  });
});

describe('parseCsv', () => {
  it('takes the target column by name, the others as features in order', () => {
    const ds = parseCsv('x1,label,x2\n1,0,2\n3,1,4\n', { target: 'label', name: 'up' });
    expect(ds).toEqual({
      name: 'up',
      x: new Float64Array([1, 2, 3, 4]),
      y: new Float64Array([0, 1]),
      rows: 2,
      features: 2,
      targets: 1,
      featureNames: ['x1', 'x2'],
      targetNames: ['label'],
    });
  });

  it('defaults to the last column and takes several targets', () => {
    expect(parseCsv('a,b,c\n1,2,3\n').targetNames).toEqual(['c']);
    const ds = parseCsv('a,b,c\n1,2,3\n4,5,6\n', { target: ['c', 'a'] });
    expect(Array.from(ds.y)).toEqual([3, 1, 6, 4]);
    expect(Array.from(ds.x)).toEqual([2, 5]);
    expect(ds.targets).toBe(2);
  });

  it('reads CRLF files with quoted headers, spaces and number forms', () => {
    const ds = parseCsv('"width, cm","y"\r\n 1.5 ,-2\r\n\r\n.5,+3e2\r\n1.,-0.25E-1\r\n', { target: 'y' });
    expect(ds.featureNames).toEqual(['width, cm']);
    expect(Array.from(ds.x)).toEqual([1.5, 0.5, 1]);
    expect(Array.from(ds.y)).toEqual([-2, 300, -0.025]);
  });

  it('grows past its initial buffer', () => {
    const lines = ['a,b', ...Array.from({ length: 1000 }, (_, i) => `${i},${2 * i}`)];
    const ds = parseCsv(lines.join('\n'));
    expect(ds.rows).toBe(1000);
    expect(ds.x[999]).toBe(999);
    expect(ds.y[999]).toBe(1998);
    expect(ds.x.length).toBe(1000);
  });

  it.each([
    ['a,b\n1,x\n', 'line 2, column "b": "x" is not a number', 2, 'b'],
    ['a,b\n1,2\n\n3,\n', 'line 4, column "b": empty value', 4, 'b'],
    ['a,b\n0x10,1\n', 'line 2, column "a": "0x10" is not a number', 2, 'a'],
    ['a,b\nInfinity,1\n', 'line 2, column "a": "Infinity" is not a number', 2, 'a'],
    ['a,b\nNaN,1\n', 'line 2, column "a": "NaN" is not a number', 2, 'a'],
    ['a,b\n1e999,1\n', 'line 2, column "a": 1e999 is out of the float64 range', 2, 'a'],
    ['"a\nb",c\n1,2\n3,z\n', 'line 4, column "c": "z" is not a number', 4, 'c'],
  ])('names the line and column of a bad cell: %j', (text, message, line, column) => {
    const e = refusal(() => parseCsv(text));
    expect(e.code).toBe('INVALID_DATASET');
    expect(e.message).toBe(message);
    expect(e.line).toBe(line);
    expect(e.column).toBe(column);
  });

  it.each([
    ['a,b\n1,2,3\n', {}, 'line 2 has 3 fields; the header has 2'],
    ['a,a\n1,2\n', {}, 'line 1: column name "a" appears twice'],
    ['a,,c\n1,2,3\n', {}, 'line 1: column 2 of the header has no name'],
    ['a,b\n1,2\n', { target: 'z' }, 'target column "z" is not in the header (columns: a, b)'],
    ['a\n1\n', {}, 'the CSV has no feature column besides the target'],
    ['', {}, 'the CSV is empty: it needs a header row and data rows'],
    ['\n\n', {}, 'the CSV is empty: it needs a header row and data rows'],
    ['a,b\n', {}, 'the CSV has a header but no data rows'],
  ])('refuses malformed files: %j', (text, opts, message) => {
    const e = refusal(() => parseCsv(text, opts));
    expect(e.code).toBe('INVALID_DATASET');
    expect(e.message).toBe(message);
  });

  it('enforces the row, column and byte limits, naming them', () => {
    const rows = refusal(() => parseCsv('a,b\n1,2\n3,4\n5,6\n', { maxRows: 2 }));
    expect([rows.code, rows.message, rows.line]).toEqual(['TOO_LARGE', 'the CSV has more than 2 data rows; the limit is 2', 4]);
    const cols = refusal(() => parseCsv('a,b,c\n1,2,3\n', { maxColumns: 2 }));
    expect([cols.code, cols.message]).toEqual(['TOO_LARGE', 'the CSV has 3 columns; the limit is 2']);
    const bytes = refusal(() => parseCsv('a,b\n1,2\n', { maxBytes: 5 }));
    expect([bytes.code, bytes.message]).toEqual(['TOO_LARGE', 'the CSV has 8 bytes; the limit is 5']);
    // Multi-byte characters count as their UTF-8 size.
    expect(refusal(() => parseCsv('é,b\n1,2\n', { maxBytes: 8 })).message).toBe('the CSV has 9 bytes; the limit is 8');
    expect(parseCsv('a,b\n1,2\n', { maxBytes: 8, maxRows: 1, maxColumns: 2 }).rows).toBe(1);
  });
});

describe('parseCsv round trip (property)', () => {
  it('reads back any numeric table written with random quoting, line endings and blank lines', () => {
    const num = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((cols) =>
          fc.tuple(
            fc.constant(cols),
            fc.array(fc.array(num, { minLength: cols + 1, maxLength: cols + 1 }), { minLength: 1, maxLength: 20 }),
            fc.constantFrom('\n', '\r\n', '\r'),
            fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
          ),
        ),
        ([cols, table, eol, coin]) => {
          let k = 0;
          const flip = () => coin[k++ % coin.length];
          const cell = (s: string) => (flip() ? `"${s}"` : flip() ? ` ${s} ` : s);
          // Feature names hold a comma and quotes, so they are always quoted (quotes doubled).
          const names = Array.from({ length: cols }, (_, j) => `"f ${j}, ""q"""`);
          const head = [...names, cell('y')].join(',');
          const lines = [head];
          for (const r of table) {
            lines.push(r.map((v) => cell(String(v))).join(','));
            if (flip()) lines.push('');
          }
          const ds = parseCsv(lines.join(eol) + (flip() ? eol : ''), { target: 'y' });
          expect(ds.rows).toBe(table.length);
          expect(ds.featureNames).toEqual(Array.from({ length: cols }, (_, j) => `f ${j}, "q"`));
          table.forEach((r, i) => {
            for (let j = 0; j < cols; j++) expect(ds.x[i * cols + j]).toBe(r[j] === 0 ? 0 : r[j]);
            expect(ds.y[i]).toBe(r[cols] === 0 ? 0 : r[cols]);
          });
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

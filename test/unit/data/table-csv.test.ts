/**
 * Typed tables from CSV and records: inference (numeric, categorical, boolean, missing), declared
 * types, the refusals (each naming line, column and value), and the streaming parser giving the
 * same table however the text is cut into chunks.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../../../src/data/index.js';
import {
  CsvTableParser,
  datasetToTable,
  parseCsvTable,
  parseRecordsTable,
  parseRowsTable,
  splitColumns,
  summarizeColumn,
  tableToDataset,
  TOP_CATEGORIES,
  type CategoricalColumn,
  type ColumnType,
  type CsvTableOptions,
  type Table,
  type TableLimits,
  type TypeOverrides,
} from '../../../src/data/table/index.js';
import { parseCsv } from '../../../src/data/csv.js';
import { applyPreprocess } from '../../../src/data/preprocess/apply.js';
import { fitPreprocess } from '../../../src/data/preprocess/fit.js';

function refused(f: () => unknown, ...parts: string[]): DatasetError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    for (const p of parts) expect((err as Error).message).toContain(p);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

const types = (t: Table): Record<string, ColumnType> => Object.fromEntries(t.columns.map((c) => [c.name, c.type]));

describe('inference', () => {
  test('numeric, categorical, boolean and missing values, with quotes, CRLF and a BOM', () => {
    const t = parseCsvTable('\ufeffage,species,member,score\r\n31,setosa,yes,1.5\r\nNA,"versi,""color""",No,\r\n 40 ,setosa,,2.5e1\r\nnull,virginica,TRUE,NaN\r\n');
    expect(types(t)).toEqual({ age: 'numeric', species: 'categorical', member: 'boolean', score: 'numeric' });
    expect(t.rows).toBe(4);
    expect(t.target).toEqual(['score']);
    const [age, species, member, score] = t.columns;
    expect(age.type === 'numeric' && Array.from(age.values)).toEqual([31, NaN, 40, NaN]);
    expect(age.missing).toBe(2);
    const sp = species as CategoricalColumn;
    expect(sp.categories).toEqual(['setosa', 'versi,"color"', 'virginica']);
    expect(Array.from(sp.codes)).toEqual([0, 1, 0, 2]);
    expect(member.type === 'boolean' && Array.from(member.values)).toEqual([1, 0, NaN, 1]);
    expect(score.missing).toBe(2);
  });

  test('0/1 is numeric unless declared boolean; integers are numeric unless declared categorical', () => {
    const csv = 'flag,code,y\n0,10,1\n1,20,2\n1,10,3\n';
    expect(types(parseCsvTable(csv))).toEqual({ flag: 'numeric', code: 'numeric', y: 'numeric' });
    const t = parseCsvTable(csv, { types: { flag: 'boolean', code: 'categorical' } });
    expect(types(t)).toEqual({ flag: 'boolean', code: 'categorical', y: 'numeric' });
    expect((t.columns[1] as CategoricalColumn).categories).toEqual(['10', '20']);
  });

  test('declared types that cannot hold: a word in a numeric column, 2 in a boolean one', () => {
    refused(() => parseCsvTable('a,y\n1,1\nx,2\n', { types: { a: 'numeric' } }), 'line 3', '"a"', '"x"', 'declared numeric');
    refused(() => parseCsvTable('a,y\n1,1\n2,2\n', { types: { a: 'boolean' } }), 'line 3', '"a"', '2 is not a boolean');
    refused(() => parseCsvTable('a,y\nyes,1\nmaybe,2\n', { types: { a: 'boolean' } }), 'line 3', '"maybe" is not a boolean');
    refused(() => parseCsvTable('a,y\n1,2\n', { types: { nope: 'numeric' } }), 'types names column "nope"', 'columns: a, y');
  });

  test('a stray string in a numeric column is refused with the fix; an all-missing column too', () => {
    const e = refused(() => parseCsvTable('a,b,y\n1,2,0\n3,oops,1\n'), 'line 3', 'column "b"', '"oops" is not a number', 'line 2 holds a number', '?types=b:categorical');
    expect(e.column).toBe('b');
    refused(() => parseCsvTable('a,b,y\n1,,0\n2,NA,1\n'), 'column "b" has no values: all 2 are missing');
    refused(() => parseCsvTable('a,y\n1,1e999\n'), 'line 2', '1e999 is out of the float64 range');
  });

  test('summaries: population std, categories by count (top 50), share of true', () => {
    const t = parseCsvTable('x,c,b,y\n1,a,yes,0\n2,b,no,0\n3,b,yes,0\n4,,yes,0\n');
    const [x, c, b] = t.columns.map(summarizeColumn);
    expect(x).toEqual({ name: 'x', type: 'numeric', missing: 0, mean: 2.5, std: Math.sqrt(1.25), min: 1, max: 4 });
    expect(c).toEqual({ name: 'c', type: 'categorical', missing: 1, distinct: 2, categories: [{ value: 'b', count: 2 }, { value: 'a', count: 1 }] });
    expect(b).toMatchObject({ type: 'boolean', mean: 0.75, min: 0, max: 1 });
    const many = 'k,y\n' + Array.from({ length: 120 }, (_, i) => `v${i % 60},${i}`).join('\n');
    expect(summarizeColumn(parseCsvTable(many).columns[0]).categories).toHaveLength(TOP_CATEGORIES);
  });
});

describe('CSV shape and limits', () => {
  const limits: Partial<TableLimits> = { maxRows: 3, maxColumns: 4, maxCellLength: 10 };
  test.each<[string, string, string[], CsvTableOptions?]>([
    ['ragged row', 'a,b,c,d\n1,2,3,4\n1,2,3,4,5\n', ['line 3 has 5 cells; the header has 4']],
    ['short row', 'a,b\n1\n', ['line 2 has 1 cell; the header has 2']],
    ['unterminated quote', 'a,b\n1,"2\n3,4\n', ['line 2: a quoted field is never closed']],
    ['quote in a bare field', 'a,b\n1,2"\n', ['line 2: a quote inside an unquoted field', 'column "b"']],
    ['text after a quote', 'a,b\n"1"x,2\n', ['unexpected text after a closing quote']],
    ['NUL', 'a,b\n1,\u00002\n', ['line 2', 'NUL']],
    ['duplicate name', 'a,a\n1,2\n', ['column name "a" appears twice']],
    ['empty name', 'a,,b\n1,2,3\n', ['column 2 of the header has no name']],
    ['long name', 'abcdefghijk,b\n1,2\n', ["column 1's name has 11 characters; the limit is 5"], { maxNameLength: 5 }],
    ['missing target', 'a,b\n1,2\n', ['target column "z" is not in the header'], { target: 'z' }],
    ['only a target', 'a\n1\n', ['no feature column besides the target']],
    ['empty', '\n\n', ['the CSV is empty']],
    ['header only', 'a,b\n', ['a header but no data rows']],
  ])('%s', (_, text, parts, opts) => {
    refused(() => parseCsvTable(text, opts), ...parts);
  });

  test('row, column and cell limits', () => {
    expect(refused(() => parseCsvTable('a,y\n1,1\n2,2\n3,3\n4,4\n', { limits }), 'more than 3 data rows; the limit is 3').code).toBe('TOO_LARGE');
    expect(refused(() => parseCsvTable('a,b,c,d,e\n1,2,3,4,5\n', { limits }), 'has 5 columns; the limit is 4').code).toBe('TOO_LARGE');
    refused(() => parseCsvTable(`a,y\n${'x'.repeat(11)},1\n`, { limits }), 'line 2: cell 1 (column "a") has more than 10 characters');
    refused(() => parseCsvTable(`a,y\n"${'x'.repeat(11)}",1\n`, { limits }), 'more than 10 characters');
  });

  test('10,000 columns are accepted (the limit is 11,000: 10,000 features + 1,000 targets)', () => {
    const n = 10_000;
    const head = Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const row = Array.from({ length: n }, (_, i) => String(i % 7)).join(',');
    const t = parseCsvTable(`${head}\n${row}\n${row}\n`);
    expect(t.columns).toHaveLength(n);
    refused(() => parseCsvTable(`${head},${Array.from({ length: 1001 }, (_, i) => `d${i}`).join(',')}\n`), 'the limit is 11000');
  });
});

describe('streaming', () => {
  test('any cut of the text into chunks gives the same table (quotes, CRLF and BOM split too)', () => {
    const text = '\ufeffa,"b ""q""",c\r\n1,"x,\r\ny",yes\r\n2,,no\r\n\r\n"3","z""",TRUE\n4,w,\r\n';
    const whole = parseCsvTable(text);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 8 }), (cuts) => {
        const p = new CsvTableParser();
        let at = 0;
        for (const c of [...cuts].sort((x, y) => x - y)) {
          p.push(text.slice(at, c));
          at = c;
        }
        p.push(text.slice(at));
        expect(p.end()).toEqual(whole);
      }),
      { numRuns: 300 },
    );
    expect(whole.columns.map((c) => c.name)).toEqual(['a', 'b "q"', 'c']);
  });

  test('errors name the same line whatever the chunking', () => {
    const text = 'a,b\n1,2\n"x\ny",3\n4,5,6\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new CsvTableParser();
      refused(() => {
        p.push(text.slice(0, cut));
        p.push(text.slice(cut));
        p.end();
      }, 'line 5 has 3 cells; the header has 2');
    }
  });

  test('a numeric CSV gives exactly the Dataset of the numeric parser', () => {
    const text = 'a,b,label\n1,2.5,0\n-3,4e-2,1\n5,6,2\n';
    expect(tableToDataset(parseCsvTable(text, { target: 'label' }), { featureNames: ['a', 'b'], targetNames: ['label'] })).toEqual({
      ...parseCsv(text, { target: 'label' }),
    });
  });
});

describe('records, rows and {x, y}', () => {
  test('records: keys of the first record are the columns; a later one may omit a key, not add one', () => {
    const t = parseRecordsTable([
      { age: 31, city: 'Oslo', member: true, y: 1 },
      { age: null, city: 'Rome', y: 0 },
      { age: 40, city: 'Oslo', member: false, y: 1 },
    ]);
    expect(types(t)).toEqual({ age: 'numeric', city: 'categorical', member: 'boolean', y: 'numeric' });
    expect(t.columns[2].missing).toBe(1);
    refused(() => parseRecordsTable([{ a: 1, y: 1 }, { a: 2, b: 3, y: 0 }]), 'records[1] has the key "b"');
    refused(() => parseRecordsTable([{ a: 1, y: 1 }, 5]), 'records[1] is not an object');
    refused(() => parseRecordsTable([{ a: { n: 1 }, y: 1 }]), 'records[0], column "a": a nested object');
    refused(() => parseRecordsTable([{ a: 1, y: 1 }, { a: 'x', y: 0 }]), 'records[1], column "a": "x" is not a number');
    refused(() => parseRecordsTable([]), 'empty');
  });

  test('rows (Parquet): bigints, dates and nulls', () => {
    const t = parseRowsTable(['n', 'd', 'y'], [
      [1n, new Date(0), 1],
      [null, new Date(86_400_000), 2],
    ]);
    expect(types(t)).toEqual({ n: 'numeric', d: 'categorical', y: 'numeric' });
    expect((t.columns[1] as CategoricalColumn).categories[0]).toBe('1970-01-01T00:00:00.000Z');
  });

  test('{x, y} → table → Dataset is the identity; declared types apply', () => {
    const ds = { name: 'j', x: new Float64Array([1, 2, 3, 4]), y: new Float64Array([0, 1]), rows: 2, features: 2, targets: 1 };
    expect(tableToDataset(datasetToTable(ds))).toEqual(ds);
    const declared: TypeOverrides = { y: 'categorical', x0: 'categorical' };
    const t = datasetToTable(ds, declared);
    expect(types(t)).toEqual({ x0: 'categorical', x1: 'numeric', y: 'categorical' });
    refused(() => tableToDataset(t), 'column "x0" is categorical');
  });
});

describe('the table is what preprocessing consumes', () => {
  test('a parsed CSV fits and applies src/data/preprocess as it is (codes, NaN for missing)', () => {
    const t = parseCsvTable('age,plan,member,y\n30,basic,yes,1\n,pro,no,0\n50,basic,yes,1\n40,pro,,0\n');
    const { features } = splitColumns(t);
    const fitted = fitPreprocess(features, [0, 1, 2, 3], { missing: 'mean' });
    const out = applyPreprocess(fitted, features);
    expect(out.rows).toBe(4);
    // age: the missing row takes the mean of 30, 50, 40; plan one-hot (basic, pro); member 1/0, missing → mean 2/3
    expect(Array.from(out.x.slice(0, out.width))).toEqual([30, 1, 0, 1]);
    expect(out.x[out.width]).toBe(40);
  });
});

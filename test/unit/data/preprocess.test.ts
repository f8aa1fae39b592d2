/**
 * Preprocessing beyond the sklearn fixtures: no leakage (statistics depend on the training rows
 * only), the error messages (missing values with the fix, unknown categories, missing columns,
 * wrong types, bad perColumn entries), records in, string targets, and JSON round trips.
 */
import { describe, expect, it } from 'vitest';
import { applyPreprocess } from '../../../src/data/preprocess/apply.js';
import { fitPreprocess } from '../../../src/data/preprocess/fit.js';
import { encodeLabels, fitLabels } from '../../../src/data/preprocess/labels.js';
import { compareCodePoints } from '../../../src/data/preprocess/order.js';
import { applyToRecords, recordsToColumns } from '../../../src/data/preprocess/records.js';
import { PreprocessError, type Column, type NumericColumn } from '../../../src/data/preprocess/types.js';

const floats = (values: (number | null)[]) => Float64Array.from(values, (v) => (v === null ? NaN : v));
const num = (name: string, values: (number | null)[]): Column => ({ name, type: 'numeric', values: floats(values) });
const bool = (name: string, values: (number | null)[]): Column => ({ name, type: 'boolean', values: floats(values) });
const cat = (name: string, values: (string | null)[]): Column => ({ name, type: 'categorical', values });

function table(tail: { age: (number | null)[]; plan: (string | null)[]; autopay: (number | null)[] }): Column[] {
  return [
    num('age', [30, 40, null, 50, 60, ...tail.age]),
    cat('plan', ['basic', 'pro', 'pro', null, 'basic', ...tail.plan]),
    bool('autopay', [1, 0, 1, null, 1, ...tail.autopay]),
  ];
}
const TRAIN = [0, 1, 2, 3, 4];

function thrown(f: () => unknown): PreprocessError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PreprocessError);
    return e as PreprocessError;
  }
  throw new Error('expected a PreprocessError');
}

describe('leakage', () => {
  const options = {
    numeric: 'standardize',
    missing: 'mean',
    unknownCategory: 'ignore',
  } as const;
  const a = table({ age: [1, 2, 3], plan: ['basic', 'basic', 'basic'], autopay: [0, 0, 0] });
  const b = table({ age: [1e6, null, -7], plan: ['enterprise', null, 'zzz'], autopay: [1, null, 1] });

  it('statistics do not change when only the validation / test rows change', () => {
    for (const o of [options, { ...options, numeric: 'minmax', missing: 'median' } as const]) {
      expect(fitPreprocess(b, TRAIN, o)).toEqual(fitPreprocess(a, TRAIN, o));
    }
    for (const o of [{ ...options, missing: 'most_frequent', categorical: 'ordinal' } as const, { ...options, missing: 'drop' } as const]) {
      expect(fitPreprocess(b, TRAIN, o)).toEqual(fitPreprocess(a, TRAIN, o));
    }
  });
  it('but they do when a training row changes', () => {
    const c = table({ age: [1, 2, 3], plan: ['basic', 'basic', 'basic'], autopay: [0, 0, 0] });
    (c[0] as NumericColumn).values[0] = 31;
    expect(fitPreprocess(c, TRAIN, options)).not.toEqual(fitPreprocess(a, TRAIN, options));
  });
  it('a category seen only outside the training rows is unknown, not a column', () => {
    const f = fitPreprocess(b, TRAIN, options);
    expect(f.featureNames).toEqual(['age', 'plan_basic', 'plan_pro', 'autopay']);
    const out = applyPreprocess(f, b, [5]);
    expect(Array.from(out.x)).toEqual([(1e6 - 45) / 10, 0, 0, 1]);
  });
});

describe('missing values', () => {
  const cols = table({ age: [], plan: [], autopay: [] });
  it('"error" (the default) names the column, the count and the fix', () => {
    const e = thrown(() => fitPreprocess([num('age', [1, null, null, 4])], [0, 1, 2, 3]));
    expect(e.message).toBe('column "age" has 2 missing values; set preprocess.missing or perColumn.age.missing');
    expect(e).toMatchObject({ code: 'MISSING_VALUES', column: 'age', row: 1 });
    expect(thrown(() => fitPreprocess([num('monthly fee', [null])], [0])).message).toBe(
      'column "monthly fee" has 1 missing value; set preprocess.missing or perColumn["monthly fee"].missing',
    );
  });
  it('"error" at apply time counts the rows applied to', () => {
    const f = fitPreprocess([num('age', [1, 2, 3, null, null])], [0, 1, 2]);
    expect(thrown(() => applyPreprocess(f, [num('age', [1, 2, 3, null, null])])).message).toBe(
      'column "age" has 2 missing values; set preprocess.missing or perColumn.age.missing',
    );
  });
  it('"drop" leaves rows out of the statistics and of the output, and reports them', () => {
    const f = fitPreprocess(cols, TRAIN, { missing: 'drop' });
    expect(f).toMatchObject({ fittedRows: 3, droppedRows: 2 });
    const out = applyPreprocess(f, cols);
    expect(out.kept).toEqual([0, 1, 4]);
    expect(out.dropped).toEqual([2, 3]);
  });
  it('perColumn overrides the table-wide setting, per column', () => {
    const f = fitPreprocess(cols, TRAIN, {
      missing: 'drop',
      perColumn: { age: { missing: 'median' }, autopay: { missing: 'most_frequent' } },
    });
    expect(f.columns.map((c) => [c.missing, c.fill])).toEqual([
      ['median', 40], // over the rows "drop" keeps (row 3 has no plan)
      ['drop', undefined],
      ['most_frequent', 1],
    ]);
    expect(applyPreprocess(f, cols).dropped).toEqual([3]);
  });
  it('a categorical column takes table-wide "mean" as most_frequent, refuses it from perColumn', () => {
    expect(fitPreprocess(cols, TRAIN, { missing: 'mean' }).columns[1]).toMatchObject({ missing: 'most_frequent', fill: 'basic' });
    expect(thrown(() => fitPreprocess(cols, TRAIN, { missing: 'mean', perColumn: { plan: { missing: 'mean' } } })).message).toBe(
      'perColumn.plan.missing "mean" needs a numeric column; "plan" is categorical (use "most_frequent")',
    );
  });
  it('a column with no training value cannot be filled', () => {
    const e = thrown(() => fitPreprocess([num('x', [null, null, 3])], [0, 1], { missing: 'mean' }));
    expect(e.message).toBe('column "x" has no value in the 2 training rows; leave it out of data.features');
  });
  it('"drop" that leaves nothing says so', () => {
    expect(thrown(() => fitPreprocess([num('x', [null, null])], [0, 1], { missing: 'drop' })).message).toBe(
      'cannot fit the preprocessing: missing "drop" left none of the 2 training rows',
    );
  });
});

describe('categories', () => {
  const cols = [cat('species', ['setosa', 'virginica', 'setosa', 'versicolor'])];
  it('an unknown category is an error naming column, value, row and the fix', () => {
    const f = fitPreprocess(cols, [0, 1, 2]);
    const e = thrown(() => applyPreprocess(f, cols));
    expect(e.message).toBe(
      'column "species" has the unknown category "versicolor" (row 3); the training rows had "setosa", "virginica"; set preprocess.unknownCategory to "ignore" to encode unknown categories as all-zero one-hot columns',
    );
    expect(e).toMatchObject({ code: 'UNKNOWN_CATEGORY', column: 'species', row: 3, value: 'versicolor' });
  });
  it('"ignore" gives all-zero one-hot columns, or −1 for ordinal', () => {
    const oh = fitPreprocess(cols, [0, 1, 2], { unknownCategory: 'ignore' });
    expect(Array.from(applyPreprocess(oh, cols, [3, 1]).x)).toEqual([0, 0, 0, 1]);
    const ord = fitPreprocess(cols, [0, 1, 2], { unknownCategory: 'ignore', categorical: 'ordinal' });
    expect(Array.from(applyPreprocess(ord, cols).x)).toEqual([0, 1, 0, -1]);
  });
  it('sorts by code point as Python', () => {
    expect(['\u{1D518}', '\uFB00', 'b', 'B'].sort(compareCodePoints)).toEqual(['B', 'b', '\uFB00', '\u{1D518}']);
  });
});

describe('options and columns', () => {
  const cols = table({ age: [], plan: [], autopay: [] });
  it('a perColumn entry must name a feature and fit its type', () => {
    expect(thrown(() => fitPreprocess(cols, TRAIN, { perColumn: { agee: { missing: 'mean' } } })).message).toBe(
      'perColumn.agee names no feature column (the features are "age", "plan", "autopay")',
    );
    expect(thrown(() => fitPreprocess(cols, TRAIN, { missing: 'mean', perColumn: { plan: { numeric: 'minmax' } } })).message).toBe(
      'perColumn.plan.numeric applies to numeric and boolean columns; "plan" is categorical (use perColumn.plan.categorical)',
    );
    expect(thrown(() => fitPreprocess(cols, TRAIN, { missing: 'mean', perColumn: { age: { categorical: 'ordinal' } } })).message).toBe(
      "perColumn.age.categorical applies to categorical columns; \"age\" is numeric (declare it categorical in the upload's types)",
    );
  });
  it('booleans stay 0/1 under a table-wide scaling, unless their perColumn entry scales them', () => {
    const f = fitPreprocess(cols, TRAIN, { missing: 'mean', numeric: 'minmax', perColumn: { autopay: { numeric: 'standardize' } } });
    expect(f.columns.map((c) => (c.type === 'categorical' ? c.encoding : c.scaling))).toEqual(['minmax', 'onehot', 'standardize']);
    const g = fitPreprocess(cols, TRAIN, { missing: 'mean', numeric: 'minmax' });
    expect(g.columns[2]).toMatchObject({ scaling: 'none' });
  });
  it('apply refuses a missing column or a categorical / numeric mismatch', () => {
    const f = fitPreprocess(cols, TRAIN, { missing: 'mean' });
    expect(thrown(() => applyPreprocess(f, cols.slice(0, 2))).message).toBe(
      'column "autopay" is missing; the model takes "age", "plan", "autopay"',
    );
    expect(thrown(() => applyPreprocess(f, [num('plan', [1]), cols[0], cols[2]])).message).toBe(
      'column "plan" is numeric here but was categorical when the model was trained',
    );
  });
  it('the defaults keep numeric data as it is', () => {
    const c = [num('a', [1.5, -2, 3]), num('b', [0, 1e300, 7])];
    const f = fitPreprocess(c, [0, 1]);
    expect(f.columns).toEqual([
      { name: 'a', type: 'numeric', missing: 'error', scaling: 'none' },
      { name: 'b', type: 'numeric', missing: 'error', scaling: 'none' },
    ]);
    expect(Array.from(applyPreprocess(f, c).x)).toEqual([1.5, 0, -2, 1e300, 3, 7]);
  });
  it('the fitted form survives JSON', () => {
    const f = fitPreprocess(cols, TRAIN, { missing: 'mean', numeric: 'standardize' });
    const g = JSON.parse(JSON.stringify(f)) as typeof f;
    expect(Array.from(applyPreprocess(g, cols).x)).toEqual(Array.from(applyPreprocess(f, cols).x));
  });
});

describe('records', () => {
  const cols = table({ age: [], plan: [], autopay: [] });
  const f = fitPreprocess(cols, TRAIN, { missing: 'mean', numeric: 'standardize' });
  it('raw values give the same rows as the table', () => {
    const records = [
      { age: 30, plan: 'basic', autopay: true },
      { age: 40, plan: 'pro', autopay: 'no', extra: 'ignored' },
      { age: null, plan: 'pro', autopay: 1 },
      { age: 50, plan: null, autopay: null },
    ];
    expect(Array.from(applyToRecords(f, records).x)).toEqual(Array.from(applyPreprocess(f, cols, [0, 1, 2, 3]).x));
  });
  it('a missing key or a wrong type is named with the record and the column', () => {
    expect(thrown(() => applyToRecords(f, [{ age: 1, plan: 'pro', autopay: 0 }, { age: 1, plan: 'pro' }])).message).toBe(
      'records[1] has no "autopay"; every record needs "age", "plan", "autopay" (null for a missing value)',
    );
    const e = thrown(() => applyToRecords(f, [{ age: 'old', plan: 'pro', autopay: 0 }]));
    expect(e.message).toBe('records[0].age must be a finite number or null ("age" is numeric); got "old"');
    expect(e).toMatchObject({ code: 'WRONG_TYPE', column: 'age', row: 0, value: 'old' });
    expect(thrown(() => applyToRecords(f, [{ age: 1, plan: true, autopay: 0 }])).message).toBe(
      'records[0].plan must be a string or null ("plan" is categorical); got true',
    );
    expect(thrown(() => applyToRecords(f, [{ age: 1, plan: 'pro', autopay: 'maybe' }])).message).toBe(
      'records[0].autopay must be true, false, 0, 1, "yes", "no" or null ("autopay" is boolean); got "maybe"',
    );
  });
  it('a coded categorical column (the typed upload\'s form) works as a string one', () => {
    const coded: Column = { name: 'plan', type: 'categorical', codes: Int32Array.from([1, 0, 0, -1, 1]), categories: ['pro', 'basic'] };
    const o = { missing: 'most_frequent', categorical: 'ordinal' } as const;
    const strings = fitPreprocess([cols[1]], TRAIN, o);
    expect(fitPreprocess([coded], TRAIN, o)).toEqual(strings);
    expect(applyPreprocess(strings, [coded]).x).toEqual(applyPreprocess(strings, [cols[1]]).x);
  });
  it('numbers are accepted as integer categories', () => {
    const [c] = recordsToColumns([{ name: 'zip', type: 'categorical' }], [{ zip: 10115 }, { zip: '10117' }]);
    expect(c.values).toEqual(['10115', '10117']);
  });
});

describe('string targets', () => {
  const y = ['yes', 'no', 'no', 'maybe'];
  it('classes sorted, or as named', () => {
    expect(fitLabels('churn', y)).toEqual(['maybe', 'no', 'yes']);
    expect(fitLabels('churn', y, ['yes', 'no', 'maybe'])).toEqual(['yes', 'no', 'maybe']);
    expect(Array.from(encodeLabels('churn', ['yes', 'no', 'maybe'], y))).toEqual([0, 1, 1, 2]);
  });
  it('refuses a missing target, a value outside the named classes, and repeated names', () => {
    expect(thrown(() => fitLabels('churn', ['yes', null])).message).toBe(
      'target column "churn" has 1 missing value (first at row 1); a target cannot be filled in: remove those rows',
    );
    expect(thrown(() => fitLabels('churn', y, ['yes', 'no'])).message).toBe(
      'target column "churn" has the value "maybe" at row 3, which is not one of the classes "yes", "no"',
    );
    expect(thrown(() => fitLabels('churn', y, ['yes', 'yes'])).message).toBe('model.classes names "yes" twice');
  });
});

/**
 * Preprocessing fitted on the training rows equals scikit-learn 1.2.1's pipelines fitted on the same
 * rows, to 1e-12 (relative above 1): SimpleImputer (mean, median, most_frequent with its
 * smallest-value tie rule), StandardScaler (population std, constant column → 1), MinMaxScaler
 * (constant column → 0), OneHotEncoder (categories in code-point order, get_feature_names_out,
 * handle_unknown="ignore") and OrdinalEncoder (unknown → −1), missing "drop", perColumn overrides;
 * on a mixed table, the wine and breast-cancer data of Debian's python3-sklearn; and LabelEncoder.
 * The transformed matrix covers validation / test rows too. Fixtures:
 * scripts/fixtures/preprocess_fixtures.py → test/golden/fixtures/preprocess.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPreprocess } from '../../src/data/preprocess/apply.js';
import { fitPreprocess } from '../../src/data/preprocess/fit.js';
import { encodeLabels, fitLabels } from '../../src/data/preprocess/labels.js';
import type { Column, PreprocessOptions } from '../../src/data/preprocess/types.js';

interface RawColumn {
  name: string;
  type: 'numeric' | 'categorical' | 'boolean';
  values: (number | string | null)[];
}
interface Case {
  name: string;
  columns: RawColumn[];
  trainRows: number[];
  options: PreprocessOptions;
  fitted: Record<string, unknown>[];
  featureNames: string[];
  keptRows: number[];
  x: number[][];
}
const F = JSON.parse(readFileSync(new URL('./fixtures/preprocess.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  labels: { name: string; values: string[]; classes: string[]; codes: number[] }[];
};

/** The fixture's JSON column as a typed column (null → NaN for numbers). */
function toColumn(c: RawColumn): Column {
  if (c.type === 'categorical') return { name: c.name, type: c.type, values: c.values as (string | null)[] };
  return {
    name: c.name,
    type: c.type,
    values: Float64Array.from(c.values, (v) => (v === null ? NaN : (v as number))),
  };
}

/** The same column coded as a typed upload stores it: categories in first-appearance order, −1 missing. */
function toCoded(c: Column): Column {
  if (c.type !== 'categorical' || !('values' in c)) return c;
  const categories: string[] = [];
  const codes = Int32Array.from(c.values, (v) => {
    if (v === null) return -1;
    if (!categories.includes(v)) categories.push(v);
    return categories.indexOf(v);
  });
  return { name: c.name, type: 'categorical', codes, categories };
}

const TOL = 1e-12;
function close(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    TOL * Math.max(1, Math.abs(expected)),
  );
}

describe.each(F.cases)('$name', (c) => {
  const columns = c.columns.map(toColumn);
  const fitted = fitPreprocess(columns, c.trainRows, c.options);

  it('fits sklearn statistics on the training rows', () => {
    expect(fitted.columns.map((f) => f.name)).toEqual(c.fitted.map((f) => f.name));
    fitted.columns.forEach((f, j) => {
      const e = c.fitted[j];
      expect(f.missing, f.name).toBe(e.missing);
      for (const key of ['fill', 'mean', 'std', 'min', 'max'] as const) {
        const actual = (f as unknown as Record<string, unknown>)[key];
        if (e[key] === undefined) expect(actual, `${f.name}.${key}`).toBeUndefined();
        else if (typeof e[key] === 'string') expect(actual, `${f.name}.${key}`).toBe(e[key]);
        else close(actual as number, e[key] as number, `${f.name}.${key}`);
      }
      if (f.type === 'categorical') expect(f.categories).toEqual(e.categories);
    });
  });

  it('names the output columns as get_feature_names_out', () => {
    expect(fitted.featureNames).toEqual(c.featureNames);
  });

  it('transforms every row (validation and test included) as sklearn, dropping the same rows', () => {
    const out = applyPreprocess(fitted, columns);
    expect(out.kept).toEqual(c.keptRows);
    expect(out.rows).toBe(c.x.length);
    expect(out.width).toBe(c.featureNames.length);
    c.x.forEach((row, i) =>
      row.forEach((v, k) => close(out.x[i * out.width + k], v, `x[${i}][${out.featureNames[k]}]`)),
    );
  });
});

describe.each(F.cases)('$name, categorical columns coded as a typed upload stores them', (c) => {
  it('fits and transforms the same', () => {
    const strings = c.columns.map(toColumn);
    const coded = strings.map(toCoded);
    const fitted = fitPreprocess(coded, c.trainRows, c.options);
    expect(fitted).toEqual(fitPreprocess(strings, c.trainRows, c.options));
    expect(applyPreprocess(fitted, coded)).toEqual(applyPreprocess(fitted, strings));
  });
});

describe.each(F.labels)('LabelEncoder: $name', (t) => {
  it('sorts the classes by code point and encodes as sklearn', () => {
    const classes = fitLabels('target', t.values);
    expect(classes).toEqual(t.classes);
    expect(Array.from(encodeLabels('target', classes, t.values))).toEqual(t.codes);
  });
});

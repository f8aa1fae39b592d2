/**
 * The tables work around training (src/train/tables.ts): the test split holds rows out of training
 * and validation, deterministically by seed; the preprocessing is fitted on the training rows only;
 * a job without tables gets the very split train() draws itself; the reports are the metrics
 * module's numbers on predict's outputs.
 */
import { describe, expect, test } from 'vitest';
import { JobSpecSchema, type SupervisedJobSpec } from '../../../src/contracts/job-spec.js';
import { splitValidation, type Dataset } from '../../../src/data/index.js';
import { predict } from '../../../src/models/predict.js';
import { regressionReport } from '../../../src/models/evaluation/regression.js';
import { prepareSupervised, tableResults } from '../../../src/train/tables.js';
import { deriveRngs } from '../../../src/train/tasks/supervised.js';

/** 50 rows; feature 0 and the target are the row's id, so every split row can be traced back. */
function dataset(rows = 50): Dataset {
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    x[r * 2] = r;
    x[r * 2 + 1] = (r * 7) % 5;
    y[r] = r;
  }
  return { name: 'ids', x, y, rows, features: 2, targets: 1, featureNames: ['id', 'k'], targetNames: ['y'] };
}

function spec(training: Record<string, unknown>, extra: Record<string, unknown> = {}): SupervisedJobSpec {
  return JobSpecSchema.parse({
    model: { type: 'linear' },
    data: { datasetId: 'ds_test' },
    loss: 'mse',
    optimizer: { type: 'sgd', lr: 0.1 },
    training,
    ...extra,
  }) as SupervisedJobSpec;
}

const ids = (ds: Dataset | null) => (ds ? Array.from(ds.y) : []);

describe('prepareSupervised', () => {
  test('test rows are held out of training and validation: ⌈50·0.2⌉ = 10 test, ⌈50·0.2⌉ = 10 validation, 30 training', () => {
    const p = prepareSupervised(spec({ testSplit: 0.2, validationSplit: 0.2, seed: 7 }), dataset());
    const [train, val, test] = [ids(p.split.train), ids(p.split.val), ids(p.test)];
    expect([train.length, val.length, test.length]).toEqual([30, 10, 10]);
    const all = [...train, ...val, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p.preprocessing?.fittedRows).toBe(30);
    expect(p.data.rows).toBe(50);
  });

  test('deterministic by seed: the same seed gives the same test rows, another seed others', () => {
    const a = prepareSupervised(spec({ testSplit: 0.3, seed: 1 }), dataset());
    const b = prepareSupervised(spec({ testSplit: 0.3, seed: 1 }), dataset());
    const c = prepareSupervised(spec({ testSplit: 0.3, seed: 2 }), dataset());
    expect(ids(a.test)).toEqual(ids(b.test));
    expect(ids(a.test)).not.toEqual(ids(c.test));
  });

  test('standardize is fitted on the training rows only and applied to validation and test rows', () => {
    const p = prepareSupervised(
      spec({ testSplit: 0.2, validationSplit: 0.2, seed: 3 }, { preprocess: { numeric: 'standardize' } }),
      dataset(),
    );
    const train = ids(p.split.train);
    const mean = train.reduce((s, v) => s + v, 0) / train.length;
    const std = Math.sqrt(train.reduce((s, v) => s + (v - mean) ** 2, 0) / train.length);
    const col = p.preprocessing!.columns[0] as { mean: number; std: number };
    expect(col.mean).toBeCloseTo(mean, 12);
    expect(col.std).toBeCloseTo(std, 12);
    // a test row's feature 0 is (id − training mean) / training std
    const t = p.test!;
    for (let i = 0; i < t.rows; i++) expect(t.x[i * 2]).toBeCloseTo((t.y[i] - mean) / std, 12);
    expect(p.preprocessing!.targets).toEqual(['y']);
  });

  test('typed columns (data.columns) are read instead of x: one-hot categories of the training rows', () => {
    const ds = dataset(20);
    const colors = Array.from({ length: 20 }, (_, r) => ['red', 'green', 'blue'][r % 3]);
    const typed: Dataset = { ...ds, columns: [{ name: 'color', type: 'categorical', values: colors }] };
    const p = prepareSupervised(spec({ testSplit: 0.2, seed: 9 }), typed);
    expect(p.preprocessing!.featureNames).toEqual(['color_blue', 'color_green', 'color_red']);
    expect(p.data.features).toBe(3);
    const t = p.test!;
    for (let i = 0; i < t.rows; i++) {
      const hot = ['blue', 'green', 'red'].indexOf(colors[t.y[i]]);
      expect(Array.from(t.x.subarray(i * 3, i * 3 + 3))).toEqual([0, 1, 2].map((k) => (k === hot ? 1 : 0)));
    }
  });

  test('without a test split or preprocessing, the split is the one train() draws from the seed', () => {
    const ds = dataset();
    const s = JobSpecSchema.parse({
      model: { type: 'linear' },
      data: { inline: { x: [[1], [2], [3]], y: [1, 2, 3] } },
      loss: 'mse',
      optimizer: { type: 'sgd', lr: 0.1 },
      training: { validationSplit: 0.2, seed: 11 },
    }) as SupervisedJobSpec;
    const p = prepareSupervised(s, ds);
    const own = splitValidation(ds, 0.2, deriveRngs(11).split);
    expect(ids(p.split.train)).toEqual(ids(own.train));
    expect(ids(p.split.val)).toEqual(ids(own.val));
    expect(p.test).toBeNull();
    expect(p.preprocessing).toBeNull();
    expect(p.data).toBe(ds);
  });

  test('tableResults: test and validation reports are regressionReport of predict on those rows', () => {
    const s = spec({ testSplit: 0.2, validationSplit: 0.2, seed: 5 });
    const p = prepareSupervised(s, dataset());
    const weights = {
      weight: { shape: [1, 2], data: Float64Array.of(0.9, 0.1) },
      bias: { shape: [1], data: Float64Array.of(0.5) },
    };
    const r = tableResults(s, p, weights);
    const t = p.test!;
    const inputs = Array.from({ length: t.rows }, (_, i) => [t.x[i * 2], t.x[i * 2 + 1]]);
    const out = Float64Array.from(
      predict({ model: { type: 'linear' }, loss: 'mse' }, weights, inputs).outputs.flat(),
    );
    const rep = regressionReport(out, t.y, 1);
    expect(r.test!.rows).toBe(10);
    expect(r.test!.metrics).toEqual({ mae: rep.mae, rmse: rep.rmse, r2: rep.r2 });
    expect(r.test!.residualQuantiles).toEqual(rep.residualQuantiles);
    expect(r.test!.loss).toBeCloseTo(rep.rmse ** 2, 10);
    expect(r.validation!.rows).toBe(10);
    expect(r.preprocessing!.fittedRows).toBe(30);
  });
});

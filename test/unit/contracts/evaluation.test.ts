/**
 * The result and evaluate schemas (src/contracts/evaluation.ts) accept what src/data/preprocess
 * and src/models/evaluation compute, so the shapes cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import {
  EvaluateRequestSchema,
  EvaluationSchema,
  PreprocessingResultSchema,
} from '../../../src/contracts/evaluation.js';
import { JobResultSchema } from '../../../src/contracts/job.js';
import { fitPreprocess } from '../../../src/data/preprocess/fit.js';
import { classificationMetrics } from '../../../src/models/evaluation/report.js';
import { regressionReport } from '../../../src/models/evaluation/regression.js';

describe('evaluation contracts', () => {
  const fitted = fitPreprocess(
    [
      { name: 'age', type: 'numeric', values: Float64Array.from([30, NaN, 50]) },
      { name: 'plan', type: 'categorical', values: ['pro', null, 'basic'] },
      { name: 'autopay', type: 'boolean', values: Float64Array.from([1, 0, 1]) },
    ],
    [0, 1, 2],
    { numeric: 'standardize', missing: 'mean' },
  );

  it('result.preprocessing is the fitted preprocessing (plus class names)', () => {
    const p = { ...fitted, classes: ['no', 'yes'] };
    expect(PreprocessingResultSchema.parse(p)).toEqual(p);
  });

  it('an evaluation holds the classification or regression metrics', () => {
    const { confusionMatrix, perClass, rows, ...m } = classificationMetrics(
      [0, 1, 1, 0],
      Float64Array.from([0.2, 0.7, 0.4, 0.1]),
      1,
    );
    const e = { rows, loss: 0.4, metrics: m, confusionMatrix, perClass };
    expect(EvaluationSchema.parse(e)).toEqual(e);
    const r = regressionReport(Float64Array.from([1, 2]), Float64Array.from([1.5, 2]), 1);
    const g = {
      rows: 2,
      loss: 0.125,
      metrics: { mae: r.mae, rmse: r.rmse, r2: r.r2 },
      residualQuantiles: r.residualQuantiles,
    };
    expect(EvaluationSchema.parse(g)).toEqual(g);
    const result = {
      loss: 0.1,
      valLoss: null,
      metrics: {},
      parameters: 3,
      durationMs: 1,
      preprocessing: fitted,
      test: e,
    };
    expect(JobResultSchema.parse(result)).toEqual(result);
  });

  it('POST /evaluate takes a dataset, records, or inputs and targets', () => {
    expect(EvaluateRequestSchema.safeParse({ datasetId: 'ds_a' }).success).toBe(true);
    expect(
      EvaluateRequestSchema.safeParse({ records: [{ age: 3, plan: null, churned: 'yes' }] }).success,
    ).toBe(true);
    expect(EvaluateRequestSchema.safeParse({ inputs: [[1, 2]], targets: [0] }).success).toBe(true);
    expect(EvaluateRequestSchema.safeParse({ datasetId: 'ds_a', records: [] }).success).toBe(false);
  });
});

/**
 * Evaluation metrics equal scikit-learn 1.2.1's (accuracy_score, confusion_matrix,
 * precision_recall_fscore_support, f1_score macro / weighted, log_loss, roc_auc_score binary and
 * one-vs-rest macro, mean_absolute_error, mean_squared_error(squared=False), r2_score) and numpy's
 * np.quantile to 1e-12, on random, tie-heavy, absent-class and constant-target cases.
 * Fixtures: scripts/fixtures/metrics_fixtures.py → test/golden/fixtures/metrics.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classificationMetrics, predictedClasses } from '../../src/models/evaluation/report.js';
import { logLoss } from '../../src/models/evaluation/log-loss.js';
import { rocAuc, rocAucBinary } from '../../src/models/evaluation/roc-auc.js';
import { quantiles, regressionReport } from '../../src/models/evaluation/regression.js';
import { confusionMatrix } from '../../src/models/evaluation/classification.js';

interface ClsCase {
  name: string;
  classes: number;
  y: number[];
  pred: number[];
  proba: number[][];
  accuracy: number;
  confusionMatrix: number[][];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macroF1: number;
  weightedF1: number;
  logLoss: number;
  rocAuc: number | null;
}
interface Bin1dCase {
  name: string;
  y: number[];
  p: number[];
  logLoss: number;
  rocAuc: number;
}
interface RegCase {
  name: string;
  width: number;
  y: number[];
  pred: number[];
  mae: number;
  rmse: number;
  r2: number;
  quantiles: number[];
  residualQuantiles: number[];
}
const F = JSON.parse(readFileSync(new URL('./fixtures/metrics.json', import.meta.url), 'utf8')) as {
  classification: ClsCase[];
  binary1d: Bin1dCase[];
  regression: RegCase[];
};

const TOL = 1e-12;
function close(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    TOL * Math.max(1, Math.abs(expected)),
  );
}

describe.each(F.classification)('classification $name', (c) => {
  const proba = Float64Array.from(c.proba.flat());
  const m = classificationMetrics(c.y, proba, c.classes);

  it('predicts numpy argmax (first on ties)', () => {
    expect(Array.from(predictedClasses(proba, c.classes))).toEqual(c.pred);
  });
  it('accuracy, confusion matrix (rows true), per-class scores and F1 averages', () => {
    close(m.accuracy, c.accuracy, 'accuracy');
    expect(m.confusionMatrix).toEqual(c.confusionMatrix);
    expect(m.perClass.map((s) => s.support)).toEqual(c.support);
    m.perClass.forEach((s, k) => {
      close(s.precision, c.precision[k], `precision[${k}]`);
      close(s.recall, c.recall[k], `recall[${k}]`);
      close(s.f1, c.f1[k], `f1[${k}]`);
    });
    close(m.macroF1, c.macroF1, 'macroF1');
    close(m.weightedF1, c.weightedF1, 'weightedF1');
  });
  it('log loss (clipped to float64 eps, rows renormalised)', () => {
    close(m.logLoss, c.logLoss, 'logLoss');
  });
  it('ROC AUC (binary, or one-vs-rest macro), absent where sklearn refuses it', () => {
    if (c.rocAuc === null) expect(m.rocAuc).toBeUndefined();
    else close(m.rocAuc ?? NaN, c.rocAuc, 'rocAuc');
  });
});

describe.each(F.binary1d)('binary with one probability column: $name', (c) => {
  it('log loss and ROC AUC on P(class 1)', () => {
    close(logLoss(c.y, c.p, 1), c.logLoss, 'logLoss');
    close(rocAuc(c.y, c.p, 1), c.rocAuc, 'rocAuc');
    close(rocAucBinary(c.y, c.p), c.rocAuc, 'rocAucBinary');
  });
});

describe.each(F.regression)('regression $name', (c) => {
  it('MAE, RMSE, R² (constant-target rule) and residual quantiles', () => {
    const r = regressionReport(Float64Array.from(c.pred), Float64Array.from(c.y), c.width, c.quantiles);
    close(r.mae, c.mae, 'mae');
    close(r.rmse, c.rmse, 'rmse');
    close(r.r2, c.r2, 'r2');
    r.residualQuantiles.forEach((q, i) => {
      expect(q.q).toBe(c.quantiles[i]);
      close(q.value, c.residualQuantiles[i], `quantile ${q.q}`);
    });
  });
});

describe('edges', () => {
  it('refuses labels outside the classes, with the index', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(
      'yTrue[1] is 3; class indices are integers in [0, 3)',
    );
  });
  it('ROC AUC is NaN with a single class present', () => {
    expect(rocAucBinary([1, 1, 1], [0.2, 0.5, 0.9])).toBeNaN();
  });
  it('quantiles of nothing are NaN', () => {
    expect(quantiles([], [0.5])).toEqual([NaN]);
  });
});

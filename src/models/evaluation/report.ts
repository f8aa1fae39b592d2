/**
 * The metrics of `POST /v1/jobs/{id}/evaluate` and of a job's validation / test split, from class
 * probabilities (classification) or outputs (regression): api-v1.1.md, section "Tables".
 */
import type { FloatArray } from '../../tensor/index.js';
import { predictedClass } from '../metrics.js';
import { classificationReport, type ClassScores } from './classification.js';
import { logLoss } from './log-loss.js';
import { rocAuc } from './roc-auc.js';

/** Classification metrics of one split; `rocAuc` is absent where it is undefined (a class absent). */
export interface ClassificationMetrics {
  rows: number;
  accuracy: number;
  logLoss: number;
  macroF1: number;
  weightedF1: number;
  rocAuc?: number;
  /** Rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
  perClass: ClassScores[];
}

/**
 * The predicted class of each row of `proba` (n × width): arg-max (first on ties, numpy's argmax),
 * or p > ½ for width 1 (the bce output, same as logit > 0).
 */
export function predictedClasses(proba: FloatArray, width: number): Int32Array {
  const n = proba.length / width;
  const out = new Int32Array(n);
  // arg-max is the same on probabilities as on logits; one column is a probability here, not a logit
  for (let i = 0; i < n; i++)
    out[i] = width === 1 ? (proba[i] > 0.5 ? 1 : 0) : predictedClass(proba, width, i);
  return out;
}

/**
 * Every classification metric of probabilities `proba` (n × width, rows summing to 1; width 1 =
 * P(class 1)) against class indices `yTrue`: K = max(width, 2) classes.
 */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  proba: FloatArray,
  width: number,
): ClassificationMetrics {
  const classes = Math.max(width, 2);
  const r = classificationReport(yTrue, predictedClasses(proba, width), classes);
  const auc = rocAuc(yTrue, proba, width);
  return {
    rows: yTrue.length,
    accuracy: r.accuracy,
    logLoss: logLoss(yTrue, proba, width),
    macroF1: r.macroF1,
    weightedF1: r.weightedF1,
    ...(Number.isNaN(auc) ? {} : { rocAuc: auc }),
    confusionMatrix: r.confusionMatrix,
    perClass: r.perClass,
  };
}

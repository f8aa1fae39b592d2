/**
 * Classification metrics from true and predicted class indices 0..K−1, as scikit-learn 1.2's
 * `accuracy_score`, `confusion_matrix` and `precision_recall_fscore_support` with
 * `labels=range(K)`: every class of the model has a row, a column and a per-class score, also one
 * that never occurs in the rows evaluated.
 */

/** Precision, recall, F1 and support of one class. */
export interface ClassScores {
  /** Class index. */
  class: number;
  /** tp / (tp + fp); 0 when the class is never predicted (sklearn's zero_division "warn" → 0). */
  precision: number;
  /** tp / (tp + fn); 0 when the class never occurs (zero_division "warn" → 0). */
  recall: number;
  /** 2·p·r / (p + r); 0 when p + r = 0. */
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

/** What {@link classificationReport} returns. */
export interface ClassificationReport {
  /** Fraction of rows predicted right. */
  accuracy: number;
  /** `confusionMatrix[t][p]`: rows of true class t predicted as p (rows = true, columns = predicted). */
  confusionMatrix: number[][];
  perClass: ClassScores[];
  /** Unweighted mean of the per-class F1 over all K classes. */
  macroF1: number;
  /** Mean of the per-class F1 weighted by support; 0 when no row has a class (sklearn's rule). */
  weightedF1: number;
}

/** Check that `labels` are class indices in [0, classes) and return them as integers. */
function checkLabels(what: string, labels: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes)
      throw new RangeError(`${what}[${i}] is ${v}; class indices are integers in [0, ${classes})`);
  }
}

/**
 * K×K counts, `m[t][p]` = rows with true class t and predicted class p (sklearn's
 * `confusion_matrix(y_true, y_pred, labels=range(K))`).
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: number,
): number[][] {
  if (yTrue.length !== yPred.length)
    throw new RangeError(`${yTrue.length} true labels but ${yPred.length} predictions`);
  checkLabels('yTrue', yTrue, classes);
  checkLabels('yPred', yPred, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/** Per-class scores from a confusion matrix, with sklearn's zero_division "warn" (→ 0) rule. */
export function perClassScores(cm: readonly (readonly number[])[]): ClassScores[] {
  const k = cm.length;
  const out: ClassScores[] = [];
  for (let c = 0; c < k; c++) {
    const tp = cm[c][c];
    let predicted = 0;
    let support = 0;
    for (let j = 0; j < k; j++) {
      predicted += cm[j][c];
      support += cm[c][j];
    }
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const denom = precision + recall;
    // sklearn: (1 + β²)·p·r / (β²·p + r) with a zero denominator replaced by 1, so F1 is 0 there
    const f1 = (2 * precision * recall) / (denom === 0 ? 1 : denom);
    out.push({ class: c, precision, recall, f1, support });
  }
  return out;
}

/**
 * Accuracy, confusion matrix, per-class precision/recall/F1/support and macro / weighted F1 of
 * predictions `yPred` against `yTrue` over `classes` classes. With no rows accuracy is NaN.
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  const cm = confusionMatrix(yTrue, yPred, classes);
  const perClass = perClassScores(cm);
  let hits = 0;
  for (let c = 0; c < classes; c++) hits += cm[c][c];
  let macro = 0;
  let weighted = 0;
  let total = 0;
  for (const s of perClass) {
    macro += s.f1;
    weighted += s.f1 * s.support;
    total += s.support;
  }
  return {
    accuracy: yTrue.length === 0 ? NaN : hits / yTrue.length,
    confusionMatrix: cm,
    perClass,
    macroF1: macro / classes,
    weightedF1: total === 0 ? 0 : weighted / total,
  };
}

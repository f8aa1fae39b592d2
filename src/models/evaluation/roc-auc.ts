/**
 * Area under the ROC curve, as scikit-learn 1.2's `roc_auc_score`: rows sorted by score
 * (descending), one ROC point per distinct score (tied rows move the curve diagonally), area by the
 * trapezoid rule. For K > 2 classes, one-vs-rest: class c's probabilities against "true class is
 * c", averaged unweighted (`multi_class="ovr", average="macro"`).
 */

/**
 * Binary ROC AUC of `score` (higher = more likely positive) against `positive` (truthy =
 * positive row). NaN when every row is positive or every row is negative (sklearn refuses).
 */
export function rocAucBinary(positive: ArrayLike<number | boolean>, score: ArrayLike<number>): number {
  const n = score.length;
  if (positive.length !== n) throw new RangeError(`${positive.length} labels but ${n} scores`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b] - score[a] || a - b);
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) totalPos++;
  const totalNeg = n - totalPos;
  if (totalPos === 0 || totalNeg === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let prevTpr = 0;
  let prevFpr = 0;
  let area = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    if (positive[i]) tp++;
    else fp++;
    // a point only after the last row of a run of equal scores (sklearn's distinct thresholds)
    if (j + 1 < n && score[order[j + 1]] === score[i]) continue;
    const tpr = tp / totalPos;
    const fpr = fp / totalNeg;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    prevTpr = tpr;
    prevFpr = fpr;
  }
  return area;
}

/**
 * ROC AUC of class probabilities `proba` (n × width, row-major) against class indices `yTrue`:
 * width 1 (P(class 1), the bce output) or 2 is binary on P(class 1); width > 2 is one-vs-rest macro.
 * NaN when some class has no positive or no negative row (sklearn refuses: the score is undefined).
 */
export function rocAuc(yTrue: ArrayLike<number>, proba: ArrayLike<number>, width: number): number {
  const n = yTrue.length;
  if (proba.length !== n * width) throw new RangeError(`proba has ${proba.length} values, not ${n}×${width}`);
  if (width <= 2) {
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) s[i] = proba[i * width + width - 1];
    return rocAucBinary(
      Array.from(yTrue, (y) => y === 1),
      s,
    );
  }
  let sum = 0;
  const s = new Float64Array(n);
  for (let c = 0; c < width; c++) {
    for (let i = 0; i < n; i++) s[i] = proba[i * width + c];
    const auc = rocAucBinary(
      Array.from(yTrue, (y) => y === c),
      s,
    );
    if (Number.isNaN(auc)) return NaN;
    sum += auc;
  }
  return sum / width;
}

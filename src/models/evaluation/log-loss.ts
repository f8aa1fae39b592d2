/**
 * Cross-entropy of predicted probabilities, as scikit-learn 1.2's `log_loss(y, p, labels=range(K))`
 * with its default `eps="auto"`: probabilities are clipped to [ε, 1 − ε] with ε = 2⁻⁵² (float64
 * machine epsilon), each row is renormalised to sum to 1, and the loss is
 * −(1/n) Σᵢ log p̂ᵢ,yᵢ.
 */

/** float64 machine epsilon, sklearn's `np.finfo(np.float64).eps`. */
const EPS = 2 ** -52;

/**
 * Mean log loss of `proba` (n × width, row-major) against class indices `yTrue`. `width` 1 means
 * binary with p = P(class 1) per row (the bce output): sklearn clips p first, then uses [1 − p, p].
 * NaN with no rows.
 */
export function logLoss(yTrue: ArrayLike<number>, proba: ArrayLike<number>, width: number): number {
  const n = yTrue.length;
  if (proba.length !== n * width) throw new RangeError(`proba has ${proba.length} values, not ${n}×${width}`);
  if (n === 0) return NaN;
  const k = width === 1 ? 2 : width;
  const row = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (!Number.isInteger(y) || y < 0 || y >= k)
      throw new RangeError(`yTrue[${i}] is ${y}; class indices are integers in [0, ${k})`);
    if (width === 1) {
      const p = clip(proba[i]);
      row[0] = 1 - p;
      row[1] = p;
    } else {
      for (let c = 0; c < k; c++) row[c] = clip(proba[i * k + c]);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += row[c];
    total -= Math.log(row[y] / sum);
  }
  return total / n;
}

function clip(p: number): number {
  return p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
}

/**
 * ASHA's rungs and the worst-case budget of a sweep (docs/sweeps.md). Pure arithmetic, shared by the
 * planner (which refuses a budget over the limit) and the scheduler's tests (which check the bound).
 */

/**
 * Epochs of each rung: e_i = min(r·η^i, R) for i = 0, 1, … until e_i = R, strictly increasing.
 * `rungEpochs(1, 9, 3)` → [1, 3, 9]; `rungEpochs(2, 10, 3)` → [2, 6, 10].
 */
export function rungEpochs(minEpochs: number, maxEpochs: number, eta: number): number[] {
  const out: number[] = [];
  for (let e = minEpochs; ; e *= eta) {
    const v = Math.min(e, maxEpochs);
    out.push(v);
    if (v >= maxEpochs) return out;
  }
}

/**
 * The most epochs ASHA can train over `n` trials: at most ⌊n_i/η⌋ of the n_i trials that reach
 * rung i are promoted, so at most min(n, ⌊n/η^i⌋) trials train the epochs from rung i−1 to rung i:
 * Σ_i min(n, ⌊n/η^i⌋) · (e_i − e_{i−1}).
 */
export function ashaEpochsMax(n: number, rungs: readonly number[], eta: number): number {
  let total = 0;
  let reach = n;
  for (let i = 0; i < rungs.length; i++) {
    total += reach * (rungs[i] - (i === 0 ? 0 : rungs[i - 1]));
    reach = Math.floor(reach / eta);
  }
  return total;
}

/**
 * Eigenvalues of a real symmetric matrix by the cyclic Jacobi method, and the classification of a
 * stationary point from its Hessian's eigenvalues.
 *
 * Jacobi: repeatedly zero the off-diagonal entry a_pq with a plane rotation J(p, q, θ), AᵀJ…, chosen
 * so that (JᵀAJ)_pq = 0: with τ = (a_qq − a_pp) / (2a_pq), t = tan θ = sign(τ)/(|τ| + √(1 + τ²)),
 * c = 1/√(1 + t²), s = t·c. Each rotation lowers the off-diagonal Frobenius norm by 2a_pq², so
 * sweeps over all pairs converge (quadratically, eventually) to a diagonal matrix holding the
 * eigenvalues. Accurate to high relative precision, fine for the small Hessians it is used on: the
 * minimize task's end point and the curvature diagnostics of supervised training.
 */

export interface SymmetricEigen {
  /** Eigenvalues in ascending order. */
  values: number[];
  /** Unit eigenvectors, `vectors[k]` belonging to `values[k]`. */
  vectors: number[][];
  /** Sweeps performed. */
  sweeps: number;
}

/**
 * Eigen-decomposition of the symmetric n×n matrix `a` (row-major, length n², or n rows).
 * Only the symmetric part (A + Aᵀ)/2 is used.
 */
export function symmetricEigen(
  a: ArrayLike<number> | number[][],
  n?: number,
  maxSweeps = 100,
): SymmetricEigen {
  let m: number[][];
  if (Array.isArray(a) && Array.isArray(a[0])) {
    m = (a as number[][]).map((r) => [...r]);
    n = m.length;
  } else {
    const flat = a as ArrayLike<number>;
    n ??= Math.round(Math.sqrt(flat.length));
    if (n * n !== flat.length)
      throw new Error(`symmetricEigen: length ${flat.length} is not n² for n = ${n}`);
    m = [];
    for (let i = 0; i < n; i++) m.push(Array.from({ length: n }, (_, j) => flat[i * n! + j]!));
  }
  const N = n;
  for (let i = 0; i < N; i++) {
    if (m[i]!.length !== N) throw new Error('symmetricEigen: matrix is not square');
    for (let j = i + 1; j < N; j++) {
      const s = 0.5 * (m[i]![j]! + m[j]![i]!);
      m[i]![j] = s;
      m[j]![i] = s;
    }
  }
  const v: number[][] = Array.from({ length: N }, (_, i) =>
    Array.from({ length: N }, (_, j) => (i === j ? 1 : 0)),
  );

  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < N; i++) {
      diag += m[i]![i]! ** 2;
      for (let j = i + 1; j < N; j++) off += m[i]![j]! ** 2;
    }
    if (off === 0 || off <= 1e-32 * diag) break;
    for (let p = 0; p < N - 1; p++) {
      for (let q = p + 1; q < N; q++) {
        const apq = m[p]![q]!;
        if (apq === 0) continue;
        const tau = (m[q]![q]! - m[p]![p]!) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        // A ← JᵀAJ: rotate rows/columns p and q
        for (let k = 0; k < N; k++) {
          const akp = m[k]![p]!;
          const akq = m[k]![q]!;
          m[k]![p] = c * akp - s * akq;
          m[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < N; k++) {
          const apk = m[p]![k]!;
          const aqk = m[q]![k]!;
          m[p]![k] = c * apk - s * aqk;
          m[q]![k] = s * apk + c * aqk;
        }
        m[p]![q] = 0;
        m[q]![p] = 0;
        for (let k = 0; k < N; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: N }, (_, i) => i).sort((i, j) => m[i]![i]! - m[j]![j]!);
  return {
    values: order.map((i) => m[i]![i]!),
    vectors: order.map((i) => v.map((row) => row[i]!)),
    sweeps,
  };
}

/** What a stationary point is, judged by the signs of the Hessian's eigenvalues. */
export type StationaryKind = 'minimum' | 'maximum' | 'saddle' | 'degenerate';

/**
 * Classify from eigenvalues: all positive → minimum, all negative → maximum, both signs → saddle,
 * otherwise (some eigenvalue ≈ 0, no sign change) degenerate. "≈ 0" means |λ| ≤ tol·max(1, max|λ|).
 */
export function classifyStationaryPoint(eigenvalues: readonly number[], tol = 1e-8): StationaryKind {
  const scale = Math.max(1, ...eigenvalues.map(Math.abs));
  const eps = tol * scale;
  const pos = eigenvalues.filter((l) => l > eps).length;
  const neg = eigenvalues.filter((l) => l < -eps).length;
  if (pos > 0 && neg > 0) return 'saddle';
  if (pos === eigenvalues.length && pos > 0) return 'minimum';
  if (neg === eigenvalues.length && neg > 0) return 'maximum';
  return 'degenerate';
}

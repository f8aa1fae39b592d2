import { describe, expect, it } from 'vitest';
import {
  LINEAR_REGRESSION_TRUTH,
  SENSITIVITY_TRUTH,
  listBuiltins,
  loadBuiltin,
  type Dataset,
} from '../../../src/data/index.js';

function row(ds: Dataset, i: number): number[] {
  return Array.from(ds.x.subarray(i * ds.features, (i + 1) * ds.features));
}

function counts(ds: Dataset): Record<number, number> {
  const c: Record<number, number> = {};
  for (const v of ds.y) c[v] = (c[v] ?? 0) + 1;
  return c;
}

/** Least squares with an intercept via the normal equations (Gauss-Jordan with partial pivoting). */
function leastSquares(ds: Dataset): { w: number[]; b: number } {
  const p = ds.features + 1;
  const A = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  for (let i = 0; i < ds.rows; i++) {
    const r = [...row(ds, i), 1];
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) A[a][b] += r[a] * r[b];
      A[a][p] += r[a] * ds.y[i];
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= p; k++) A[r][k] -= f * A[c][k];
    }
  }
  const sol = A.map((r, i) => r[p] / r[i]);
  return { w: sol.slice(0, -1), b: sol[p - 1] };
}

describe('built-in datasets', () => {
  it('load with the shapes listBuiltins() describes', () => {
    for (const info of listBuiltins()) {
      const ds = loadBuiltin(info.name);
      expect(ds.name).toBe(info.name);
      expect([ds.rows, ds.features, ds.targets]).toEqual([info.rows, info.features, info.targets]);
      expect(ds.x.length).toBe(info.rows * info.features);
      expect(ds.y.length).toBe(info.rows * info.targets);
      expect(ds.featureNames).toEqual(info.featureNames);
      expect(ds.targetNames).toEqual(info.targetNames);
      expect(ds.classes).toBe(info.classes);
      expect(ds.x.every(Number.isFinite) && ds.y.every(Number.isFinite)).toBe(true);
      if (info.task === 'classification') {
        expect(Object.keys(counts(ds)).map(Number).sort()).toEqual(Array.from({ length: info.classes! }, (_, i) => i));
      }
    }
  });

  it('are deterministic, and the generated ones follow their seed', () => {
    for (const { name } of listBuiltins()) {
      const a = loadBuiltin(name);
      const b = loadBuiltin(name);
      expect(a.x).toEqual(b.x);
      expect(a.y).toEqual(b.y);
    }
    expect(loadBuiltin('two_moons', { seed: 1 }).x).not.toEqual(loadBuiltin('two_moons').x);
    expect(loadBuiltin('two_moons', { rows: 11 }).rows).toBe(11);
    expect(() => loadBuiltin('mnist')).toThrow(/unknown built-in dataset "mnist"/);
  });

  it('iris is Fisher’s data: 50 per class, known column sums, corrected rows 35 and 38', () => {
    const ds = loadBuiltin('iris');
    expect(counts(ds)).toEqual({ 0: 50, 1: 50, 2: 50 });
    const sums = [0, 0, 0, 0];
    for (let i = 0; i < 150; i++) for (let j = 0; j < 4; j++) sums[j] += ds.x[i * 4 + j];
    // Means 5.843, 3.057, 3.758, 1.199 (as in scikit-learn's copy).
    expect(sums[0]).toBeCloseTo(876.5, 9);
    expect(sums[1]).toBeCloseTo(458.6, 9);
    expect(sums[2]).toBeCloseTo(563.7, 9);
    expect(sums[3]).toBeCloseTo(179.9, 9);
    expect(row(ds, 0)).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(row(ds, 34)).toEqual([4.9, 3.1, 1.5, 0.2]);
    expect(row(ds, 37)).toEqual([4.9, 3.6, 1.4, 0.1]);
    expect(row(ds, 149)).toEqual([5.9, 3.0, 5.1, 1.8]);
    expect([ds.y[0], ds.y[50], ds.y[100]]).toEqual([0, 1, 2]);
  });

  it('xor is the four classic points', () => {
    const ds = loadBuiltin('xor');
    expect(Array.from(ds.x)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(ds.y)).toEqual([0, 1, 1, 0]);
  });

  it('xor_noisy jitters each corner and keeps its label', () => {
    const ds = loadBuiltin('xor_noisy');
    expect(counts(ds)).toEqual({ 0: 100, 1: 100 });
    let agree = 0;
    for (let i = 0; i < ds.rows; i++) {
      const [a, b] = row(ds, i);
      agree += Number((Math.round(a) ^ Math.round(b)) === ds.y[i]);
    }
    expect(agree).toBeGreaterThan(195);
  });

  it('two_moons without noise lies on the two half circles of make_moons', () => {
    const ds = loadBuiltin('two_moons', { noise: 0 });
    expect(counts(ds)).toEqual({ 0: 100, 1: 100 });
    for (let i = 0; i < ds.rows; i++) {
      const [a, b] = row(ds, i);
      const r2 = ds.y[i] === 0 ? a * a + b * b : (a - 1) ** 2 + (b - 0.5) ** 2;
      expect(r2).toBeCloseTo(1, 12);
      expect(ds.y[i] === 0 ? b >= -1e-12 : b <= 0.5 + 1e-12).toBe(true);
    }
  });

  it('linear_regression recovers its published coefficients', () => {
    const ds = loadBuiltin('linear_regression');
    const { w, b } = leastSquares(ds);
    w.forEach((v, j) => expect(Math.abs(v - LINEAR_REGRESSION_TRUTH.weights[j])).toBeLessThan(0.02));
    expect(Math.abs(b - LINEAR_REGRESSION_TRUTH.bias)).toBeLessThan(0.02);
    const exact = loadBuiltin('linear_regression', { noise: 0 });
    const fit = leastSquares(exact);
    fit.w.forEach((v, j) => expect(v).toBeCloseTo(LINEAR_REGRESSION_TRUTH.weights[j], 9));
    expect(fit.b).toBeCloseTo(LINEAR_REGRESSION_TRUTH.bias, 9);
  });

  it('sensitivity depends only on features 0 and 2', () => {
    const ds = loadBuiltin('sensitivity', { noise: 0 });
    for (let i = 0; i < ds.rows; i++) {
      const r = row(ds, i);
      expect(ds.y[i]).toBeCloseTo(3 * r[0] - 2 * r[2] * r[2], 12);
      expect(Math.max(...r.map(Math.abs))).toBeLessThanOrEqual(1);
    }
    expect(SENSITIVITY_TRUTH.relevantFeatures).toEqual([0, 2]);
    const noisy = loadBuiltin('sensitivity');
    let sse = 0;
    for (let i = 0; i < noisy.rows; i++) sse += (noisy.y[i] - SENSITIVITY_TRUTH.f(row(noisy, i))) ** 2;
    expect(Math.sqrt(sse / noisy.rows)).toBeCloseTo(SENSITIVITY_TRUTH.noise, 1);
  });

  it('listBuiltins returns copies', () => {
    const a = listBuiltins();
    a[0].featureNames.push('mutated');
    expect(listBuiltins()[0].featureNames).not.toContain('mutated');
  });
});

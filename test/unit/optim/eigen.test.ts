import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyStationaryPoint, symmetricEigen } from '../../../src/optim/eigen.js';

describe('symmetric Jacobi eigenvalues', () => {
  it('2×2 and diagonal cases', () => {
    expect(
      symmetricEigen([
        [2, 1],
        [1, 2],
      ]).values.map((v) => +v.toFixed(12)),
    ).toEqual([1, 3]);
    expect(symmetricEigen([5, 0, 0, -3]).values).toEqual([-3, 5]);
    // Rosenbrock's Hessian at (1,1): [[802, -400], [-400, 200]]
    const { values } = symmetricEigen([
      [802, -400],
      [-400, 200],
    ]);
    const tr = 1002;
    const det = 802 * 200 - 400 * 400;
    const disc = Math.sqrt(tr * tr - 4 * det);
    expect(values[0]).toBeCloseTo((tr - disc) / 2, 10);
    expect(values[1]).toBeCloseTo((tr + disc) / 2, 10);
  });

  it('A v = λ v, eigenvalues sum to the trace, vectors orthonormal (random symmetric matrices)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 49, maxLength: 49 }),
        (n, raw) => {
          const a: number[][] = Array.from({ length: n }, (_, i) =>
            Array.from({ length: n }, (_, j) => (raw[i * 7 + j]! + raw[j * 7 + i]!) / 2),
          );
          const { values, vectors } = symmetricEigen(a);
          const scale = Math.max(1, ...a.flat().map(Math.abs));
          let trace = 0;
          for (let i = 0; i < n; i++) trace += a[i]![i]!;
          expect(Math.abs(values.reduce((s, x) => s + x, 0) - trace)).toBeLessThan(1e-10 * scale * n);
          for (let k = 0; k < n; k++) {
            const vk = vectors[k]!;
            for (let i = 0; i < n; i++) {
              let av = 0;
              for (let j = 0; j < n; j++) av += a[i]![j]! * vk[j]!;
              expect(Math.abs(av - values[k]! * vk[i]!)).toBeLessThan(1e-10 * scale * n);
            }
            for (let l = 0; l < n; l++) {
              const d = vk.reduce((s, x, i) => s + x * vectors[l]![i]!, 0);
              expect(Math.abs(d - (k === l ? 1 : 0))).toBeLessThan(1e-12 * n);
            }
          }
          for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('classifies stationary points', () => {
    expect(classifyStationaryPoint([1, 2])).toBe('minimum');
    expect(classifyStationaryPoint([-1, -2])).toBe('maximum');
    expect(classifyStationaryPoint([-2, 2])).toBe('saddle');
    expect(classifyStationaryPoint([0, 2])).toBe('degenerate');
    expect(classifyStationaryPoint([1e-14, 2])).toBe('degenerate');
  });
});

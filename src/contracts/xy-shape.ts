/**
 * The shape check shared by inline JobSpec data and JSON dataset uploads: x rectangular with
 * 1…maxFeatures columns, y with one row per x row, either all numbers or all arrays of the same
 * 1…maxTargets length. Each problem is reported at its path with a message naming the rows.
 */
import type { z } from 'zod';
import { countOf, limitMessage, type Limits } from './limits.js';

/** Run a refinement only when everything below it parsed cleanly, so cross-field checks see valid values. */
export const ONLY_CLEAN = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** Add the shape issues of `d` to `ctx`; returns the feature and target counts when the shape is sound. */
export function checkXYShape(
  d: { x: number[][]; y: (number | number[])[] },
  L: Readonly<Limits>,
  ctx: z.RefinementCtx,
): { features: number; targets: number } | null {
  const features = d.x[0]?.length ?? 0;
  if (features === 0)
    ctx.addIssue({ code: 'custom', path: ['x', 0], message: 'rows of x need at least one feature' });
  if (features > L.maxFeatures) {
    ctx.addIssue({
      code: 'custom',
      path: ['x', 0],
      message: limitMessage('x has', `${features} features`, L, 'maxFeatures'),
    });
    return null;
  }
  const bad = d.x.findIndex((r) => r.length !== features);
  if (bad >= 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['x', bad],
      message: `x is not rectangular: row ${bad} has ${countOf(d.x[bad].length, 'value')}, row 0 has ${features}`,
    });
    return null;
  }
  if (d.y.length !== d.x.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['y'],
      message: `y has ${countOf(d.y.length, 'row')} but x has ${d.x.length}`,
    });
    return null;
  }
  const flat = typeof d.y[0] === 'number';
  const targets = flat ? 1 : (d.y[0] as number[]).length;
  if (targets === 0)
    ctx.addIssue({ code: 'custom', path: ['y', 0], message: 'rows of y need at least one target' });
  if (targets > L.maxTargets) {
    ctx.addIssue({
      code: 'custom',
      path: ['y', 0],
      message: limitMessage('y has', `${targets} target columns`, L, 'maxTargets'),
    });
    return null;
  }
  const badY = d.y.findIndex((r) =>
    flat ? typeof r !== 'number' : typeof r === 'number' || r.length !== targets,
  );
  if (badY >= 0) {
    const r = d.y[badY];
    ctx.addIssue({
      code: 'custom',
      path: ['y', badY],
      message: flat
        ? `y mixes numbers and arrays: row ${badY} is an array, row 0 a number`
        : `y is not rectangular: row ${badY} has ${typeof r === 'number' ? 'a number' : countOf(r.length, 'value')}, row 0 has ${targets}`,
    });
    return null;
  }
  return { features, targets };
}

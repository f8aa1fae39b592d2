/**
 * Sampling a minimize job's objective on a grid for the dashboard's contour plot. The objective is
 * compiled by src/expr (as at submission and in the trainer) and evaluated by its interpreter: the
 * expression is data, never JavaScript, on the server as in the browser.
 */
import type { Contour, ContourQuery } from '../contracts/contour.js';
import type { Job } from '../contracts/job.js';
import { ApiError } from '../contracts/problem.js';
import { compileObjective } from '../expr/compile.js';

/** The grid's box when the query names none: start and end point, with room around them. */
function defaultBox(spec: Record<string, unknown>, job: Job, vars: string[]): [number, number, number, number] {
  const start = (spec.start ?? {}) as Record<string, number>;
  const end = (job.result?.point ?? {}) as Record<string, number>;
  const span = (v: string): [number, number] => {
    const xs = [start[v], end[v]].filter((n): n is number => typeof n === 'number' && Number.isFinite(n));
    const lo = Math.min(...xs, 0);
    const hi = Math.max(...xs, 0);
    const pad = Math.max(1, (hi - lo) * 0.25);
    return [lo - pad, hi + pad];
  };
  const [xMin, xMax] = span(vars[0]);
  const [yMin, yMax] = span(vars[1]);
  return [xMin, xMax, yMin, yMax];
}

/** The box the query asked for (all four bounds or none), checked: min below max on each axis. */
function boxOf(q: ContourQuery): [number, number, number, number] | null {
  const names = ['xMin', 'xMax', 'yMin', 'yMax'] as const;
  const given = names.filter((k) => q[k] !== undefined);
  if (given.length === 0) return null;
  if (given.length < 4) {
    const missing = names.filter((k) => q[k] === undefined);
    throw new ApiError(
      'VALIDATION_ERROR',
      `give all four bounds or none: ${missing.join(', ')} missing`,
      missing.map((k) => ({ path: `/querystring/${k}`, message: 'required when another bound is given' })),
    );
  }
  for (const [lo, hi] of [
    ['xMin', 'xMax'],
    ['yMin', 'yMax'],
  ] as const)
    if (!(q[lo]! < q[hi]!))
      throw new ApiError('VALIDATION_ERROR', `${lo} (${q[lo]}) must be below ${hi} (${q[hi]})`, [
        { path: `/querystring/${hi}`, message: `must be above ${lo} ${q[lo]}, got ${q[hi]}` },
      ]);
  return [q.xMin!, q.xMax!, q.yMin!, q.yMax!];
}

/** Evenly spaced samples from lo to hi, both included. */
const linspace = (lo: number, hi: number, n: number) =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/**
 * The objective of `job` on an n × n grid. A job that is not a minimize job of exactly two
 * variables is a 409: there is no plane to draw.
 */
export function sampleContour(job: Job, q: ContourQuery): Contour {
  const spec = job.spec as Record<string, unknown>;
  if (spec.task !== 'minimize')
    throw new ApiError('CONFLICT', `Job ${job.id} is not a minimize job; only those have a contour.`);
  const variables = Object.keys((spec.start ?? {}) as object);
  if (variables.length !== 2)
    throw new ApiError(
      'CONFLICT',
      `Job ${job.id} minimizes over ${variables.length} variables; a contour needs exactly 2.`,
    );
  const objective = compileObjective(spec.objective as string | { builtin: string }, { variables });
  const [xMin, xMax, yMin, yMax] = boxOf(q) ?? defaultBox(spec, job, objective.variables);
  const x = linspace(xMin, xMax, q.n);
  const y = linspace(yMin, yMax, q.n);
  let min = Infinity;
  let max = -Infinity;
  const point = new Float64Array(2);
  const values = y.map((yj) =>
    x.map((xi) => {
      point[0] = xi;
      point[1] = yj;
      const v = objective.value(point);
      if (!Number.isFinite(v)) return null;
      if (v < min) min = v;
      if (v > max) max = v;
      return v;
    }),
  );
  return {
    jobId: job.id,
    object: 'contour',
    variables: objective.variables,
    expression: objective.expression,
    x,
    y,
    values,
    min: Number.isFinite(min) ? min : null,
    max: Number.isFinite(max) ? max : null,
  };
}

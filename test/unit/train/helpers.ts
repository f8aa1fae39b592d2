import { JobSpecSchema, type SupervisedJobSpec } from '../../../src/contracts/job-spec.js';

/** Parse a spec input with the real schema (defaults filled) and narrow it to supervised. */
export function spec(input: Record<string, unknown>): SupervisedJobSpec {
  const s = JobSpecSchema.parse(input);
  if (s.task !== 'supervised') throw new Error('not supervised');
  return s;
}

/** Bitwise equality of two float arrays (NaN-safe, distinguishes −0). */
export function bitEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

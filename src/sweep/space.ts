/**
 * A sweep's space: how many trials it makes, their values (grid dimensions enumerated, the others
 * drawn from a seeded generator), and setting a value at a dotted JobSpec path.
 *
 * Semantics as Ray Tune's: `grid` dimensions are enumerated by every searcher (the cartesian product,
 * row-major in the order of the space's keys: the last key varies fastest); the grid searcher
 * enumerates `choice` dimensions too and refuses the continuous ones; random and ASHA draw the other
 * dimensions once per trial, and make `trials` × (grid size) trials: sample s, grid combination g →
 * trial s·G + g. The draws come from one generator seeded with the sweep's `seed`, trial by trial in
 * plan order and, within a trial, in key order — so the same request gives the same trials.
 */
import type { SweepDimension, SweepRequest } from '../contracts/sweep.js';
import { createRng } from '../rng/rng.js';

/** A problem with the request: a path into it and a message naming what to change. */
export interface SweepIssue {
  path: (string | number)[];
  message: string;
}

type Space = SweepRequest['space'];
type Searcher = SweepRequest['searcher'];

/** Whether the searcher enumerates this dimension (rather than drawing it per trial). */
function enumerated(d: SweepDimension, searcher: Searcher): boolean {
  return d.grid !== undefined || (searcher.type === 'grid' && d.choice !== undefined);
}

/** The enumerated values of a dimension. */
function valuesOf(d: SweepDimension): unknown[] {
  return (d.grid ?? d.choice)!;
}

/**
 * The number of trials the space and searcher make, computed without enumerating anything
 * (`Infinity` past 2^53), or the issues of a space the searcher cannot run.
 */
export function trialCount(space: Space, searcher: Searcher): { count: number } | { issues: SweepIssue[] } {
  const issues: SweepIssue[] = [];
  let grid = 1;
  for (const [key, d] of Object.entries(space)) {
    if (enumerated(d, searcher)) grid *= valuesOf(d).length;
    else if (searcher.type === 'grid')
      issues.push({
        path: ['space', key, Object.keys(d)[0]],
        message: `the grid searcher enumerates grid and choice dimensions; ${key} is ${Object.keys(d)[0]}: use searcher "random" or "asha", or list the values as a grid`,
      });
    if (d.intUniform && d.intUniform[1] - d.intUniform[0] + 1 > 2 ** 32)
      issues.push({
        path: ['space', key, 'intUniform'],
        message: `intUniform spans ${d.intUniform[1] - d.intUniform[0] + 1} integers; the limit is ${2 ** 32}`,
      });
  }
  if (issues.length) return { issues };
  const count = searcher.type === 'grid' ? grid : searcher.trials * grid;
  return { count: Number.isSafeInteger(count) ? count : Infinity };
}

/**
 * Where the grid grows past `limit` trials: the first key (in space order) at which the running
 * product, times the random/ASHA `trials`, exceeds it; null if it never does.
 */
export function explodingKey(space: Space, searcher: Searcher, limit: number): string | null {
  let n = searcher.type === 'grid' ? 1 : searcher.trials;
  for (const [key, d] of Object.entries(space)) {
    if (!enumerated(d, searcher)) continue;
    n *= valuesOf(d).length;
    if (n > limit) return key;
  }
  return null;
}

/**
 * Every trial's values, in plan order: dotted path → value, keys in the space's order. Call only
 * after {@link trialCount} accepted the space and the count is within the limit.
 */
export function sampleParams(space: Space, searcher: Searcher, seed: number): Record<string, unknown>[] {
  const keys = Object.keys(space);
  const gridKeys = keys.filter((k) => enumerated(space[k], searcher));
  // Row-major: the last grid key varies fastest.
  let combos: Record<string, unknown>[] = [{}];
  for (const k of gridKeys) combos = combos.flatMap((c) => valuesOf(space[k]).map((v) => ({ ...c, [k]: v })));
  const samples = searcher.type === 'grid' ? 1 : searcher.trials;
  const rng = createRng(seed);
  const out: Record<string, unknown>[] = [];
  for (let s = 0; s < samples; s++) {
    for (const combo of combos) {
      const params: Record<string, unknown> = {};
      for (const k of keys) params[k] = k in combo ? structuredClone(combo[k]) : draw(space[k], rng);
      out.push(params);
    }
  }
  return out;
}

/** One draw of a non-enumerated dimension. */
function draw(d: SweepDimension, rng: ReturnType<typeof createRng>): unknown {
  if (d.choice) return structuredClone(d.choice[rng.int(d.choice.length)]);
  if (d.uniform) return rng.uniform(d.uniform[0], d.uniform[1]);
  if (d.logUniform) {
    const [a, b] = d.logUniform;
    return Math.exp(rng.uniform(Math.log(a), Math.log(b)));
  }
  if (d.intUniform) return d.intUniform[0] + rng.int(d.intUniform[1] - d.intUniform[0] + 1);
  throw new Error('a grid dimension is enumerated, not drawn');
}

/** A dotted path's segments: identifiers as strings, array indices as numbers. */
export function pathSegments(path: string): (string | number)[] {
  return path.split('.').map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

/**
 * A copy of `spec` with `value` at the dotted `path`. Missing objects on the way are created (so
 * `training.epochs` works on a spec without `training`); a number segment indexes an existing array.
 * Whether the path exists in the JobSpec is for the JobSpec schema to say (a strict object refuses
 * an unknown key by name); this refuses only what cannot be set at all.
 */
export function setAtPath(
  spec: Record<string, unknown>,
  path: string,
  value: unknown,
): { ok: true; spec: Record<string, unknown> } | { ok: false; message: string } {
  const segs = pathSegments(path);
  const root = structuredClone(spec);
  let node: unknown = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const at = segs.slice(0, i).join('.') || 'the spec';
    const last = i === segs.length - 1;
    if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype')
      return { ok: false, message: `${path} is not a JobSpec path` };
    if (typeof seg === 'number') {
      if (!Array.isArray(node))
        return { ok: false, message: `${at} is not an array in the spec, so ${path} cannot index it` };
      if (seg >= node.length)
        return {
          ok: false,
          message: `${at} has ${node.length} elements in the spec; ${path} is past its end`,
        };
    } else if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      return { ok: false, message: `${at} is not an object in the spec, so ${path} cannot be set` };
    }
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[seg] = structuredClone(value);
      break;
    }
    if (container[seg] === undefined) {
      if (typeof segs[i + 1] === 'number')
        return {
          ok: false,
          message: `${segs.slice(0, i + 1).join('.')} is not in the spec, so ${path} cannot index it`,
        };
      container[seg] = {};
    }
    node = container[seg];
  }
  return { ok: true, spec: root };
}

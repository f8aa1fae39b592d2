/** Loading and replaying the torch optimizer fixtures (test/golden/fixtures/optim*.json). */
import { readFileSync } from 'node:fs';
import {
  createOptimizer,
  scheduleAt,
  type FloatArray,
  type OptimizerSpec,
  type ScheduleSpec,
} from '../../src/optim/index.js';

export interface Trajectory {
  name: string;
  type: string;
  hp: Record<string, unknown> & { lr: number };
  dtype: 'float32' | 'float64';
  steps: number;
  grads: number[][][];
  params: number[][][];
  schedule?: ScheduleSpec;
  baseLr?: number;
  lrs?: number[];
  momenta?: (number | null)[];
}

export interface ScheduleCase {
  name: string;
  schedule: ScheduleSpec;
  baseLr: number;
  lrs: number[];
  momenta?: number[];
  stepPastTotalRaises?: boolean;
  torchError?: string;
}

export interface OptimFixture {
  problem: { paramNames: string[]; shapes: number[][]; initial: number[][] };
  trajectories: Trajectory[];
  schedules: ScheduleCase[];
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const fixture = load<OptimFixture>('optim.json');
export const fixtureF32 = load<{ trajectories: Trajectory[] }>('optim_f32.json');

export function typed(values: readonly number[], dtype: 'float32' | 'float64'): FloatArray {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

/** Normwise relative error ‖a − b‖∞ / ‖b‖∞ of one tensor. */
export function relErr(a: ArrayLike<number>, b: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/**
 * The initial weights. They are float32 values in both runs (torch initialised the float32 model and
 * the float64 run copies it), written as shortest float32 decimals, hence the fround.
 */
export function initialParams(dtype: 'float32' | 'float64'): FloatArray[] {
  return fixture.problem.initial.map((v) => typed(v.map(Math.fround), dtype));
}

/**
 * Replays a torch trajectory with torch's gradients; returns the worst relative error over all
 * steps and tensors, plus the lr/momentum sequence our schedule produced.
 */
export function replay(t: Trajectory): { maxErr: number; lrs: number[]; momenta: (number | undefined)[] } {
  const opt = createOptimizer({ type: t.type, ...t.hp } as OptimizerSpec);
  const params = initialParams(t.dtype);
  const state = opt.init(params);
  let maxErr = 0;
  const lrs: number[] = [];
  const momenta: (number | undefined)[] = [];
  for (let k = 0; k < t.steps; k++) {
    const ctx = t.schedule ? scheduleAt(t.schedule, t.hp.lr, k) : { lr: t.hp.lr };
    lrs.push(ctx.lr);
    momenta.push(ctx.momentum);
    const grads = t.grads[k].map((g) => typed(g, t.dtype));
    opt.step(params, grads, state, ctx);
    for (let i = 0; i < params.length; i++) maxErr = Math.max(maxErr, relErr(params[i], t.params[k][i]));
  }
  return { maxErr, lrs, momenta };
}

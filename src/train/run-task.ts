/**
 * One entry point for every task of a JobSpec, so the worker runs any job the same way:
 * supervised training (`train`), function minimization (`runMinimize`) and policy-gradient
 * reinforcement learning (`runReinforce`). Each returns weights, a result, and a resume state
 * that the same function continues from.
 */
import type { JobSpec } from '../contracts/job-spec.js';
import type { Dataset } from '../data/types.js';
import { ExprError } from '../expr/errors.js';
import { runMinimize, type MinimizeCheckpoint } from '../expr/minimize.js';
import type { NamedWeights } from '../models/predict.js';
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../optim/index.js';
import { runReinforce, type ReinforceCheckpoint } from '../rl/reinforce.js';
import { train } from './loop.js';
import { decodeResumeState, encodeResumeState } from './state.js';
import type { ResumeState, TrainOptions } from './types.js';

/** Events of any task: the supervised ones, a minimize trajectory point, an RL episode. */
export type TaskEvent =
  | Parameters<NonNullable<TrainOptions['onEvent']>>[0]
  | { type: 'progress'; step: number; epoch: number; loss: number; lr: number | null; gradNorm: number; point: Record<string, number>; value: number }
  | { type: 'episode'; episode: number; return: number; length: number; entropy: number; meanReturn100: number };

export interface TaskOptions extends Omit<TrainOptions, 'onEvent' | 'onCheckpoint' | 'resume'> {
  onEvent?(e: TaskEvent): void;
  /** Receives the task's resume state, already JSON-safe. */
  onCheckpoint?(state: JsonSafe): void | Promise<void>;
  /** A state previously passed to onCheckpoint. */
  resume?: JsonSafe;
}

export interface TaskOutcome {
  status: 'succeeded' | 'cancelled' | 'failed';
  /** The task's result (supervised: loss, metrics, …; minimize: point, value, Hessian, …; reinforce: meanReturn100, …). */
  result: ({ loss: number | null; valLoss: number | null; metrics: Record<string, number>; parameters: number; durationMs: number } & Record<string, unknown>) | null;
  error: { code: string; message: string } | null;
  weights: NamedWeights;
}

/** Run the job's task. Problems of the run end as `failed` with a code; nothing of the run throws. */
export async function runTask(spec: JobSpec, data: Dataset | null, opts: TaskOptions = {}): Promise<TaskOutcome> {
  switch (spec.task) {
    case 'supervised': {
      if (!data) throw new Error('a supervised job needs its dataset');
      const out = await train(spec, data, {
        ...opts,
        onEvent: opts.onEvent,
        resume: opts.resume ? decodeResumeState(opts.resume) : undefined,
        onCheckpoint: opts.onCheckpoint ? (s: ResumeState) => opts.onCheckpoint!(encodeResumeState(s)) : undefined,
      });
      return { status: out.status, result: out.result as TaskOutcome['result'], error: out.error, weights: out.weights };
    }
    case 'minimize': {
      let out;
      try {
        out = await runMinimize(spec, {
          signal: opts.signal,
          checkpointEveryMs: opts.checkpointEveryMs,
          resume: opts.resume ? decodeOptimState<MinimizeCheckpoint>(opts.resume) : undefined,
          onCheckpoint: opts.onCheckpoint ? (c) => opts.onCheckpoint!(encodeOptimState(c)) : undefined,
          onEvent: (e) =>
            opts.onEvent?.({ type: 'progress', step: e.step, epoch: 1, loss: e.value, lr: e.lr, gradNorm: e.gradNorm, point: e.point, value: e.value }),
        });
      } catch (e) {
        if (e instanceof ExprError) return { status: 'failed', result: null, error: { code: 'INVALID_OBJECTIVE', message: e.message }, weights: {} };
        throw e;
      }
      const r = out.result;
      const weights: NamedWeights = r
        ? { point: { shape: [r.variables.length], data: Float64Array.from(r.variables.map((v) => r.point[v])) } }
        : {};
      return {
        status: out.status,
        error: out.error,
        weights,
        result: r
          ? { loss: r.value, valLoss: null, metrics: { value: r.value, gradNorm: r.gradNorm }, parameters: r.variables.length, durationMs: r.durationMs, steps: r.steps, minimize: r }
          : null,
      };
    }
    case 'reinforce': {
      const out = await runReinforce(spec, {
        signal: opts.signal,
        checkpointEveryMs: opts.checkpointEveryMs,
        resume: opts.resume ? decodeOptimState<ReinforceCheckpoint>(opts.resume) : undefined,
        onCheckpoint: opts.onCheckpoint ? (c) => opts.onCheckpoint!(encodeOptimState(c)) : undefined,
        onEvent: (e) => opts.onEvent?.(e),
      });
      const r = out.result;
      const parameters = Object.values(out.weights).reduce((a, w) => a + w.data.length, 0);
      return {
        status: out.status,
        error: null,
        weights: out.weights,
        result: {
          loss: null, valLoss: null, metrics: { meanReturn100: r.meanReturn100 }, parameters, durationMs: r.durationMs, steps: r.episodes, reinforce: r,
        },
      };
    }
  }
}

/**
 * One entry point for every task of a JobSpec, so the worker runs any job the same way:
 * supervised training (`train`), function minimization (`runMinimize`) and policy-gradient
 * reinforcement learning (`runReinforce`). Each returns weights, a result, and a resume state
 * that the same function continues from.
 */
import type { JobSpec, SupervisedJobSpec } from '../../contracts/job-spec.js';
import { PreprocessError } from '../../data/preprocess/types.js';
import type { JobErrorCode } from '../../contracts/problem.js';
import type { Dataset } from '../../data/types.js';
import { ExprError } from '../../expr/errors.js';
import type { NamedWeights } from '../../tensor/index.js';
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../../optim/index.js';
import { decodeResumeState, encodeResumeState } from '../state.js';
import { runMinimize, type MinimizeCheckpoint } from './minimize.js';
import { runReinforce, type EpisodeEvent, type ReinforceCheckpoint } from './reinforce.js';
import { train } from './supervised.js';
import { prepareSupervised, tableResults, type PreparedData } from '../tables.js';
import type { ResumeState, TrainEvent, TrainOptions } from '../types.js';
import type { TaskCheckpoint } from '../task-checkpoint.js';

/** A minimize trajectory point as a progress event (epoch 1, loss = value). */
interface MinimizeProgressEvent {
  type: 'progress';
  step: number;
  epoch: number;
  loss: number;
  lr: number | null;
  gradNorm: number;
  point: Record<string, number>;
  value: number;
}

/** Events of any task: the supervised ones, a minimize trajectory point, an RL episode. */
export type TaskEvent = TrainEvent | MinimizeProgressEvent | EpisodeEvent;

export interface TaskOptions extends Omit<TrainOptions, 'onEvent' | 'onCheckpoint' | 'resume'> {
  onEvent?(e: TaskEvent): void;
  /** Receives checkpoints, already JSON-safe (store them as they are). */
  onCheckpoint?(c: TaskCheckpoint): void | Promise<void>;
  /** A checkpoint previously passed to onCheckpoint, of the same spec. */
  resume?: TaskCheckpoint;
}

function resumeOf(task: JobSpec['task'], c: TaskCheckpoint | undefined): JsonSafe | undefined {
  if (!c) return undefined;
  if (c.task !== task) throw new Error(`checkpoint of a ${c.task} job cannot resume a ${task} job`);
  return c.state;
}

export interface TaskOutcome {
  /**
   * `paused`: a supervised run stopped at `opts.untilEpoch` (a sweep's rung); `result` and
   * `weights` are as of that epoch and the last checkpoint delivered resumes it.
   */
  status: 'succeeded' | 'cancelled' | 'failed' | 'paused';
  /**
   * The task's result: loss, valLoss, metrics, parameters, durationMs for every task, plus the
   * task's own fields (supervised: sensitivity, curvature; minimize: point, value, gradient,
   * hessian, eigenvalues, classification; reinforce: meanReturn100, solved, solvedAtEpisode).
   */
  result:
    | ({
        loss: number | null;
        valLoss: number | null;
        metrics: Record<string, number>;
        parameters: number;
        durationMs: number;
      } & Record<string, unknown>)
    | null;
  error: { code: JobErrorCode; message: string } | null;
  weights: NamedWeights;
}

/** The tables work before training; a data problem (PreprocessError) ends the job as DATA_ERROR. */
function prepareTables(spec: SupervisedJobSpec, data: Dataset): PreparedData | TaskOutcome {
  try {
    return prepareSupervised(spec, data);
  } catch (e) {
    if (e instanceof PreprocessError)
      return {
        status: 'failed',
        result: null,
        error: { code: 'DATA_ERROR', message: e.message },
        weights: {},
      };
    throw e;
  }
}

/** Run the job's task. Problems of the run end as `failed` with a code; nothing of the run throws. */
export async function runTask(
  spec: JobSpec,
  data: Dataset | null,
  opts: TaskOptions = {},
): Promise<TaskOutcome> {
  // What the runner of every task takes as it is (supervised training takes all of opts).
  const runner = {
    signal: opts.signal,
    checkpointEveryMs: opts.checkpointEveryMs,
    progressEveryMs: opts.progressEveryMs,
    maxWallSeconds: opts.maxWallSeconds,
  };
  switch (spec.task) {
    case 'supervised': {
      if (!data) throw new Error('a supervised job needs its dataset');
      const resume = resumeOf('supervised', opts.resume);
      const prepared = prepareTables(spec, data);
      if ('error' in prepared) return prepared;
      const out = await train(spec, prepared.data, {
        ...opts,
        split: prepared.split,
        onEvent: opts.onEvent,
        resume: resume ? decodeResumeState(resume) : undefined,
        onCheckpoint: opts.onCheckpoint
          ? (s: ResumeState) =>
              opts.onCheckpoint!({
                task: 'supervised',
                step: s.step,
                epoch: s.epoch,
                state: encodeResumeState(s),
              })
          : undefined,
      });
      const result =
        (out.status === 'succeeded' || out.status === 'paused') && out.result
          ? { ...out.result, ...tableResults(spec, prepared, out.weights) }
          : out.result;
      return {
        status: out.status,
        result: result as TaskOutcome['result'],
        error: out.error,
        weights: out.weights,
      };
    }
    case 'minimize': {
      let out;
      try {
        const resume = resumeOf('minimize', opts.resume);
        out = await runMinimize(spec, {
          ...runner,
          resume: resume ? decodeOptimState<MinimizeCheckpoint>(resume) : undefined,
          onCheckpoint: opts.onCheckpoint
            ? (c) =>
                opts.onCheckpoint!({
                  task: 'minimize',
                  step: c.step,
                  epoch: c.step,
                  state: encodeOptimState(c),
                })
            : undefined,
          onEvent: (e) =>
            opts.onEvent?.({
              type: 'progress',
              step: e.step,
              epoch: 1,
              loss: e.value,
              lr: e.lr,
              gradNorm: e.gradNorm,
              point: e.point,
              value: e.value,
            }),
        });
      } catch (e) {
        if (e instanceof ExprError)
          return {
            status: 'failed',
            result: null,
            error: { code: 'INVALID_OBJECTIVE', message: e.message },
            weights: {},
          };
        throw e;
      }
      const r = out.result;
      // The "weights" of a minimize job are the point found, one scalar per variable.
      const weights: NamedWeights = {};
      const F = spec.dtype === 'float32' ? Float32Array : Float64Array;
      if (r) for (const v of r.variables) weights[v] = { shape: [], data: F.of(r.point[v]) };
      return {
        status: out.status,
        error: out.error,
        weights,
        result: r
          ? {
              ...r,
              loss: r.value,
              valLoss: null,
              metrics: { value: r.value, gradNorm: r.gradNorm },
              parameters: r.variables.length,
              durationMs: r.durationMs,
              steps: r.steps,
            }
          : null,
      };
    }
    case 'reinforce': {
      const resume = resumeOf('reinforce', opts.resume);
      const out = await runReinforce(spec, {
        ...runner,
        resume: resume ? decodeOptimState<ReinforceCheckpoint>(resume) : undefined,
        onCheckpoint: opts.onCheckpoint
          ? (c) =>
              opts.onCheckpoint!({
                task: 'reinforce',
                step: c.episode,
                epoch: c.episode,
                state: encodeOptimState(c),
              })
          : undefined,
        onEvent: (e) => opts.onEvent?.(e),
      });
      const r = out.result;
      const parameters = Object.values(out.weights).reduce((a, w) => a + w.data.length, 0);
      return {
        status: out.status,
        error: out.error,
        weights: out.weights,
        result: {
          ...r,
          loss: null,
          valLoss: null,
          metrics: { meanReturn100: r.meanReturn100 },
          parameters,
          durationMs: r.durationMs,
          steps: r.episodes,
        },
      };
    }
  }
}

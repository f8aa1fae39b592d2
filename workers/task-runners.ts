/**
 * Adapters that run the `minimize` and `reinforce` tasks through the same worker path as supervised
 * training: their runners' events become progress events, their results become job results, and
 * their checkpoints (plain data with typed arrays) are made JSON with src/optim's exact codec.
 */
import type { MinimizeJobSpec, ReinforceJobSpec } from '../src/contracts/job-spec.js';
import { runMinimize, type MinimizeCheckpoint } from '../src/expr/minimize.js';
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../src/optim/state-codec.js';
import { runReinforce, type ReinforceCheckpoint, type ReinforceSpec } from '../src/rl/reinforce.js';
import type { NamedWeights } from '../src/queue/safetensors.js';
import type { TrainOptionsLike, TrainOutcomeLike } from './train-types.js';

/** A checkpoint of a non-supervised task, already JSON-safe, with its position for the event. */
export interface TaskCheckpoint {
  codec: 'optim-state';
  step: number;
  epoch: number;
  data: JsonSafe;
}

export function isTaskCheckpoint(v: unknown): v is TaskCheckpoint {
  return !!v && typeof v === 'object' && (v as { codec?: unknown }).codec === 'optim-state';
}

function decodeResume<T>(resume: unknown): T | undefined {
  return isTaskCheckpoint(resume) ? decodeOptimState<T>(resume.data) : undefined;
}

function countParameters(w: NamedWeights): number {
  return Object.values(w).reduce((n, t) => n + t.data.length, 0);
}

/** Minimize an expression or a built-in test function; the final point is the "weights". */
export async function runMinimizeTask(
  spec: MinimizeJobSpec,
  opts: TrainOptionsLike,
): Promise<TrainOutcomeLike> {
  const out = await runMinimize(spec, {
    signal: opts.signal,
    checkpointEveryMs: opts.checkpointEveryMs,
    resume: decodeResume<MinimizeCheckpoint>(opts.resume),
    onCheckpoint: (c) =>
      opts.onCheckpoint?.({
        codec: 'optim-state',
        step: c.step,
        epoch: c.step,
        data: encodeOptimState(c),
      } satisfies TaskCheckpoint),
    onEvent: (e) =>
      opts.onEvent?.({
        type: 'progress',
        step: e.step,
        epoch: e.step,
        loss: e.value,
        lr: e.lr ?? NaN,
        gradNorm: e.gradNorm,
        extra: { point: e.point, value: e.value },
      }),
  });
  const r = out.result;
  const dtype = spec.dtype === 'float32' ? Float32Array : Float64Array;
  const weights: NamedWeights = {};
  if (r) for (const v of r.variables) weights[v] = { shape: [], data: new dtype([r.point[v]]) };
  return {
    status: out.status,
    result: r
      ? {
          ...r,
          loss: r.value,
          valLoss: null,
          metrics: { gradNorm: r.gradNorm },
          parameters: r.variables.length,
          durationMs: r.durationMs,
          steps: r.steps,
        }
      : null,
    error: out.error,
    weights,
  };
}

/** REINFORCE on a built-in environment; the policy network is the weights. */
export async function runReinforceTask(
  spec: ReinforceJobSpec,
  opts: TrainOptionsLike,
): Promise<TrainOutcomeLike> {
  const out = await runReinforce(spec as unknown as ReinforceSpec, {
    signal: opts.signal,
    checkpointEveryMs: opts.checkpointEveryMs,
    resume: decodeResume<ReinforceCheckpoint>(opts.resume),
    onCheckpoint: (c) =>
      opts.onCheckpoint?.({
        codec: 'optim-state',
        step: c.episode,
        epoch: c.episode,
        data: encodeOptimState(c),
      } satisfies TaskCheckpoint),
    onEvent: (e) =>
      opts.onEvent?.({
        type: 'progress',
        step: e.episode,
        epoch: e.episode,
        loss: NaN,
        lr: NaN,
        gradNorm: NaN,
        extra: { return: e.return, length: e.length, entropy: e.entropy, meanReturn100: e.meanReturn100 },
      }),
  });
  const r = out.result;
  return {
    status: out.status,
    result: {
      ...r,
      loss: null,
      valLoss: null,
      metrics: { meanReturn100: r.meanReturn100 },
      parameters: countParameters(out.weights),
      durationMs: r.durationMs,
      steps: r.episodes,
    },
    error: null,
    weights: out.weights,
  };
}

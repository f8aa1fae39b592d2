import { useFastestKernels, selectKernels } from '../src/tensor/kernels/select.js';
import { runTask, type TaskCheckpoint, type TaskEvent } from '../src/train/index.js';
import type { Trainer, TrainEventLike, TrainOptionsLike } from './train-types.js';

let selected: string | null = null;

/**
 * Task events as the event writer takes them: supervised events as they are; a minimize
 * trajectory point and an RL episode become progress events carrying their own fields.
 */
function toWriterEvent(e: TaskEvent): TrainEventLike {
  if (e.type === 'episode') {
    return {
      type: 'progress',
      step: e.episode,
      epoch: e.episode,
      loss: NaN,
      lr: NaN,
      gradNorm: NaN,
      extra: {
        episode: e.episode,
        return: e.return,
        length: e.length,
        entropy: e.entropy,
        meanReturn100: e.meanReturn100,
      },
    };
  }
  if (e.type === 'progress' && 'point' in e) {
    return {
      type: 'progress',
      step: e.step,
      epoch: e.epoch,
      loss: e.loss,
      lr: e.lr ?? NaN,
      gradNorm: e.gradNorm,
      extra: { point: e.point, value: e.value },
    };
  }
  if (e.type === 'progress') {
    return {
      type: 'progress',
      step: e.step,
      epoch: e.epoch,
      loss: e.loss,
      lr: e.lr,
      gradNorm: e.gradNorm,
      extra: { updateRatio: e.updateRatio },
    };
  }
  if (e.type === 'epoch') {
    const { newton, ...rest } = e;
    return newton ? { ...rest, extra: { newton } } : rest;
  }
  return e;
}

/**
 * The real trainer: `runTask` from src/train (every task: supervised, minimize, reinforce) on the
 * fastest kernel backend available in this process. Checkpoints are JSON-safe TaskCheckpoints,
 * stored as they are.
 */
export const realTrainer: Trainer = {
  async train(spec, dataset, opts: TrainOptionsLike) {
    if (selected === null) selected = useFastestKernels().name;
    return runTask(spec, dataset, {
      signal: opts.signal,
      progressEveryMs: opts.progressEveryMs,
      maxWallSeconds: opts.maxWallSeconds,
      checkpointEveryMs: opts.checkpointEveryMs,
      resume: opts.resume as TaskCheckpoint | undefined,
      onEvent: opts.onEvent ? (e) => opts.onEvent!(toWriterEvent(e)) : undefined,
      onCheckpoint: opts.onCheckpoint,
    }) as never;
  },
  encodeResumeState: (s) => s,
  decodeResumeState: (o) => {
    const c = o as Partial<TaskCheckpoint> | null;
    if (!c || typeof c.task !== 'string' || typeof c.step !== 'number' || c.state === undefined)
      throw new Error('not a checkpoint');
    return c;
  },
  backend: () => selected ?? selectKernels().name,
};

/**
 * What every task checkpoints through `runTask`: where it stands and its JSON-safe resume state;
 * stored as it is, and checked when read back. No runtime imports: the worker process reads
 * checkpoints without loading the training code.
 */
import type { JobSpec } from '../contracts/job-spec.js';
import type { JsonSafe } from '../optim/index.js';

/** A checkpoint of any task: where it stands, and its JSON-safe resume state. */
export interface TaskCheckpoint {
  task: JobSpec['task'];
  /** Optimizer steps (supervised, minimize) or episodes (reinforce) done. */
  step: number;
  /** Completed epochs (supervised); equal to step for the other tasks. */
  epoch: number;
  state: JsonSafe;
}

/**
 * A checkpoint read back from the store, checked to be one this module wrote (throws otherwise;
 * the caller then starts over). Its state is checked by the task that resumes from it.
 */
export function parseTaskCheckpoint(saved: unknown): TaskCheckpoint {
  const c = saved as Partial<TaskCheckpoint> | null;
  if (!c || typeof c.task !== 'string' || typeof c.step !== 'number' || c.state === undefined)
    throw new Error('not a checkpoint');
  return c as TaskCheckpoint;
}

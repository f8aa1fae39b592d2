/** The messages between a contained job's thread (trainer-thread.ts) and its parent (contained-trainer.ts). */
import type { JobSpec } from '../src/contracts/job-spec.js';
import type { Dataset } from '../src/data/index.js';
import type { TaskCheckpoint, TaskEvent, TaskOptions, TaskOutcome } from '../src/train/index.js';

/** Exit code of a thread whose watchdog saw heap + external memory over the limit. */
export const OOM_EXIT_CODE = 137;

/** One job for the thread (structured-cloned, so no functions). */
export interface ThreadInput {
  spec: JobSpec;
  data: Dataset | null;
  /** Heap + external (typed arrays) bytes the thread may hold. */
  limitBytes: number;
  opts: Pick<
    TaskOptions,
    'progressEveryMs' | 'maxWallSeconds' | 'checkpointEveryMs' | 'untilEpoch' | 'resume' | 'fromJob'
  >;
}

export type ToThread =
  { type: 'run'; input: ThreadInput } | { type: 'abort' } | { type: 'ack'; id: number; error?: string };

export type FromThread =
  | { type: 'event'; event: TaskEvent }
  | { type: 'checkpoint'; id: number; checkpoint: TaskCheckpoint }
  /** The watchdog's reading, sent just before it ends the thread. */
  | { type: 'over'; what: string }
  | { type: 'done'; outcome: TaskOutcome }
  | { type: 'crash'; message: string };

/**
 * What a worker trains with: the trainer seam (`runTask` of src/train, or a stand-in in tests) and
 * the real one. Type-only importers (the job attempt, the sandbox, the stub) load none of src/train.
 */
import type { JobSpec } from '../src/contracts/job-spec.js';
import type { Dataset } from '../src/data/index.js';
import { selectKernels, useFastestKernels } from '../src/tensor/kernels/select.js';
import { runTask, type TaskOptions, type TaskOutcome } from '../src/train/index.js';

/** What a trainer is told about the job beyond its spec: the API's memory estimate (its heap limit derives from it). */
export interface TrainerJob {
  estimateBytes: number;
}

/** The trainer injected into a job attempt: `runTask`'s own signature, and its kernel backend. */
export interface Trainer {
  run(spec: JobSpec, data: Dataset | null, opts: TaskOptions, job?: TrainerJob): Promise<TaskOutcome>;
  /** Name of the kernel backend this process trains with (shown by /readyz). */
  backend(): string;
}

let selected: string | null = null;

/** `runTask` (every task: supervised, minimize, reinforce) on the fastest kernel backend available. */
export const realTrainer: Trainer = {
  run(spec, data, opts) {
    if (selected === null) selected = useFastestKernels().name;
    return runTask(spec, data, opts);
  },
  backend: () => selected ?? selectKernels().name,
};

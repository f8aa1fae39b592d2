import { train, encodeResumeState, decodeResumeState } from '../src/train/index.js';
import { useFastestKernels, selectKernels } from '../src/tensor/kernels/select.js';
import type { Trainer } from './train-types.js';
import { isTaskCheckpoint, runMinimizeTask, runReinforceTask } from './task-runners.js';

let selected: string | null = null;

/** The real trainer (src/train) on the fastest kernel backend available in this process. */
export const realTrainer: Trainer = {
  async train(spec, dataset, opts) {
    if (selected === null) selected = useFastestKernels().name;
    if (spec.task === 'minimize') return runMinimizeTask(spec, opts);
    if (spec.task === 'reinforce') return runReinforceTask(spec, opts);
    if (!dataset) throw new Error('a supervised job needs its dataset');
    // The trainer's own types are the source of truth; this module only adapts names.
    return (await train(spec, dataset, opts as never)) as never;
  },
  // Minimize and reinforce checkpoints arrive already encoded (TaskCheckpoint).
  encodeResumeState: (s) => (isTaskCheckpoint(s) ? s : encodeResumeState(s as never)),
  decodeResumeState: (o) => (isTaskCheckpoint(o) ? o : decodeResumeState(o as never)),
  backend: () => selected ?? selectKernels().name,
};

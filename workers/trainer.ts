import { train, encodeResumeState, decodeResumeState } from '../src/train/index.js';
import { useFastestKernels, selectKernels } from '../src/tensor/kernels/select.js';
import type { Trainer } from './train-types.js';

let selected: string | null = null;

/** The real trainer (src/train) on the fastest kernel backend available in this process. */
export const realTrainer: Trainer = {
  async train(spec, dataset, opts) {
    if (selected === null) selected = useFastestKernels().name;
    if (spec.task !== 'supervised' || !dataset) {
      return {
        status: 'failed',
        result: null,
        error: { code: 'UNSUPPORTED_TASK', message: `task ${spec.task} is not run by this worker yet` },
        weights: {},
      };
    }
    // The trainer's own types are the source of truth; this module only adapts names.
    return (await train(spec, dataset, opts as never)) as never;
  },
  encodeResumeState: (s) => encodeResumeState(s as never),
  decodeResumeState: (o) => decodeResumeState(o as never),
  backend: () => selected ?? selectKernels().name,
};

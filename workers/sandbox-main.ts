/**
 * The file BullMQ forks for training jobs (compiled: dist/workers/sandbox-main.js): CPU-bound
 * training runs in this child, so the worker's own event loop keeps renewing the job lock.
 */
import { createProcessor } from './sandbox.js';
import { containedTrainer } from './contained-trainer.js';
import { selectKernels } from '../src/tensor/kernels/select.js';

// Each job trains in a thread of its own with a memory limit from its estimate (contained-trainer.ts).
// The trainer itself loads in that thread; this process needs only the kernel choice's name.
export default createProcessor(async (cfg) =>
  containedTrainer({ maxHeapMb: cfg.jobMaxHeapMb, backend: () => selectKernels().name }),
);

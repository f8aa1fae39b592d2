/**
 * The file BullMQ forks for training jobs (compiled: dist/workers/sandbox-main.js): CPU-bound
 * training runs in this child, so the worker's own event loop keeps renewing the job lock.
 */
import { createProcessor } from './sandbox.js';
import { containedTrainer } from './contained-trainer.js';

// Each job trains in a thread of its own with a memory limit from its estimate (contained-trainer.ts).
export default createProcessor(async (cfg) => {
  const { realTrainer } = await import('./trainer.js');
  return containedTrainer({ maxHeapMb: cfg.jobMaxHeapMb, backend: () => realTrainer.backend() });
});

/**
 * The file BullMQ forks for training jobs (compiled: dist/workers/sandbox-main.js): CPU-bound
 * training runs in this child, so the worker's own event loop keeps renewing the job lock.
 */
import { createProcessor } from './sandbox.js';

export default createProcessor(async () => (await import('./trainer.js')).realTrainer);

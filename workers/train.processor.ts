/**
 * The sandboxed processor BullMQ forks for training jobs: CPU-bound training runs in this child,
 * so the worker's own event loop keeps renewing the job lock.
 */
import { createProcessor } from './processor-core.js';

export default createProcessor(async () => (await import('./trainer.js')).realTrainer);

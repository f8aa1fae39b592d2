/** Sandboxed processor for worker-path tests: the real job runner with the stand-in trainer. */
import { createProcessor } from '../../workers/sandbox.js';

export default createProcessor(async () => (await import('./stub-trainer.js')).stubTrainer);

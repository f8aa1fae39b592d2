/**
 * Acceptance 1 — kill -9 a worker at 20 seeded random moments across one job of every optimizer
 * type, in real worker processes (`workers/main.ts`, real trainer, sandboxed child) against a real
 * redis-server. Every kill must take the worker's sandbox child with it (no orphan keeps training),
 * every job must end `succeeded`, and its weights must equal, bit for bit, those of an
 * uninterrupted `train()` of the same spec in this process.
 */
import { crashResumeTest } from '../helpers/crash-run.js';
import { optimizerJobs } from '../helpers/optimizer-jobs.js';

crashResumeTest(
  '20 kill -9s across every optimizer: no orphan, every job succeeds with bit-identical weights',
  {
    // Long enough that every job is still running when its turn to be killed comes: a resumed
    // attempt first starts a trainer thread (issue 20's memory containment), which takes a while
    // from sources on a loaded machine, and a job only becomes a candidate once it checkpointed.
    specs: optimizerJobs(0.8),
    kills: 20,
    minKilled: 8,
    first: ['lbfgs', 'newton'],
    prefix: 'crash',
  },
);

/**
 * Issue 11, acceptance 5 (crash recovery): kill -9 the worker under sequential jobs whose state goes
 * beyond weights and optimizer moments — a CNN with batchnorm (running statistics) and dropout (its
 * generator), a 2-layer LSTM with dropout between layers (the fused recurrent ops) — at seeded random
 * moments; each resumes from its checkpoint and ends bit for bit equal to an uninterrupted run.
 */
import { crashResumeTest } from '../helpers/crash-run.js';
import { sequentialJobs } from '../helpers/optimizer-jobs.js';

crashResumeTest('6 kill -9s across sequential jobs: no orphan, each succeeds with bit-identical weights', {
  // Long enough that each job is still running at its turn: a resumed attempt first starts its
  // trainer thread, and at 1 the CNN once ended before its first kill on a loaded machine.
  specs: sequentialJobs(2),
  kills: 6,
  minKilled: 2,
  prefix: 'crash-seq',
});

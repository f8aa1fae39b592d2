/**
 * The training layer: the runner every task goes through (runner.ts), the tasks (tasks/: supervised,
 * second-order, minimize, reinforce), `runTask` over them, and the resume-state codec.
 */
export { train } from './tasks/supervised.js';
export { flatObjective } from './flat-objective.js';
export { encodeResumeState, decodeResumeState } from './state.js';
export type * from './types.js';
export { runTask, type TaskEvent, type TaskOptions, type TaskOutcome } from './tasks/index.js';
export type { TaskCheckpoint } from './task-checkpoint.js';
export { storedEvent, toStreamEvent } from './stream-event.js';

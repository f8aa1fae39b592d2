/**
 * The training layer: the runner every task goes through (runner.ts), the tasks (tasks/: supervised,
 * second-order, minimize, reinforce), `runTask` over them, and the resume-state codec.
 */
export { train, deriveRngs } from './tasks/supervised.js';
export { globalNorm, clipInPlace } from './tasks/first-order.js';
export { namedWeights } from './named-weights.js';
export { flatObjective } from './flat-objective.js';
export { encodeResumeState, decodeResumeState } from './state.js';
export { scoreOn, evaluate, inputsOf, makeTargets, outputWidthFor } from './batches.js';
export { SpecError, initialValues } from './init-values.js';
export type * from './types.js';
export { runTask, type TaskEvent, type TaskOptions, type TaskOutcome } from './tasks/index.js';
export { parseTaskCheckpoint, type TaskCheckpoint } from './task-checkpoint.js';
export { storedEvent, toStreamEvent, type StreamEvent } from './stream-event.js';

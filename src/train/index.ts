/** The training layer: supervised training loop, second-order runners, resume-state codec. */
export { train, deriveRngs, globalNorm, clipInPlace } from './loop.js';
export { namedWeights } from './named-weights.js';
export { flatObjective } from './flat-objective.js';
export { encodeResumeState, decodeResumeState } from './state.js';
export { scoreOn, evaluate, inputsOf, makeTargets, outputWidthFor } from './batches.js';
export { SpecError, initialValues } from './init-values.js';
export type * from './types.js';
export {
  runTask,
  type TaskCheckpoint,
  type TaskEvent,
  type TaskOptions,
  type TaskOutcome,
} from './run-task.js';

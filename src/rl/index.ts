/** Reinforcement learning: seeded environments and REINFORCE. */
export type { Env, StepResult } from './env.js';
export { Bandit, CartPole, GridWorld, createEnv, type EnvConfig } from './envs/index.js';
export { CARTPOLE } from './envs/cartpole.js';
export {
  createMlp,
  mlpForward,
  mlpBackward,
  mlpParamNames,
  softmaxOf,
  zeroGrads,
  type Mlp,
  type MlpActivation,
} from './mlp.js';
export {
  runReinforce,
  rollout,
  discountedReturns,
  reinforceGradient,
  sampleCategorical,
  entropyOf,
  type ReinforceSpec,
  type ReinforceCheckpoint,
  type ReinforceOptions,
  type ReinforceOutcome,
  type ReinforceResult,
  type EpisodeEvent,
  type Episode,
  type NamedWeights,
} from './reinforce.js';

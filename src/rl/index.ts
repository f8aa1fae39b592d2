/**
 * Reinforcement learning: seeded environments, the policy MLP and the policy-gradient pieces. The
 * reinforce task that trains with them is src/train/tasks/reinforce.ts.
 */
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
  rollout,
  discountedReturns,
  reinforceGradient,
  sampleCategorical,
  entropyOf,
  type Episode,
} from './policy-gradient.js';

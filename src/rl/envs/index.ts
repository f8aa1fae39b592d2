/** Build an environment from its JobSpec entry. */
import type { Rng } from '../../rng/rng.js';
import type { Env } from '../env.js';
import { Bandit } from './bandit.js';
import { CartPole } from './cartpole.js';
import { GridWorld } from './gridworld.js';

export { Bandit, CartPole, GridWorld };

/** The JobSpec's `env` (defaults filled by the schema; repeated here for direct callers). */
export type EnvConfig =
  | { type: 'cartpole'; maxSteps?: number }
  | { type: 'bandit'; arms?: number; stdDev?: number }
  | { type: 'gridworld'; size?: number; slip?: number; maxSteps?: number };

/** Create an environment; the bandit draws its arm means from `rng`. */
export function createEnv(config: EnvConfig, rng: Rng): Env {
  switch (config.type) {
    case 'cartpole':
      return new CartPole(config.maxSteps ?? 500);
    case 'bandit':
      return new Bandit(config.arms ?? 10, config.stdDev ?? 1, rng);
    case 'gridworld':
      return new GridWorld(config.size ?? 5, config.slip ?? 0, config.maxSteps ?? 100);
  }
}

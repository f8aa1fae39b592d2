/**
 * The environment interface of the reinforcement-learning task. Environments are plain, seeded and
 * deterministic: every random draw (start state, slips, reward noise) comes from the `Rng` passed in,
 * so a run is a pure function of the seed.
 */
import type { Rng } from '../rng/rng.js';

/** What one step returns (gym's 5-tuple without `info`). */
export interface StepResult {
  observation: Float64Array;
  reward: number;
  /** The episode ended inside the MDP (pole fell, goal reached, bandit pulled). */
  terminated: boolean;
  /** The episode was cut off by the step limit. */
  truncated: boolean;
}

export interface Env {
  readonly name: string;
  /** Length of the observation vector. */
  readonly observationSize: number;
  /** Number of discrete actions (0 … actionCount − 1). */
  readonly actionCount: number;
  /** Steps after which an episode is truncated. */
  readonly maxSteps: number;
  /** Mean return over the last 100 episodes at which the task counts as solved (null: no threshold). */
  readonly solvedThreshold: number | null;
  /** Start an episode; returns the first observation. */
  reset(rng: Rng): Float64Array;
  /** Apply an action. Calling it after the episode ended throws. */
  step(action: number, rng: Rng): StepResult;
}

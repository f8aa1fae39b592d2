/**
 * k-armed Gaussian bandit (Sutton & Barto §2.3): arm means μ_i ~ N(0, 1) drawn once from the seed;
 * pulling arm a pays μ_a + σ·N(0, 1). Each episode is one pull, with the constant observation [1].
 * For a softmax policy π = softmax(θ) the expected return is J(θ) = Σ_i π_i μ_i, whose gradient
 * ∂J/∂θ_j = π_j (μ_j − J) the tests compare with the REINFORCE estimate.
 */
import type { Rng } from '../../rng/rng.js';
import type { Env, StepResult } from '../env.js';

export class Bandit implements Env {
  readonly name = 'bandit';
  readonly observationSize = 1;
  readonly actionCount: number;
  readonly maxSteps = 1;
  readonly solvedThreshold = null;
  /** Arm means. */
  readonly means: Float64Array;
  readonly stdDev: number;
  private done = true;

  /** Draw the arm means from `rng` (or take them as given). */
  constructor(arms: number, stdDev: number, rngOrMeans: Rng | ArrayLike<number>) {
    this.actionCount = arms;
    this.stdDev = stdDev;
    if ('normal' in rngOrMeans) {
      this.means = new Float64Array(arms);
      for (let i = 0; i < arms; i++) this.means[i] = rngOrMeans.normal();
    } else {
      if (rngOrMeans.length !== arms)
        throw new RangeError(`bandit: ${arms} arms but ${rngOrMeans.length} means`);
      this.means = Float64Array.from(rngOrMeans);
    }
  }

  /** The best arm's mean: the highest expected return a policy can reach. */
  get optimalValue(): number {
    return Math.max(...this.means);
  }

  reset(_rng?: Rng): Float64Array {
    this.done = false;
    return new Float64Array([1]);
  }

  step(action: number, rng: Rng): StepResult {
    if (this.done) throw new Error('bandit: step() after the episode ended; call reset()');
    if (!Number.isInteger(action) || action < 0 || action >= this.actionCount) {
      throw new RangeError(`bandit: action must be an arm 0…${this.actionCount - 1}, got ${action}`);
    }
    this.done = true;
    const reward = this.means[action]! + (this.stdDev > 0 ? this.stdDev * rng.normal() : 0);
    return { observation: new Float64Array([1]), reward, terminated: true, truncated: false };
  }
}

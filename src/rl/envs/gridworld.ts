/**
 * A small grid world: the agent starts in the top-left cell of a size×size grid and must reach the
 * bottom-right cell. Actions 0 up, 1 right, 2 down, 3 left; a move into the border leaves the agent
 * in place; with probability `slip` the move goes in a uniformly random direction instead.
 * Reward −0.01 per step, +1 on reaching the goal (which ends the episode); truncated after
 * `maxSteps`. Observation: one-hot of the cell index (row·size + column).
 */
import type { Rng } from '../../rng/rng.js';
import type { Env, StepResult } from '../env.js';

const MOVES: ReadonlyArray<readonly [number, number]> = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

export class GridWorld implements Env {
  readonly name = 'gridworld';
  readonly observationSize: number;
  readonly actionCount = 4;
  readonly solvedThreshold = null;
  readonly maxSteps: number;
  readonly size: number;
  readonly slip: number;
  row = 0;
  col = 0;
  private steps = 0;
  private done = true;

  constructor(size = 5, slip = 0, maxSteps = 100) {
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`gridworld: size must be an integer ≥ 2, got ${size}`);
    this.size = size;
    this.slip = slip;
    this.maxSteps = maxSteps;
    this.observationSize = size * size;
  }

  /** Best possible return: the shortest path takes 2(size − 1) steps, the last one paying +1. */
  get optimalReturn(): number {
    return 1 - 0.01 * (2 * (this.size - 1) - 1);
  }

  private observe(): Float64Array {
    const o = new Float64Array(this.observationSize);
    o[this.row * this.size + this.col] = 1;
    return o;
  }

  reset(_rng?: Rng): Float64Array {
    this.row = 0;
    this.col = 0;
    this.steps = 0;
    this.done = false;
    return this.observe();
  }

  step(action: number, rng: Rng): StepResult {
    if (this.done) throw new Error('gridworld: step() after the episode ended; call reset()');
    if (!Number.isInteger(action) || action < 0 || action > 3)
      throw new RangeError(`gridworld: action must be 0…3, got ${action}`);
    // the slip draw happens only when slip > 0, so a slip-free world consumes no randomness
    if (this.slip > 0 && rng.next() < this.slip) action = rng.int(4);
    const [dr, dc] = MOVES[action]!;
    this.row = Math.min(this.size - 1, Math.max(0, this.row + dr));
    this.col = Math.min(this.size - 1, Math.max(0, this.col + dc));
    this.steps++;
    const terminated = this.row === this.size - 1 && this.col === this.size - 1;
    const truncated = !terminated && this.steps >= this.maxSteps;
    this.done = terminated || truncated;
    return { observation: this.observe(), reward: terminated ? 1 : -0.01, terminated, truncated };
  }
}

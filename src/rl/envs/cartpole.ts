/**
 * CartPole-v1 with the classic-control dynamics of gym/gymnasium (`cartpole.py`, after Barto, Sutton
 * and Anderson 1983): a pole hinged on a cart; each step pushes the cart left or right with 10 N.
 *
 * Constants: g = 9.8, cart mass 1.0, pole mass 0.1, pole half-length 0.5, force 10, τ = 0.02 s,
 * explicit Euler integration. With F = ±10, m_t = 1.1 and m_p·l = 0.05:
 *   temp  = (F + m_p·l·θ̇²·sin θ) / m_t
 *   θ̈     = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / m_t))
 *   ẍ     = temp − m_p·l·θ̈·cos θ / m_t
 *   x ← x + τẋ,  ẋ ← ẋ + τẍ,  θ ← θ + τθ̇,  θ̇ ← θ̇ + τθ̈
 * The episode terminates when |x| > 2.4 or |θ| > 12° (12·2π/360 rad); reward 1 for every step,
 * including the last; truncated at 500 steps (v1). The start state is uniform in [−0.05, 0.05]⁴.
 * Observation: [x, ẋ, θ, θ̇]. Action 0 pushes left, 1 pushes right.
 *
 * "Solved" is the classic v0 criterion the issue asks for: mean return ≥ 195 over 100 episodes.
 */
import type { Rng } from '../../rng/rng.js';
import type { Env, StepResult } from '../env.js';

export const CARTPOLE = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  length: 0.5,
  forceMag: 10.0,
  tau: 0.02,
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
} as const;

export class CartPole implements Env {
  readonly name = 'cartpole';
  readonly observationSize = 4;
  readonly actionCount = 2;
  readonly solvedThreshold = 195;
  readonly maxSteps: number;
  /** [x, ẋ, θ, θ̇] */
  state = new Float64Array(4);
  private steps = 0;
  private done = true;

  constructor(maxSteps = 500) {
    this.maxSteps = maxSteps;
  }

  reset(rng: Rng): Float64Array {
    for (let i = 0; i < 4; i++) this.state[i] = rng.uniform(-0.05, 0.05);
    this.steps = 0;
    this.done = false;
    return this.state.slice();
  }

  step(action: number, _rng?: Rng): StepResult {
    if (this.done) throw new Error('cartpole: step() after the episode ended; call reset()');
    if (action !== 0 && action !== 1) throw new RangeError(`cartpole: action must be 0 or 1, got ${action}`);
    const { gravity, massCart, massPole, length, forceMag, tau, thetaThreshold, xThreshold } = CARTPOLE;
    const totalMass = massPole + massCart;
    const poleMassLength = massPole * length;
    let [x, xDot, theta, thetaDot] = this.state as unknown as [number, number, number, number];
    const force = action === 1 ? forceMag : -forceMag;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot ** 2 * sin) / totalMass;
    const thetaAcc =
      (gravity * sin - cos * temp) / (length * (4.0 / 3.0 - (massPole * cos ** 2) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / totalMass;
    x = x + tau * xDot;
    xDot = xDot + tau * xAcc;
    theta = theta + tau * thetaDot;
    thetaDot = thetaDot + tau * thetaAcc;
    this.state[0] = x;
    this.state[1] = xDot;
    this.state[2] = theta;
    this.state[3] = thetaDot;
    this.steps++;
    const terminated = x < -xThreshold || x > xThreshold || theta < -thetaThreshold || theta > thetaThreshold;
    const truncated = !terminated && this.steps >= this.maxSteps;
    this.done = terminated || truncated;
    return { observation: this.state.slice(), reward: 1, terminated, truncated };
  }
}

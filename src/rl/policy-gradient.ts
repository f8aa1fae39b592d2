/**
 * Policy-gradient pieces of REINFORCE (Williams 1992): rolling out an episode with the policy MLP,
 * discounted returns, entropy, and the gradient of the REINFORCE loss
 *
 *   L(θ) = −(1/T) Σ_t [ A_t · log π_θ(a_t | s_t) + β · H(π_θ(· | s_t)) ],   A_t = G_t − b_t,
 *
 * whose negative gradient is the (per-step averaged) REINFORCE estimate of ∇J plus the entropy
 * bonus. With logits z = MLP(s) and p = softmax(z): ∂L/∂z_t = −(1/T)[A_t(e_{a_t} − p) − β p⊙(log p + H)].
 * The task that trains with them (episodes, baselines, optimizer, checkpoints) is
 * src/train/tasks/reinforce.ts.
 */
import type { Rng } from '../rng/rng.js';
import type { Env } from './env.js';
import { mlpBackward, mlpForward, softmaxOf, type Mlp, type MlpTrace } from './mlp.js';

/** Everything one episode produced that the update needs. */
export interface Episode {
  observations: Float64Array[];
  actions: number[];
  rewards: number[];
  /** Action probabilities at each step. */
  probs: Float64Array[];
  /** Forward traces of the policy at each step. */
  traces: MlpTrace[];
  terminated: boolean;
}

/** Sample an index from a probability vector with one uniform draw. */
export function sampleCategorical(p: ArrayLike<number>, rng: Rng): number {
  const u = rng.next();
  let c = 0;
  for (let i = 0; i < p.length; i++) {
    c += p[i]!;
    if (u < c) return i;
  }
  // rounding left u ≥ Σp: the last action with nonzero probability
  for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return i;
  return p.length - 1;
}

/** Run one episode with the current policy. */
export function rollout(env: Env, policy: Mlp, rng: Rng): Episode {
  const ep: Episode = {
    observations: [],
    actions: [],
    rewards: [],
    probs: [],
    traces: [],
    terminated: false,
  };
  let obs = env.reset(rng);
  for (let t = 0; t < env.maxSteps; t++) {
    const trace: MlpTrace = { inputs: [], pre: [] };
    const p = softmaxOf(mlpForward(policy, obs, trace));
    const a = sampleCategorical(p, rng);
    const r = env.step(a, rng);
    ep.observations.push(obs);
    ep.actions.push(a);
    ep.rewards.push(r.reward);
    ep.probs.push(p);
    ep.traces.push(trace);
    obs = r.observation;
    if (r.terminated || r.truncated) {
      ep.terminated = r.terminated;
      break;
    }
  }
  return ep;
}

/** G_t = r_{t+1} + γ G_{t+1}, computed backwards. */
export function discountedReturns(rewards: readonly number[], gamma: number): Float64Array {
  const g = new Float64Array(rewards.length);
  let acc = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    acc = rewards[t]! + gamma * acc;
    g[t] = acc;
  }
  return g;
}

/** Entropy −Σ p log p (0·log 0 = 0). */
export function entropyOf(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i]! > 0) h -= p[i]! * Math.log(p[i]!);
  return h;
}

/**
 * Add ∂L/∂θ of the REINFORCE loss L = −(1/T) Σ_t [A_t log π(a_t|s_t) + β H_t] into `grads`
 * (so −grads is the ascent direction). Returns the episode's mean entropy.
 */
export function reinforceGradient(
  policy: Mlp,
  ep: Episode,
  advantages: ArrayLike<number>,
  entropyCoef: number,
  grads: Float64Array[],
): number {
  const T = ep.actions.length;
  let entropySum = 0;
  for (let t = 0; t < T; t++) {
    const p = ep.probs[t]!;
    const h = entropyOf(p);
    entropySum += h;
    const dz = new Float64Array(p.length);
    const A = advantages[t]!;
    for (let j = 0; j < p.length; j++) {
      const score = (j === ep.actions[t] ? 1 : 0) - p[j]!;
      const ent = p[j]! > 0 ? p[j]! * (Math.log(p[j]!) + h) : 0;
      dz[j] = -(A * score - entropyCoef * ent) / T;
    }
    mlpBackward(policy, ep.traces[t]!, dz, grads);
  }
  return T > 0 ? entropySum / T : 0;
}

/**
 * REINFORCE (Williams 1992): Monte-Carlo policy gradient with an optional baseline and an entropy
 * bonus, one update per episode, any first-order optimizer of src/optim on the policy MLP.
 *
 * For an episode s_0, a_0, r_1, …, s_{T−1}, a_{T−1}, r_T with discounted returns
 * G_t = Σ_{k≥t} γ^{k−t} r_{k+1}, the update minimizes
 *
 *   L(θ) = −(1/T) Σ_t [ A_t · log π_θ(a_t | s_t) + β · H(π_θ(· | s_t)) ],   A_t = G_t − b_t,
 *
 * whose negative gradient is the (per-step averaged) REINFORCE estimate of ∇J plus the entropy
 * bonus. With logits z = MLP(s) and p = softmax(z): ∂L/∂z_t = −(1/T)[A_t(e_{a_t} − p) − β p⊙(log p + H)].
 *
 * Baselines b_t (they lower the variance without biasing the gradient, since b_t does not depend on a_t):
 * - `none`: 0;
 * - `running_mean`: an exponential moving average (rate 0.05) of the episodes' mean return, taken
 *   before the episode (the first episode uses none);
 * - `value`: a value MLP V(s_t) of the same shape with one output, fitted by the same optimizer to
 *   ½(V(s_t) − G_t)² averaged over the episode.
 */
import {
  createOptimizer,
  type BoundOptimizer,
  type OptimState,
  type OptimizerSpec,
} from '../optim/registry.js';
import { createRng, type Rng, type RngStateFull } from '../rng/rng.js';
import type { Env } from './env.js';
import { createEnv, type EnvConfig } from './envs/index.js';
import {
  createMlp,
  mlpBackward,
  mlpForward,
  mlpParamNames,
  softmaxOf,
  zeroGrads,
  type Mlp,
  type MlpActivation,
  type MlpArray,
  type MlpTrace,
} from './mlp.js';

/** The reinforce JobSpec (as normalized by src/contracts; repeated so this module stands alone). */
export interface ReinforceSpec {
  env: EnvConfig;
  episodes: number;
  gamma: number;
  baseline: 'none' | 'running_mean' | 'value';
  entropyCoef: number;
  policy: { hidden: number[]; activation: MlpActivation };
  /** A first-order optimizer (newton and lbfgs need deterministic objectives). */
  optimizer: OptimizerSpec | { type: string; [k: string]: unknown };
  seed: number;
  dtype?: 'float32' | 'float64';
}

/** One event per episode. */
export interface EpisodeEvent {
  type: 'episode';
  /** 1-based episode number. */
  episode: number;
  /** Undiscounted sum of rewards. */
  return: number;
  length: number;
  /** Mean policy entropy (nats) over the episode's steps. */
  entropy: number;
  /** Mean return of the last (up to) 100 episodes. */
  meanReturn100: number;
}

export interface ReinforceResult {
  /** Mean return of the last 100 episodes (all of them when fewer). */
  meanReturn100: number;
  episodes: number;
  /** Whether the environment's threshold was reached (null when it has none). */
  solved: boolean | null;
  /** First episode at which the mean of the last 100 returns reached the threshold. */
  solvedAtEpisode: number | null;
  durationMs: number;
}

export type NamedWeights = Record<string, { shape: number[]; data: Float32Array | Float64Array }>;

export interface ReinforceOutcome {
  status: 'succeeded' | 'cancelled';
  result: ReinforceResult;
  weights: NamedWeights;
}

/**
 * Everything needed to continue a run exactly where it stopped (between two episodes). Plain data
 * with typed arrays: `encodeOptimState` / `decodeOptimState` (src/optim) turn it into JSON and back
 * bit for bit. The environment and networks are rebuilt from the spec and then overwritten.
 */
export interface ReinforceCheckpoint {
  /** Episodes completed. */
  episode: number;
  policyParams: MlpArray[];
  valueParams: MlpArray[] | null;
  optState: OptimState;
  valueOptState: OptimState | null;
  runningMean: number | null;
  /** Returns of the last (up to) 100 episodes. */
  window: number[];
  solvedAt: number | null;
  rng: RngStateFull;
}

export interface ReinforceOptions {
  signal?: AbortSignal;
  onEvent?(e: EpisodeEvent): void;
  /** Continue from a checkpoint of the same spec. */
  resume?: ReinforceCheckpoint;
  /** Receives a checkpoint (a deep copy) every `checkpointEveryMs` and after the last episode. */
  onCheckpoint?(c: ReinforceCheckpoint): void | Promise<void>;
  /** Default 5000 ms. */
  checkpointEveryMs?: number;
  /** Yield to the event loop after this much work (default 20 ms), so an abort can land. */
  yieldEveryMs?: number;
}

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

function namedWeights(mlp: Mlp, prefix: string, out: NamedWeights): void {
  const names = mlpParamNames(mlp, prefix);
  for (let l = 0; l + 1 < mlp.sizes.length; l++) {
    out[names[2 * l]!] = { shape: [mlp.sizes[l + 1]!, mlp.sizes[l]!], data: mlp.params[2 * l]!.slice() };
    out[names[2 * l + 1]!] = { shape: [mlp.sizes[l + 1]!], data: mlp.params[2 * l + 1]!.slice() };
  }
}

const RUNNING_MEAN_RATE = 0.05;

/** Train a policy with REINFORCE. Deterministic for a given spec (seed included). */
export async function runReinforce(
  spec: ReinforceSpec,
  opts: ReinforceOptions = {},
): Promise<ReinforceOutcome> {
  const started = Date.now();
  const dtype = spec.dtype ?? 'float32';
  const rng = createRng(spec.seed);
  const env = createEnv(spec.env, rng);
  const hidden = spec.policy.hidden;
  const policy = createMlp(
    [env.observationSize, ...hidden, env.actionCount],
    spec.policy.activation,
    rng,
    dtype,
  );
  const value =
    spec.baseline === 'value'
      ? createMlp([env.observationSize, ...hidden, 1], spec.policy.activation, rng, dtype)
      : null;
  const opt: BoundOptimizer = createOptimizer(spec.optimizer as OptimizerSpec);
  const optState: OptimState = opt.init(policy.params);
  const valueState: OptimState | null = value ? opt.init(value.params) : null;

  let runningMean: number | null = null;
  let window: number[] = [];
  let solvedAt: number | null = null;
  let rngNow = rng;
  let done = 0;
  const r = opts.resume;
  if (r) {
    const copyInto = (dst: MlpArray[], src: ArrayLike<number>[]) => {
      if (dst.length !== src.length || dst.some((d, i) => d.length !== src[i]!.length)) {
        throw new Error('reinforce: the checkpoint does not match the spec (network shapes differ)');
      }
      dst.forEach((d, i) => d.set(src[i]!));
    };
    copyInto(policy.params, r.policyParams);
    if (value) copyInto(value.params, r.valueParams ?? []);
    Object.assign(optState, structuredClone(r.optState));
    if (valueState && r.valueOptState) Object.assign(valueState, structuredClone(r.valueOptState));
    runningMean = r.runningMean;
    window = [...r.window];
    solvedAt = r.solvedAt;
    rngNow = createRng(0, r.rng);
    done = r.episode;
  }
  const checkpoint = (): ReinforceCheckpoint => ({
    episode: done,
    policyParams: policy.params.map((p) => p.slice()),
    valueParams: value ? value.params.map((p) => p.slice()) : null,
    optState: structuredClone(optState),
    valueOptState: valueState ? structuredClone(valueState) : null,
    runningMean,
    window: [...window],
    solvedAt,
    rng: rngNow.state(),
  });
  let lastYield = Date.now();
  let lastCheckpoint = Date.now();
  const yieldEvery = opts.yieldEveryMs ?? 20;
  const checkpointEvery = opts.checkpointEveryMs ?? 5000;
  let status: ReinforceOutcome['status'] = 'succeeded';

  for (let e = done + 1; e <= spec.episodes; e++) {
    if (opts.signal?.aborted) {
      status = 'cancelled';
      break;
    }
    const ep = rollout(env, policy, rngNow);
    const T = ep.actions.length;
    const G = discountedReturns(ep.rewards, spec.gamma);
    const adv = new Float64Array(T);
    if (value) {
      const vGrads = zeroGrads(value);
      for (let t = 0; t < T; t++) {
        const trace: MlpTrace = { inputs: [], pre: [] };
        const v = mlpForward(value, ep.observations[t]!, trace)[0]!;
        adv[t] = G[t]! - v;
        mlpBackward(value, trace, [(v - G[t]!) / T], vGrads);
      }
      opt.step(value.params as MlpArray[], vGrads, valueState!, { lr: opt.hp.lr });
    } else {
      const b = spec.baseline === 'running_mean' && runningMean !== null ? runningMean : 0;
      for (let t = 0; t < T; t++) adv[t] = G[t]! - b;
    }
    const grads = zeroGrads(policy);
    const entropy = reinforceGradient(policy, ep, adv, spec.entropyCoef, grads);
    opt.step(policy.params as MlpArray[], grads, optState, { lr: opt.hp.lr });

    if (spec.baseline === 'running_mean') {
      let m = 0;
      for (let t = 0; t < T; t++) m += G[t]!;
      m = T > 0 ? m / T : 0;
      runningMean = runningMean === null ? m : runningMean + RUNNING_MEAN_RATE * (m - runningMean);
    }

    const ret = ep.rewards.reduce((s, r) => s + r, 0);
    window.push(ret);
    if (window.length > 100) window.shift();
    // summed afresh each time so a resumed run reproduces it exactly
    const meanReturn100 = window.reduce((a, b) => a + b, 0) / window.length;
    if (
      solvedAt === null &&
      env.solvedThreshold !== null &&
      window.length === 100 &&
      meanReturn100 >= env.solvedThreshold
    ) {
      solvedAt = e;
    }
    done = e;
    opts.onEvent?.({ type: 'episode', episode: e, return: ret, length: T, entropy, meanReturn100 });

    if (opts.onCheckpoint && Date.now() - lastCheckpoint >= checkpointEvery) {
      await opts.onCheckpoint(checkpoint());
      lastCheckpoint = Date.now();
    }
    if (Date.now() - lastYield >= yieldEvery) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
  }
  if (opts.onCheckpoint) await opts.onCheckpoint(checkpoint());

  const weights: NamedWeights = {};
  namedWeights(policy, 'policy', weights);
  if (value) namedWeights(value, 'value', weights);
  const meanReturn100 = window.length ? window.reduce((a, b) => a + b, 0) / window.length : 0;
  return {
    status,
    result: {
      meanReturn100,
      episodes: done,
      solved: env.solvedThreshold === null ? null : solvedAt !== null,
      solvedAtEpisode: solvedAt,
      durationMs: Date.now() - started,
    },
    weights,
  };
}

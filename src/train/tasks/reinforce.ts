/**
 * The reinforce task, REINFORCE (Williams 1992): Monte-Carlo policy gradient with an optional
 * baseline and an entropy bonus, one update per episode (one runner unit), any first-order
 * optimizer of src/optim on the policy MLP. The policy-gradient math (rollout, returns, the loss
 * gradient) is src/rl/policy-gradient.ts.
 *
 * For an episode s_0, a_0, r_1, …, s_{T−1}, a_{T−1}, r_T with discounted returns
 * G_t = Σ_{k≥t} γ^{k−t} r_{k+1}, the update minimizes the REINFORCE loss with A_t = G_t − b_t.
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
} from '../../optim/registry.js';
import { createRng, type RngStateFull } from '../../rng/rng.js';
import { createEnv, type EnvConfig } from '../../rl/envs/index.js';
import {
  createMlp,
  mlpBackward,
  mlpForward,
  mlpParamNames,
  zeroGrads,
  type Mlp,
  type MlpActivation,
  type MlpArray,
  type MlpTrace,
} from '../../rl/mlp.js';
import { discountedReturns, reinforceGradient, rollout } from '../../rl/policy-gradient.js';
import { outcomes, Run, startClock, timeoutMessage, unitRunOptions, type StopReason } from '../runner.js';
import type { NamedWeights } from '../../tensor/index.js';

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
  maxWallSeconds?: number | null;
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

export interface ReinforceOutcome {
  /** `failed` only for the wall-time limit (TIMEOUT); the result says where the run stopped. */
  status: 'succeeded' | 'cancelled' | 'failed';
  result: ReinforceResult;
  error: { code: 'TIMEOUT'; message: string } | null;
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
  /** Minimum time between episode events (default 0: every episode). */
  progressEveryMs?: number;
  /** Server-wide wall-time cap in seconds (the spec's maxWallSeconds may be lower). */
  maxWallSeconds?: number;
}

function mlpNamedWeights(mlp: Mlp, prefix: string, out: NamedWeights): void {
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
  const clock = startClock(Date.now);
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
  const run = new Run<EpisodeEvent, ReinforceCheckpoint>(unitRunOptions(clock, opts, spec.maxWallSeconds));

  /** One episode and its update. */
  const episode = (): undefined => {
    const e = done + 1;
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
    run.progress.offer({ type: 'episode', episode: e, return: ret, length: T, entropy, meanReturn100 });
    return undefined;
  };

  /** Every way out saves a final checkpoint and reports the policy as it is. */
  const stop = async (reason: StopReason): Promise<ReinforceOutcome> => {
    await run.checkpoint(checkpoint());
    const weights: NamedWeights = {};
    mlpNamedWeights(policy, 'policy', weights);
    if (value) mlpNamedWeights(value, 'value', weights);
    const meanReturn100 = window.length ? window.reduce((a, b) => a + b, 0) / window.length : 0;
    const result: ReinforceResult = {
      meanReturn100,
      episodes: done,
      solved: env.solvedThreshold === null ? null : solvedAt !== null,
      solvedAtEpisode: solvedAt,
      durationMs: clock.elapsed(),
    };
    const out =
      reason === 'timeout'
        ? outcomes.failed('TIMEOUT' as const, timeoutMessage.job(run.wallLimitMs), result)
        : reason === 'cancelled'
          ? outcomes.cancelled(result)
          : outcomes.succeeded(result);
    return { ...out, result, weights };
  };

  return run.loop<ReinforceOutcome>({
    finished: () => done >= spec.episodes,
    step: episode,
    snapshot: checkpoint,
    stop,
  });
}

import { describe, expect, expectTypeOf, it } from 'vitest';
import { JobSpecSchema, type ReinforceJobSpec } from '../../../../src/contracts/job-spec.js';
import { decodeOptimState, encodeOptimState, type JsonSafe } from '../../../../src/optim/state-codec.js';
import { Bandit, GridWorld } from '../../../../src/rl/envs/index.js';
import {
  createMlp,
  mlpBackward,
  mlpForward,
  softmaxOf,
  zeroGrads,
  type MlpActivation,
  type MlpTrace,
} from '../../../../src/rl/mlp.js';
import {
  discountedReturns,
  reinforceGradient,
  rollout,
  sampleCategorical,
} from '../../../../src/rl/policy-gradient.js';
import {
  runReinforce,
  type EpisodeEvent,
  type ReinforceCheckpoint,
  type ReinforceSpec,
} from '../../../../src/train/tasks/reinforce.js';
import { createRng } from '../../../../src/rng/rng.js';

/** Exact expected return of a bandit under the MLP's softmax policy: J = Σ π_i μ_i. */
function expectedReturn(policy: ReturnType<typeof createMlp>, means: Float64Array): number {
  const p = softmaxOf(mlpForward(policy, [1]));
  return p.reduce((s, pi, i) => s + pi * means[i]!, 0);
}

/**
 * Monte-Carlo REINFORCE estimate of ∇J on the bandit: mean over n one-pull episodes of
 * −∂L/∂θ = (r − b)·∇ log π(a), with its per-component standard error.
 */
function monteCarloGradient(
  policy: ReturnType<typeof createMlp>,
  env: Bandit,
  n: number,
  baseline: number,
  seed: number,
) {
  const rng = createRng(seed);
  const dim = policy.params.map((p) => p.length);
  const sum = dim.map((d) => new Float64Array(d));
  const sumSq = dim.map((d) => new Float64Array(d));
  for (let k = 0; k < n; k++) {
    const ep = rollout(env, policy, rng);
    const g = zeroGrads(policy);
    reinforceGradient(policy, ep, [ep.rewards[0]! - baseline], 0, g);
    g.forEach((gl, l) =>
      gl.forEach((v, i) => {
        sum[l]![i]! -= v;
        sumSq[l]![i]! += v * v;
      }),
    );
  }
  const mean = sum.map((s) => s.map((v) => v / n));
  const se = sumSq.map((s, l) => s.map((v, i) => Math.sqrt(Math.max(0, v / n - mean[l]![i]! ** 2) / n)));
  return { mean, se };
}

describe('REINFORCE gradient on the bandit equals the exact gradient of the expected return', () => {
  const env = new Bandit(5, 1, [0.3, -0.5, 1.2, 0.1, -1.0]);
  const n = 40000;

  it('softmax over arms (linear policy): Monte-Carlo estimate within 4 standard errors of πⱼ(μⱼ − J)', () => {
    const policy = createMlp([1, 5], 'tanh', createRng(4), 'float64');
    const p = softmaxOf(mlpForward(policy, [1]));
    const J = expectedReturn(policy, env.means);
    const exact = Array.from(p, (pj, j) => pj * (env.means[j]! - J));
    for (const baseline of [0, 0.5]) {
      const { mean, se } = monteCarloGradient(policy, env, n, baseline, 17);
      // logits = W·1 + b, so the weight and bias gradients are both ∂J/∂z
      for (const l of [0, 1]) {
        for (let j = 0; j < 5; j++) {
          const err = Math.abs(mean[l]![j]! - exact[j]!);
          expect(err, `param ${l} arm ${j} baseline ${baseline}: |Δ| ${err} vs SE ${se[l]![j]}`).toBeLessThan(
            4 * se[l]![j]!,
          );
        }
      }
    }
  });

  it('MLP policy (hidden 8, tanh): Monte-Carlo estimate within 4 SE of central finite differences of J', () => {
    const policy = createMlp([1, 8, 5], 'tanh', createRng(9), 'float64');
    const h = 1e-6;
    const fd = policy.params.map((pl) =>
      Array.from(pl, (_, i) => {
        const keep = pl[i]!;
        pl[i] = keep + h;
        const up = expectedReturn(policy, env.means);
        pl[i] = keep - h;
        const down = expectedReturn(policy, env.means);
        pl[i] = keep;
        return (up - down) / (2 * h);
      }),
    );
    const { mean, se } = monteCarloGradient(policy, env, n, 0.2, 23);
    let worst = 0;
    policy.params.forEach((pl, l) =>
      pl.forEach((_, i) => {
        const z = Math.abs(mean[l]![i]! - fd[l]![i]!) / se[l]![i]!;
        worst = Math.max(worst, z);
      }),
    );
    expect(worst).toBeLessThan(4);
  });
});

describe('policy MLP backward pass', () => {
  const activations: MlpActivation[] = ['relu', 'tanh', 'sigmoid', 'leaky_relu', 'elu', 'gelu', 'softplus'];
  for (const a of activations) {
    it(`${a}: gradient of a weighted output sum equals finite differences`, () => {
      const mlp = createMlp([3, 6, 5, 2], a, createRng(1), 'float64');
      const x = [0.7, -1.3, 0.4];
      const w = [0.9, -0.4];
      const trace: MlpTrace = { inputs: [], pre: [] };
      mlpForward(mlp, x, trace);
      const g = zeroGrads(mlp);
      mlpBackward(mlp, trace, w, g);
      const f = () => {
        const o = mlpForward(mlp, x);
        return w[0]! * o[0]! + w[1]! * o[1]!;
      };
      mlp.params.forEach((pl, l) => {
        for (let i = 0; i < pl.length; i++) {
          const keep = pl[i]!;
          pl[i] = keep + 1e-6;
          const up = f();
          pl[i] = keep - 1e-6;
          const down = f();
          pl[i] = keep;
          expect(Math.abs(g[l]![i]! - (up - down) / 2e-6)).toBeLessThan(1e-7);
        }
      });
    });
  }
});

describe('REINFORCE building blocks', () => {
  it('discounted returns', () => {
    expect(Array.from(discountedReturns([1, 1, 1], 0.5))).toEqual([1.75, 1.5, 1]);
    expect(Array.from(discountedReturns([0, 0, 2], 1))).toEqual([2, 2, 2]);
  });

  it('categorical sampling follows the probabilities', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0];
    const n = 30000;
    for (let i = 0; i < n; i++) counts[sampleCategorical([0.2, 0.5, 0.3], rng)]!++;
    [0.2, 0.5, 0.3].forEach((p, i) =>
      expect(Math.abs(counts[i]! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n)),
    );
    expect(sampleCategorical([0, 0, 1], rng)).toBe(2);
  });
});

const cartpoleSpec = (over: Partial<ReinforceSpec> = {}): ReinforceSpec => ({
  env: { type: 'cartpole', maxSteps: 500 },
  episodes: 1000,
  gamma: 0.99,
  baseline: 'running_mean',
  entropyCoef: 0,
  policy: { hidden: [32], activation: 'tanh' },
  optimizer: { type: 'adam', lr: 0.01 },
  seed: 0,
  dtype: 'float32',
  ...over,
});

describe('REINFORCE solves CartPole', () => {
  it('mean return ≥ 195 over 100 consecutive episodes within 1,000 episodes (seed 0, Adam lr 0.01, running-mean baseline)', async () => {
    const controller = new AbortController();
    const events: EpisodeEvent[] = [];
    const t0 = Date.now();
    const out = await runReinforce(cartpoleSpec(), {
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        // stop as soon as the criterion is met: the rest of the 1,000 episodes only costs time
        if (e.episode >= 100 && e.meanReturn100 >= 195) controller.abort();
      },
    });
    const ms = Date.now() - t0;
    expect(out.result.solvedAtEpisode).not.toBeNull();
    expect(out.result.solvedAtEpisode!).toBeLessThanOrEqual(1000);
    const last100 = events.slice(-100);
    expect(last100).toHaveLength(100);
    expect(last100.reduce((s, e) => s + e.return, 0) / 100).toBeGreaterThanOrEqual(195);
    expect(out.status).toBe('cancelled');
    expect(out.result.solved).toBe(true);
    for (const e of events) {
      expect(e.length).toBe(e.return); // reward 1 per step
      expect(e.entropy).toBeGreaterThanOrEqual(0);
      expect(e.entropy).toBeLessThanOrEqual(Math.log(2) + 1e-12);
    }
    console.info(`CartPole solved at episode ${out.result.solvedAtEpisode} in ${ms} ms`);
  }, 120_000);

  it('the learned value baseline also solves it', async () => {
    const controller = new AbortController();
    const out = await runReinforce(cartpoleSpec({ baseline: 'value' }), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.episode >= 100 && e.meanReturn100 >= 195) controller.abort();
      },
    });
    expect(out.result.solvedAtEpisode).not.toBeNull();
    expect(Object.keys(out.weights)).toEqual([
      'policy.0.weight',
      'policy.0.bias',
      'policy.2.weight',
      'policy.2.bias',
      'value.0.weight',
      'value.0.bias',
      'value.2.weight',
      'value.2.bias',
    ]);
  }, 120_000);

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const rets: number[] = [];
      await runReinforce(cartpoleSpec({ episodes: 30, entropyCoef: 0.01 }), {
        onEvent: (e) => rets.push(e.return),
      });
      return rets;
    };
    expect(await run()).toEqual(await run());
  });
});

describe('REINFORCE on the grid world and the bandit', () => {
  it('learns a near-shortest path on a 5×5 grid', async () => {
    const out = await runReinforce({
      env: { type: 'gridworld', size: 5, slip: 0, maxSteps: 100 },
      episodes: 500,
      gamma: 0.99,
      baseline: 'running_mean',
      entropyCoef: 0.01,
      policy: { hidden: [32], activation: 'tanh' },
      optimizer: { type: 'adam', lr: 0.01 },
      seed: 0,
    });
    expect(out.result.solved).toBeNull();
    expect(out.result.meanReturn100).toBeGreaterThan(new GridWorld(5).optimalReturn - 0.05);
  });

  it('the bandit policy concentrates on the best arm', async () => {
    const spec: ReinforceSpec = {
      env: { type: 'bandit', arms: 10, stdDev: 1 },
      episodes: 3000,
      gamma: 0.99,
      baseline: 'value',
      entropyCoef: 0,
      policy: { hidden: [16], activation: 'tanh' },
      optimizer: { type: 'adam', lr: 0.01 },
      seed: 0,
    };
    const out = await runReinforce(spec);
    // the arm means are drawn first from the seed's stream
    const means = new Bandit(10, 1, createRng(0)).means;
    const best = Math.max(...means);
    expect(out.result.meanReturn100).toBeGreaterThan(best - 0.3);
  });
});

describe('REINFORCE spec shape', () => {
  it('accepts a normalized reinforce JobSpec as is (a type-level test: `npm run typecheck` fails if not)', () => {
    expectTypeOf<ReinforceJobSpec>().toExtend<ReinforceSpec>();
    expectTypeOf(runReinforce).parameter(0).toEqualTypeOf<ReinforceSpec>();
  });
});

describe('REINFORCE checkpoints', () => {
  for (const baseline of ['value', 'running_mean'] as const) {
    it(`a run resumed from a JSON checkpoint continues exactly (baseline ${baseline})`, async () => {
      const spec = cartpoleSpec({ episodes: 60, baseline, entropyCoef: 0.01, seed: 3 });
      const eventsA: EpisodeEvent[] = [];
      const saved = new Map<number, string>();
      const a = await runReinforce(spec, {
        onEvent: (e) => eventsA.push(e),
        checkpointEveryMs: 0,
        onCheckpoint: (c) => void saved.set(c.episode, JSON.stringify(encodeOptimState(c))),
      });
      expect(saved.get(60)).toBeDefined();
      const resume = decodeOptimState<ReinforceCheckpoint>(JSON.parse(saved.get(25)!) as JsonSafe);
      const eventsB: EpisodeEvent[] = [];
      const b = await runReinforce(spec, { resume, onEvent: (e) => eventsB.push(e) });
      expect(eventsB).toEqual(eventsA.slice(25));
      expect(b.result.meanReturn100).toBe(a.result.meanReturn100);
      for (const [name, w] of Object.entries(a.weights))
        expect(Array.from(b.weights[name]!.data)).toEqual(Array.from(w.data));
    });
  }
});

describe('REINFORCE from a JobSpec', () => {
  it('the schema defaults (Adam lr 0.01, running mean, [32] tanh, γ 0.99, float32, seed 0) solve CartPole', async () => {
    const spec = JobSpecSchema.parse({ task: 'reinforce', env: { type: 'cartpole' }, episodes: 1000 });
    if (spec.task !== 'reinforce') throw new Error('expected a reinforce spec');
    const controller = new AbortController();
    const out = await runReinforce(spec, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.episode >= 100 && e.meanReturn100 >= 195) controller.abort();
      },
    });
    expect(out.result.solvedAtEpisode).not.toBeNull();
    expect(out.result.meanReturn100).toBeGreaterThanOrEqual(195);
  }, 120_000);
});

describe('REINFORCE through the runner', () => {
  it('its own wall-time limit: failed / TIMEOUT with the result so far and a final checkpoint', async () => {
    const checkpoints: ReinforceCheckpoint[] = [];
    const out = await runReinforce(cartpoleSpec({ episodes: 1_000_000, maxWallSeconds: 0.3 }), {
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    expect(out.status).toBe('failed');
    expect(out.error).toEqual({
      code: 'TIMEOUT',
      message: 'the job ran past its wall-time limit of 0.3 s; raise maxWallSeconds or make the job smaller',
    });
    expect(out.result.episodes).toBeGreaterThan(0);
    expect(out.result.episodes).toBeLessThan(1_000_000);
    expect(checkpoints.at(-1)!.episode).toBe(out.result.episodes);
    expect(Object.keys(out.weights)).toContain('policy.0.weight');
  });
});

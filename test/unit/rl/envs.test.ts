import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Bandit, CartPole, GridWorld, createEnv } from '../../../src/rl/envs/index.js';
import { createRng } from '../../../src/rng/rng.js';

interface CartCase {
  start: number[];
  actions: number[];
  maxSteps: number;
  steps: Array<{ state: number[]; reward: number; terminated: boolean; truncated: boolean }>;
}
const cartpole = JSON.parse(
  readFileSync(new URL('../../golden/fixtures/cartpole.json', import.meta.url), 'utf8'),
) as { cases: CartCase[] };

describe('CartPole-v1 reproduces gymnasium', () => {
  for (const [k, c] of cartpole.cases.entries()) {
    const last = c.steps[c.steps.length - 1]!;
    it(`case ${k}: ${c.steps.length} steps, ends ${last.terminated ? 'terminated' : 'truncated'}`, () => {
      const env = new CartPole(c.maxSteps);
      env.reset(createRng(0));
      env.state.set(c.start);
      for (const [i, a] of c.actions.entries()) {
        const r = env.step(a);
        const want = c.steps[i]!;
        for (let j = 0; j < 4; j++) {
          expect(Math.abs(r.observation[j]! - want.state[j]!), `step ${i} state[${j}]`).toBeLessThanOrEqual(
            1e-12 * Math.max(1, Math.abs(want.state[j]!)),
          );
        }
        expect(r.reward).toBe(want.reward);
        expect(r.terminated, `step ${i} terminated`).toBe(want.terminated);
        expect(r.truncated, `step ${i} truncated`).toBe(want.truncated);
      }
      expect(() => env.step(0)).toThrow(/after the episode ended/);
    });
  }

  it('starts uniformly in [−0.05, 0.05]⁴, deterministically per seed', () => {
    const a = new CartPole().reset(createRng(5));
    const b = new CartPole().reset(createRng(5));
    expect(Array.from(a)).toEqual(Array.from(b));
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(0.05);
  });
});

describe('bandit', () => {
  it('draws arm means from the seed and pays mean + σ·noise', () => {
    const e1 = createEnv({ type: 'bandit', arms: 5, stdDev: 0 }, createRng(1)) as Bandit;
    const e2 = createEnv({ type: 'bandit', arms: 5, stdDev: 0 }, createRng(1)) as Bandit;
    expect(Array.from(e1.means)).toEqual(Array.from(e2.means));
    const rng = createRng(2);
    for (let a = 0; a < 5; a++) {
      expect(Array.from(e1.reset(rng))).toEqual([1]);
      const r = e1.step(a, rng);
      expect(r.reward).toBe(e1.means[a]);
      expect(r.terminated).toBe(true);
    }
    const noisy = new Bandit(2, 2, [0.5, -1]);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      noisy.reset(rng);
      const r = noisy.step(0, rng).reward;
      s += r;
      s2 += r * r;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan((4 * 2) / Math.sqrt(n));
    expect(Math.sqrt(s2 / n - mean * mean)).toBeCloseTo(2, 1);
  });
});

describe('grid world', () => {
  it('walls, goal reward, one-hot observations and truncation', () => {
    const env = new GridWorld(3, 0, 10);
    const rng = createRng(0);
    let obs = env.reset(rng);
    expect(Array.from(obs)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let r = env.step(0, rng); // up into the wall
    expect([env.row, env.col]).toEqual([0, 0]);
    expect(r.reward).toBe(-0.01);
    r = env.step(1, rng);
    r = env.step(1, rng);
    r = env.step(2, rng);
    expect(r.terminated).toBe(false);
    r = env.step(2, rng);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(1);
    obs = r.observation;
    expect(obs[8]).toBe(1);
    env.reset(rng);
    for (let i = 0; i < 9; i++) expect(env.step(3, rng).truncated).toBe(false);
    expect(env.step(3, rng).truncated).toBe(true);
    expect(env.optimalReturn).toBeCloseTo(1 - 0.03, 12);
  });

  it('slips in random directions at the given rate, reproducibly', () => {
    const run = (seed: number) => {
      const env = new GridWorld(5, 0.5, 1000);
      const rng = createRng(seed);
      env.reset(rng);
      const cells: number[] = [];
      for (let i = 0; i < 200; i++) {
        env.step(1, rng);
        cells.push(env.row * 5 + env.col);
        if (env.row === 4 && env.col === 4) env.reset(rng);
      }
      return cells;
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3).some((c) => c >= 5)).toBe(true); // slipped downwards at least once
  });
});

/**
 * src/rng: the one seeded generator. Same seed → same bits (pinned, so a change to the algorithm or
 * the seeding fails here before it changes every job's weights), and a saved state resumes the
 * stream exactly — the Box-Muller spare included, which a checkpoint taken between the two values
 * of a normal pair needs.
 */
import { describe, expect, it } from 'vitest';
import { createRng, permutation, type Rng } from '../../../src/rng/rng.js';

/** A mixed run of every kind of draw, as training makes them. */
function draws(rng: Rng, n = 200): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(rng.next(), rng.int(7 + i), rng.uniform(-2, 3), rng.normal());
    if (i % 3 === 0) out.push(rng.normal()); // leave a spare cached now and then
  }
  return out;
}

describe('determinism', () => {
  it('seed 0 gives the pinned state and first draws', () => {
    const rng = createRng(0);
    expect(rng.state()).toEqual({ s: [2462723854, 1020716019, 454327756, 1275600319], spare: null });
    expect([rng.next(), rng.next(), rng.int(10), rng.normal()]).toEqual([
      0.8868539538234472, 0.26395898405462503, 1, 1.4645547650533814,
    ]);
  });

  it('the same seed gives the same stream; another seed another one', () => {
    expect(draws(createRng(42))).toEqual(draws(createRng(42)));
    expect(draws(createRng(42))).not.toEqual(draws(createRng(43)));
  });

  it("a seed's high bits count: 0 and 2^32 differ", () => {
    expect(createRng(2 ** 32).next()).toBe(0.08894383604638278);
    expect(createRng(2 ** 32).next()).not.toBe(createRng(0).next());
  });
});

describe('state save and restore', () => {
  it('a restored generator continues exactly where the saved one was, mid normal pair', () => {
    const a = createRng(7);
    draws(a, 13);
    a.normal(); // one value of a pair taken: the other is the cached spare
    const saved = a.state();
    expect(saved.spare).not.toBeNull();
    const b = createRng(12345, JSON.parse(JSON.stringify(saved))); // as a checkpoint stores it
    expect(draws(b)).toEqual(draws(a));
  });

  it('the seed is ignored when a state is given', () => {
    const saved = createRng(1).state();
    expect(draws(createRng(999, saved))).toEqual(draws(createRng(1)));
  });

  it('state() is a copy: changing it does not move the generator', () => {
    const a = createRng(3);
    const s = a.state();
    s.s[0] = 0;
    s.spare = 1;
    expect(draws(a)).toEqual(draws(createRng(3)));
  });
});

describe('draws', () => {
  it('next and uniform stay in their half-open ranges; int in [0, n)', () => {
    const rng = createRng(5);
    for (let i = 0; i < 10_000; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      const v = rng.uniform(-1, 2);
      expect(v >= -1 && v < 2).toBe(true);
      const k = rng.int(3);
      expect([0, 1, 2]).toContain(k);
    }
  });

  it('int refuses a bound that is not a positive integer up to 2^32', () => {
    const rng = createRng(0);
    for (const bad of [0, -1, 1.5, NaN, 2 ** 32 + 1]) expect(() => rng.int(bad)).toThrow(RangeError);
    expect(rng.int(1)).toBe(0);
  });

  it('int is unbiased enough to see: 60 000 draws of int(3) within 2% of a third each', () => {
    const rng = createRng(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 60_000; i++) counts[rng.int(3)]++;
    for (const c of counts) expect(Math.abs(c - 20_000)).toBeLessThan(400);
  });

  it('normal has mean ≈ 0 and variance ≈ 1', () => {
    const rng = createRng(2);
    let s = 0;
    let s2 = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('permutation holds every index once, and is the same for the same seed', () => {
    const p = permutation(100, createRng(9));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).toEqual(permutation(100, createRng(9)));
    expect(p).not.toEqual(permutation(100, createRng(10)));
  });
});

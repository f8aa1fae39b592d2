/**
 * The one seeded random generator every random draw in Descent goes through: initialization,
 * shuffling, validation splits, dropout masks, RL environments and action sampling.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), 128 bits of state held in four uint32 words, seeded
 * through splitmix32 so that nearby seeds give unrelated streams. Its state is four plain numbers,
 * so it serializes into a checkpoint as JSON and a resumed run continues the same stream bit for bit.
 *
 * This module imports nothing: both `src/tensor` (dropout) and `src/data` (shuffling) may use it.
 */

/** Serializable generator state: four unsigned 32-bit words. */
export type RngState = [number, number, number, number];

/** A seeded generator. All methods advance the state. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 random bits. */
  next(): number;
  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal draw (Box-Muller; both values of a pair are used, the spare is part of the state). */
  normal(): number;
  /** Current state, a copy: `createRng(0, rng.state())` continues exactly where `rng` is. */
  state(): RngStateFull;
}

/** Generator state including the cached Box-Muller spare, so `normal()` resumes exactly. */
export interface RngStateFull {
  s: RngState;
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Create a generator from a seed (any finite number; its low 32 bits and high bits are mixed),
 * or restore one from a saved state.
 */
export function createRng(seed: number, restore?: RngStateFull): Rng {
  let s0: number, s1: number, s2: number, s3: number;
  let spare: number | null = null;
  if (restore) {
    [s0, s1, s2, s3] = restore.s;
    spare = restore.spare;
  } else {
    const hi = Math.floor(seed / 2 ** 32);
    const sm = splitmix32((seed >>> 0) ^ Math.imul(hi >>> 0, 0x27d4eb2d));
    s0 = sm();
    s1 = sm();
    s2 = sm();
    s3 = sm();
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point
  }

  function nextU32(): number {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  }

  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int(n: number): number {
      if (!(n > 0) || n > 4294967296 || !Number.isInteger(n)) throw new RangeError(`rng.int: bad bound ${n}`);
      // Rejection sampling: drop the top partial bucket so every value is equally likely.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = nextU32();
        if (x < limit) return x % n;
      }
    },
    uniform: (lo: number, hi: number) => lo + (hi - lo) * (nextU32() / 4294967296),
    normal(): number {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      // 1 - u keeps the argument of log in (0, 1].
      const u1 = 1 - nextU32() / 4294967296;
      const u2 = nextU32() / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    },
    state: () => ({ s: [s0, s1, s2, s3], spare }),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Fisher-Yates shuffle of `0..n-1` (or of `arr` in place) with `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

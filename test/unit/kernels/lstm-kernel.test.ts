/**
 * The wasm LSTM sequence kernel (lstm_forward_f32): its float32 gate maths within the documented 4 ulps of
 * the double-precision values, every special value handled as the TypeScript loop handles it, and whole
 * sequences (both directions, H not a multiple of 4) following the recurrence; lstm_backward_f32 is the
 * TypeScript loop's arithmetic bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../../src/tensor/kernels/reference.js';
import { createWasmKernels } from '../../../src/tensor/kernels/wasm/index.js';

const wasm = createWasmKernels(ref)!;

/** float32 ulp at |v| (the spacing of float32 numbers there; subnormal spacing below 2^−126). */
function ulp32(v: number): number {
  const a = Math.max(Math.abs(v), 2 ** -126);
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** Run the kernel on one step (T = 1) of n rows: no matmul, only the gates. */
function step(pre: Float32Array, n: number, H: number) {
  const acts = new Float32Array(n * 4 * H);
  const cs = new Float32Array(n * H);
  const tcs = new Float32Array(n * H);
  const hs = new Float32Array(n * H);
  expect(wasm.lstmForward(pre, new Float32Array(16 * H * H), acts, cs, tcs, hs, 1, n, H, false)).toBe(true);
  return { acts, cs, tcs, hs };
}

/** Max error in float32 ulps of the reference (with an absolute floor where the exp clamps at 2^−126). */
function maxUlps(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (err <= 2 ** -126) continue;
    worst = Math.max(worst, err / ulp32(want[i]));
  }
  return worst;
}

describe('wasm lstm_forward_f32', () => {
  it('σ, tanh, c and h are within 4 float32 ulps of their double values over a dense sweep', () => {
    const H = 8;
    const n = 4000;
    const pre = new Float32Array(n * 4 * H);
    // −40 … 40 densely (every gate sees the whole range, in shifted order), plus tiny magnitudes for tanh's polynomial
    for (let i = 0; i < pre.length; i++) {
      const u = ((i * 7919) % pre.length) / pre.length;
      pre[i] = i % 5 === 0 ? (u - 0.5) * 1e-3 : (u - 0.5) * 80;
    }
    const { acts, cs, tcs, hs } = step(pre, n, H);
    const want = {
      sig: [] as number[],
      sigGot: [] as number[],
      tanh: [] as number[],
      tanhGot: [] as number[],
    };
    const c: number[] = [];
    const tc: number[] = [];
    const h: number[] = [];
    for (let r = 0; r < n; r++)
      for (let j = 0; j < H; j++) {
        const o = r * 4 * H;
        for (const q of [0, 1, 3]) {
          want.sig.push(sig(pre[o + q * H + j]));
          want.sigGot.push(acts[o + q * H + j]);
        }
        want.tanh.push(Math.tanh(pre[o + 2 * H + j]));
        want.tanhGot.push(acts[o + 2 * H + j]);
        // each later stage from the kernel's own float32 inputs to it
        c.push(acts[o + j] * acts[o + 2 * H + j]);
        tc.push(Math.tanh(cs[r * H + j]));
        h.push(acts[o + 3 * H + j] * tcs[r * H + j]);
      }
    expect(maxUlps(want.sigGot, want.sig)).toBeLessThanOrEqual(4);
    expect(maxUlps(want.tanhGot, want.tanh)).toBeLessThanOrEqual(4);
    expect(maxUlps(cs, c)).toBeLessThanOrEqual(4);
    expect(maxUlps(tcs, tc)).toBeLessThanOrEqual(4);
    expect(maxUlps(hs, h)).toBeLessThanOrEqual(1);
  });

  it('special values: ±∞ saturate, NaN propagates, −0 keeps its sign through tanh', () => {
    const H = 4;
    const pre = new Float32Array(4 * H);
    pre.set([Infinity, -Infinity, Number.NaN, -0], 0); // i
    pre.set([1, 1, 1, 1], H); // f
    pre.set([-0, Infinity, -Infinity, 2], 2 * H); // g
    pre.set([Infinity, -Infinity, 0, Number.NaN], 3 * H); // o
    const { acts, hs } = step(pre, 1, H);
    expect([...acts.subarray(0, H)]).toEqual([1, 0, Number.NaN, 0.5]);
    expect(Object.is(acts[2 * H], -0)).toBe(true);
    expect([...acts.subarray(2 * H + 1, 2 * H + 3)]).toEqual([1, -1]);
    expect([...acts.subarray(3 * H, 3 * H + 3)]).toEqual([1, 0, 0.5]);
    expect(Number.isNaN(acts[3 * H + 3])).toBe(true);
    expect(Number.isNaN(hs[2]) && Number.isNaN(hs[3])).toBe(true);
  });

  it('whole sequences equal the TypeScript loop to float32 rounding of the gates (both directions, H % 4 ≠ 0)', () => {
    for (const [T, n, H, reverse] of [
      [6, 3, 5, false],
      [6, 3, 5, true],
      [3, 2, 8, false],
      [4, 1, 1, true],
    ] as const) {
      const G = 4 * H;
      let s = T * 100 + H;
      const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 4;
      const xg = Float32Array.from({ length: T * n * G }, rnd);
      const whh = Float32Array.from({ length: G * H }, () => rnd() * 0.3);
      const acts = new Float32Array(T * n * G);
      const cs = new Float32Array(T * n * H);
      const tcs = new Float32Array(T * n * H);
      const hs = new Float32Array(T * n * H);
      expect(wasm.lstmForward(xg, whh, acts, cs, tcs, hs, T, n, H, reverse)).toBe(true);
      // the recurrence in double from the kernel's own h of the previous step: only this step's roundings differ
      for (let k = 0; k < T; k++) {
        const t = reverse ? T - 1 - k : k;
        const p = k === 0 ? -1 : reverse ? t + 1 : t - 1;
        for (let r = 0; r < n; r++)
          for (let j = 0; j < H; j++) {
            const a = [0, 1, 2, 3].map((q) => {
              let v = xg[(t * n + r) * G + q * H + j];
              if (p >= 0) for (let m = 0; m < H; m++) v += hs[(p * n + r) * H + m] * whh[(q * H + j) * H + m];
              return v;
            });
            const c = sig(a[0]) * Math.tanh(a[2]) + (p >= 0 ? sig(a[1]) * cs[(p * n + r) * H + j] : 0);
            const h = sig(a[3]) * Math.tanh(c);
            expect(Math.abs(hs[(t * n + r) * H + j] - h)).toBeLessThan(1e-5 * (1 + Math.abs(h)));
            expect(Math.abs(cs[(t * n + r) * H + j] - c)).toBeLessThan(1e-5 * (1 + Math.abs(c)));
          }
      }
    }
  });

  it('lstm_backward_f32 equals the TypeScript loop bit for bit where both use the same step matmul', () => {
    // H = 32, n = 32: the loop's per-step ∂a·W_hh goes to this backend's sgemm too (above its size threshold),
    // so the two differ only if the gate arithmetic does.
    const [T, n, H] = [4, 32, 32];
    const G = 4 * H;
    let s = 7;
    const rnd = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 4;
    const xg = Float32Array.from({ length: T * n * G }, rnd);
    const whh = Float32Array.from({ length: G * H }, () => rnd() * 0.2);
    const gh = Float32Array.from({ length: T * n * H }, rnd);
    for (const reverse of [false, true]) {
      const acts = new Float32Array(T * n * G);
      const cs = new Float32Array(T * n * H);
      const tcs = new Float32Array(T * n * H);
      const hs = new Float32Array(T * n * H);
      wasm.lstmForward(xg, whh, acts, cs, tcs, hs, T, n, H, reverse);
      const got = new Float32Array(T * n * G);
      expect(wasm.lstmBackward(gh, acts, cs, tcs, whh, got, T, n, H, reverse)).toBe(true);
      // recurrent-cell.ts's loop, verbatim
      const want = new Float32Array(T * n * G);
      const dh = new Float32Array(n * H);
      const dc = new Float32Array(n * H);
      for (let k = T - 1; k >= 0; k--) {
        const t = reverse ? T - 1 - k : k;
        const prev = k > 0 ? (reverse ? t + 1 : t - 1) : -1;
        for (let r = 0; r < n; r++)
          for (let j = 0; j < H; j++) {
            const ar = (t * n + r) * G;
            const hr = (t * n + r) * H;
            const [i, f, g, o] = [acts[ar + j], acts[ar + H + j], acts[ar + 2 * H + j], acts[ar + 3 * H + j]];
            const tc = tcs[hr + j];
            const dhj = gh[hr + j] + dh[r * H + j];
            const dcj = dhj * o * (1 - tc * tc) + dc[r * H + j];
            want[ar + j] = dcj * g * i * (1 - i);
            want[ar + H + j] = prev >= 0 ? dcj * cs[(prev * n + r) * H + j] * f * (1 - f) : 0;
            want[ar + 2 * H + j] = dcj * i * (1 - g * g);
            want[ar + 3 * H + j] = dhj * tc * o * (1 - o);
            dc[r * H + j] = dcj * f;
          }
        if (prev >= 0)
          wasm.matmul(want.subarray(t * n * G, (t + 1) * n * G), whh, dh, n, H, G, false, false, false);
      }
      expect(got).toEqual(want);
    }
  });

  it('declines float64', () => {
    const f = new Float64Array(16) as unknown as Float32Array;
    expect(wasm.lstmForward(f, f, f, f, f, f, 1, 1, 1, false)).toBe(false);
    expect(wasm.lstmBackward(f, f, f, f, f, f, 1, 1, 1, false)).toBe(false);
  });
});

/** Shared helpers for the benchmark child processes: time-boxed loops, peak RSS, one JSON result line. */

export interface Result {
  workload: string;
  system: string;
  value: number;
  unit: string;
  peakRssMB: number;
  [extra: string]: unknown;
}

/**
 * Run `step` for `warmup` seconds, then until `seconds` more have passed. The machine is shared, so besides the
 * overall rate (`n / el`) this reports the rate of the best and the median ~0.25 s window: the best window is
 * the closest to an uncontended run, the median the typical one.
 */
export function timed(
  step: () => void,
  seconds: number,
  warmup = 0.3,
  window = 0.25,
): { n: number; el: number; best: number; median: number } {
  let t0 = performance.now();
  while (performance.now() - t0 < warmup * 1000) step();
  let n = 0;
  t0 = performance.now();
  const rates: number[] = [];
  let wStart = t0;
  let wCount = 0;
  for (;;) {
    step();
    n++;
    wCount++;
    const t = performance.now();
    if (t - wStart >= window * 1000) {
      rates.push((wCount * 1000) / (t - wStart));
      wStart = t;
      wCount = 0;
    }
    const el = (t - t0) / 1000;
    if (el >= seconds) {
      if (rates.length === 0) rates.push(n / el);
      rates.sort((a, b) => a - b);
      return { n, el, best: rates[rates.length - 1], median: rates[Math.floor(rates.length / 2)] };
    }
  }
}

export interface Rate {
  /** Best-window rate × scale: the headline number. */
  value: number;
  median: number;
  mean: number;
  steps: number;
  seconds: number;
}

/** Scale a {@link timed} result to the workload's unit (samples per call, flops per call, …). */
export function rate(t: { n: number; el: number; best: number; median: number }, scale: number): Rate {
  return {
    value: t.best * scale,
    median: t.median * scale,
    mean: (t.n / t.el) * scale,
    steps: t.n,
    seconds: t.el,
  };
}

/** Peak resident set size of this process, MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function emit(r: Omit<Result, 'peakRssMB'>): void {
  process.stdout.write(JSON.stringify({ ...r, peakRssMB: peakRssMB() }) + '\n');
}

/** A small seeded generator (xorshift32 + Box–Muller) so every system's synthetic data is cheap to make. */
export function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Sizes of the workloads, shared by the Descent and tfjs scripts (bench/torch/workloads.py mirrors them). */
export const SPEC = {
  W1: { rows: 10_000, features: 20, lr: 0.1 },
  W2: { rows: 60_000, features: 784, hidden: [256, 128], classes: 10, batch: 128, lr: 1e-3 },
  W3: { rows: 10_000, features: 13, hidden: [64, 64], batch: 32, lr: 0.01, momentum: 0.9 },
  W4: { rows: 10_000, features: 50, iterations: 20 },
  /** The digits CNN: conv2d(1→8, 3×3, padding 1) → batchnorm2d → relu → maxpool2d(2) → flatten → linear(128→10). */
  W5: { rows: 1_797, side: 8, channels: 8, classes: 10, batch: 32, lr: 1e-3 },
  /** LSTM(1→32) over 20 steps, the last step → linear(32→1), MSE. */
  W6: { rows: 10_000, steps: 20, hidden: 32, batch: 32, lr: 1e-3 },
  gemm: { n: 256 },
} as const;

/** W5's images: digits-sized 8×8 pixels with values 0–16 (as sklearn's digits), labels cycling over 10 classes. */
export function digitsLike(rows: number, seed: number): { x: Float32Array; y: Int32Array } {
  const g = gaussian(seed);
  const x = new Float32Array(rows * 64);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(16, Math.floor(Math.abs(g()) * 6));
  const y = Int32Array.from({ length: rows }, (_, i) => (i * 31) % 10);
  return { x, y };
}

/** W6's windows: `steps` values of a sine with a random phase and frequency, the next value as the target. */
export function sineWindows(rows: number, steps: number, seed: number): { x: Float32Array; y: Float32Array } {
  const g = gaussian(seed);
  const x = new Float32Array(rows * steps);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const phase = g() * Math.PI;
    const freq = 0.2 + 0.05 * Math.abs(g());
    for (let t = 0; t <= steps; t++) {
      const v = Math.sin(phase + freq * t);
      if (t < steps) x[r * steps + t] = v;
      else y[r] = v;
    }
  }
  return { x, y };
}

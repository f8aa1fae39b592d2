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
  gemm: { n: 256 },
} as const;

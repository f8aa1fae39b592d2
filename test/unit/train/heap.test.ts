/**
 * Memory: a W2-like run (MLP 784-256-128-10, Adam, batch 128, float32, synthetic data) through
 * `train()` must not grow the heap across epochs. Run in a child process started with `--expose-gc`
 * (vitest cannot give one test file its own exec flags), which forces full GCs at the end of every
 * epoch and reports, as one JSON line, heapUsed and arrayBuffers (typed arrays live there, not in
 * heapUsed) per epoch, and its peak RSS.
 *
 * Warm-up: at least 5 epochs (50 steps) and until the first checkpoint has been taken — the first
 * checkpoint adds a one-time 2.7 MB to arrayBuffers (the size of one snapshot: parameters and both
 * Adam moments, apparently the latest snapshot kept reachable until the next), flat afterwards. Checkpoints are encoded as the
 * service does, every 200 ms here. Then the run goes on for 300 more steps (fused path, what jobs
 * run) or 150 (the slower general autodiff engine) and is stopped with its AbortSignal.
 *
 * Bound: over the measured steps heapUsed and arrayBuffers may each grow by less than 2 MB, end to
 * end and as the fitted trend over 300 steps, both taken on the running minimum over 3 epochs (a
 * sample may catch a checkpoint in flight). One stray copy of the 235k parameters is 0.94 MB in
 * float32: a leak of one per epoch would be 28 MB over 300 steps, one 128×256 activation per epoch
 * 3.8 MB. Measured on the reference machine: heapUsed +0.0–0.1 MB and arrayBuffers +0.00 MB for
 * both engines. Skipped with DESCENT_KERNELS=typescript (the oracle tier: too slow for this suite).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MB = 2 ** 20;
const WARMUP_EPOCHS = 5; // at least 50 steps, and until the first checkpoint
/**
 * The runs: every one has 10 steps per epoch; `runs` = measured epochs per engine after the warm-up. The
 * sequential CNN (issue 11: conv2d → batchnorm2d (running statistics updated in place every step) → relu →
 * maxpool2d → flatten → linear) has no fused path, so only the autodiff engine runs it.
 */
const CASES = {
  'W2-like MLP 784-256-128-10, batch 128': {
    ROWS: 1280,
    BATCH: 128,
    F: 784,
    MODEL: { type: 'mlp', hidden: [256, 128], activation: 'relu' },
    RUNS: { fused: 30, autodiff: 15 } as Record<string, number>,
  },
  'W5-like digits CNN, batch 32': {
    ROWS: 320,
    BATCH: 32,
    F: 64,
    MODEL: {
      type: 'sequential',
      input: [1, 8, 8],
      layers: [
        { type: 'conv2d', out: 8, kernel: 3, padding: 1 },
        { type: 'batchnorm2d' },
        { type: 'relu' },
        { type: 'maxpool2d', kernel: 2 },
        { type: 'flatten' },
        { type: 'linear', out: 10 },
      ],
    },
    RUNS: { autodiff: 30 } as Record<string, number>,
  },
};
const BOUND_MB = 2;
const SLOW_KERNELS = process.env.DESCENT_KERNELS === 'typescript';

/** The child: plain ESM evaluated with tsx's loader, so it imports the TypeScript sources. */
const CHILD = `
import { SupervisedJobSpecSchema } from './src/contracts/job-spec.js';
import { train, encodeResumeState } from './src/train/index.js';
import { useFastestKernels } from './src/tensor/kernels/select.js';

const kernels = useFastestKernels().name;
const { ROWS, RUNS, WARMUP_EPOCHS, F, MODEL, BATCH } = JSON.parse(process.env.HEAP_TEST);
const C = 10;
let s = 12345;
const u = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return ((s >>> 0) + 0.5) / 4294967296; };
const x = new Float64Array(ROWS * F);
for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
const y = new Float64Array(ROWS);
for (let i = 0; i < ROWS; i++) y[i] = (i * 31) % C;
const data = { name: 'heap', x, y, rows: ROWS, features: F, targets: 1, classes: C };

const spec = SupervisedJobSpecSchema.parse({
  model: MODEL,
  data: { datasetId: 'ds_heap' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 1e-3 },
  training: { epochs: 1000, batchSize: BATCH, shuffle: true, seed: 1, validationSplit: 0, dtype: 'float32' },
});

const out = { kernels, runs: {} };
for (const [engine, measured] of Object.entries(RUNS)) {
  const samples = [];
  const ac = new AbortController();
  const checkpointEpochs = [];
  let firstCheckpointEpoch = null;
  let warmEpochs = null;
  let steps = 0;
  const t0 = performance.now();
  const outcome = await train(spec, data, {
    engine,
    signal: ac.signal,
    diagnostics: false,
    progressEveryMs: 20,
    checkpointEveryMs: 200,
    onCheckpoint(state) {
      JSON.stringify(encodeResumeState(state));
      checkpointEpochs.push(samples.length + 1);
      firstCheckpointEpoch ??= samples.length + 1;
    },
    onEvent(e) {
      if (e.type === 'progress') steps = e.step;
      if (e.type !== 'epoch') return;
      // Two collections: V8 sweeps dead ArrayBuffers concurrently after a GC, so arrayBuffers read
      // right after one still counts some; the next GC waits for that sweep to finish first.
      globalThis.gc();
      globalThis.gc();
      const m = process.memoryUsage();
      samples.push({ epoch: e.epoch, step: steps, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external, rss: m.rss });
      if (warmEpochs === null && firstCheckpointEpoch !== null && samples.length >= WARMUP_EPOCHS && samples.length > firstCheckpointEpoch)
        warmEpochs = samples.length;
      if (warmEpochs !== null && samples.length >= warmEpochs + measured) ac.abort();
    },
  });
  out.runs[engine] = { status: outcome.status, seconds: (performance.now() - t0) / 1000, checkpointEpochs, warmEpochs, samples };
}
out.peakRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(out) + '\\n');
`;

interface Sample {
  epoch: number;
  step: number;
  heapUsed: number;
  arrayBuffers: number;
  external: number;
  rss: number;
}
interface Run {
  status: string;
  seconds: number;
  /** The epoch in progress at each checkpoint. */
  checkpointEpochs: number[];
  /** Epochs of warm-up: ≥ WARMUP_EPOCHS and past the first checkpoint; null if none was taken. */
  warmEpochs: number | null;
  samples: Sample[];
}

describe('train() memory across epochs', () => {
  test.skipIf(SLOW_KERNELS).each(Object.entries(CASES))(
    `%s: heapUsed and arrayBuffers grow < ${BOUND_MB} MB over the measured steps after warm-up`,
    (_name, { ROWS, BATCH, F, MODEL, RUNS }) => {
      const r = spawnSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD],
        {
          cwd: REPO,
          env: {
            ...process.env,
            HEAP_TEST: JSON.stringify({ ROWS, RUNS, WARMUP_EPOCHS, F, MODEL, BATCH }),
          },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const line = r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop()!;
      const res = JSON.parse(line) as { kernels: string; runs: Record<string, Run>; peakRssMB: number };
      const lines: string[] = [
        `kernels ${res.kernels}; child peak RSS ${res.peakRssMB.toFixed(0)} MB (${ROWS} rows)`,
      ];
      for (const [engine, run] of Object.entries(res.runs)) {
        expect(run.status).toBe('cancelled'); // stopped by the child after the measured epochs
        expect(run.warmEpochs, 'a checkpoint was taken during warm-up').not.toBeNull();
        const warmEpochs = run.warmEpochs!;
        const measured = RUNS[engine] * 10;
        expect(run.samples).toHaveLength(warmEpochs + measured / 10);
        const warm = run.samples[warmEpochs - 1];
        const last = run.samples[run.samples.length - 1];
        expect(last.step - warm.step).toBe(measured);
        // A sample can catch a checkpoint in flight (its copies of the parameters and the Adam
        // moments: 2.7 MB), so each series is first reduced to its running minimum over 3 epochs: a
        // leak raises that floor at every epoch, a transient does not.
        const w = warmEpochs - 1;
        const e = run.samples.length - 1;
        // The window never reaches back into the warm-up (whose samples precede the first checkpoint).
        const floor = (key: 'heapUsed' | 'arrayBuffers') =>
          run.samples.map((_, i) =>
            i < w ? NaN : Math.min(...run.samples.slice(Math.max(w, i - 2), i + 1).map((x) => x[key])),
          );
        const heapFloor = floor('heapUsed');
        const bufFloor = floor('arrayBuffers');
        const heapGrowth = (heapFloor[e] - heapFloor[w]) / MB;
        const bufGrowth = (bufFloor[e] - bufFloor[w]) / MB;
        // A steady leak also shows as a slope of the floor, even when the end points happen to be close.
        const slope = (ys: number[]) => {
          const xs = ys.map((_, i) => i).slice(w);
          const vs = ys.slice(w);
          const n = xs.length;
          const mx = xs.reduce((a, x) => a + x, 0) / n;
          const my = vs.reduce((a, y) => a + y, 0) / n;
          let sxy = 0;
          let sxx = 0;
          for (let i = 0; i < n; i++) {
            sxy += (xs[i] - mx) * (vs[i] - my);
            sxx += (xs[i] - mx) ** 2;
          }
          return sxy / sxx / MB; // MB per epoch (10 steps)
        };
        const trendEpochs = 30; // the trend is held to the bound over 300 steps for both engines
        const heapSlope = slope(heapFloor);
        const bufSlope = slope(bufFloor);
        const mb = (v: number) => (v / MB).toFixed(1);
        const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
        lines.push(
          `${engine}: ${warmEpochs} warm-up epochs, ${measured} steps measured, ${run.seconds.toFixed(1)} s, ${run.checkpointEpochs.length} checkpoints; heapUsed floor ${mb(heapFloor[w])} → ${mb(heapFloor[e])} MB (${signed(heapGrowth)}, slope ${(heapSlope * 1024).toFixed(1)} KB/epoch); arrayBuffers floor ${mb(bufFloor[w])} → ${mb(bufFloor[e])} MB (${signed(bufGrowth)}, slope ${(bufSlope * 1024).toFixed(1)} KB/epoch); raw arrayBuffers max ${mb(Math.max(...run.samples.slice(w).map((x) => x.arrayBuffers)))} MB; rss at end ${mb(last.rss)} MB`,
        );
        const series = `arrayBuffers by epoch ${run.samples.map((x) => (x.arrayBuffers / MB).toFixed(2)).join(' ')}; heapUsed ${run.samples.map((x) => (x.heapUsed / MB).toFixed(2)).join(' ')}; checkpoints in epochs ${run.checkpointEpochs.join(',')}; warm-up ${warmEpochs}`;
        expect(heapGrowth, `${engine} heapUsed growth (MB); ${series}`).toBeLessThan(BOUND_MB);
        expect(bufGrowth, `${engine} arrayBuffers growth (MB); ${series}`).toBeLessThan(BOUND_MB);
        // The fitted trend of the floor over 300 steps (30 epochs), held to the same bound.
        expect(heapSlope * trendEpochs, `${engine} heapUsed trend over 300 steps (MB)`).toBeLessThan(
          BOUND_MB,
        );
        expect(bufSlope * trendEpochs, `${engine} arrayBuffers trend over 300 steps (MB)`).toBeLessThan(
          BOUND_MB,
        );
      }
      console.log(lines.join('\n'));
    },
    120_000,
  );
});

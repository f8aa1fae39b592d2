/**
 * How fast this build trains on this machine, measured, so that validation can refuse a job that
 * cannot finish inside its wall-time limit instead of failing it with TIMEOUT hours later.
 *
 * The model of a step is in src/contracts/speed.ts. Its two numbers are measured with the real training loop on the fastest kernels of this process (what a
 * worker uses): `overhead` from a tiny net trained row by row, `flopsPerSecond` from a wide net
 * trained in large batches. Each is the best of a few runs, so the estimate leans fast: a job is
 * refused only when even this build at its best could not finish it.
 */
import { createJobSpecSchema, type SupervisedJobSpec } from '../contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../contracts/limits.js';
import type { StepSpeed } from '../contracts/speed.js';
import type { Dataset } from '../data/index.js';
import { setKernels } from '../tensor/kernels/active.js';
import { selectKernels } from '../tensor/kernels/select.js';
import { createRng } from '../rng/rng.js';
import { train } from './tasks/supervised.js';

/** A seeded regression dataset of `rows` × `features`. */
function synthetic(rows: number, features: number): Dataset {
  const rng = createRng(11);
  const x = new Float64Array(rows * features).map(() => rng.normal());
  const y = new Float64Array(rows).map(() => rng.normal());
  return { name: 'speed', x, y, rows, features, targets: 1 };
}

/** Seconds per step of the best of `repeats` runs of `epochs` epochs. */
async function secondsPerStep(
  hidden: number[],
  data: Dataset,
  batchSize: number,
  epochs: number,
  repeats: number,
): Promise<number> {
  const spec = createJobSpecSchema(DEFAULT_LIMITS).parse({
    model: { type: 'mlp', hidden },
    data: { builtin: 'iris' },
    loss: 'mse',
    optimizer: { type: 'adam' },
    training: { epochs, batchSize, shuffle: false },
  }) as SupervisedJobSpec;
  const steps = Math.ceil(data.rows / batchSize) * epochs;
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await train(spec, data, {});
    best = Math.min(best, (performance.now() - t0) / 1000 / steps);
  }
  return best;
}

/** Dense parameters of an MLP `features → hidden… → 1`. */
function parameters(features: number, hidden: number[]): number {
  const sizes = [features, ...hidden, 1];
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1] * sizes[i] + sizes[i];
  return n;
}

/**
 * Measure {@link StepSpeed} (about half a second). The process-wide kernels are switched to the
 * fastest backend for the measurement and restored after.
 */
export async function measureStepSpeed(): Promise<StepSpeed> {
  const k = selectKernels();
  const prev = setKernels(k);
  try {
    const tiny = synthetic(64, 4);
    const overheadSeconds = await secondsPerStep([4], tiny, 1, 3, 3);
    const wide = synthetic(256, 256);
    const hidden = [512, 512];
    const perStep = await secondsPerStep(hidden, wide, 256, 2, 3);
    const flops = 6 * 256 * parameters(256, hidden);
    const flopsPerSecond = flops / Math.max(perStep - overheadSeconds, perStep / 10);
    return { overheadSeconds, flopsPerSecond, kernels: k.name };
  } finally {
    setKernels(prev);
  }
}

let measured: Promise<StepSpeed | null> | null = null;

/**
 * {@link measureStepSpeed}, once per process (the API's SpeedFn). A failed measurement (it should
 * not fail) resolves null, which turns the wall-time check off rather than failing every POST.
 */
export const measuredSpeed = (): Promise<StepSpeed | null> =>
  (measured ??= measureStepSpeed().catch(() => null));

/**
 * Descent side of `npm run bench`. One workload per process, one JSON line on stdout.
 * usage: node --import tsx bench/descent/workloads.ts W1|W2|W3|W4|W5|W6|sgemm|dgemm train|loop (W4–W6: train) [seconds]
 *   train: the service path, `train()` from src/train (shuffling, batch gathering, progress events, per-epoch
 *          metrics — everything a job does), time-boxed with its AbortSignal.
 *   loop:  a hand-written step with the same pieces train() uses (model.forward, computeLoss, grad,
 *          createOptimizer().step) and nothing else: the engine's own speed.
 * The kernel backend is the fastest available, or DESCENT_KERNELS=typescript|wasm|native.
 */
import { SupervisedJobSpecSchema, type SupervisedJobSpec } from '../../src/contracts/job-spec.js';
import type { Dataset } from '../../src/data/index.js';
import { buildModel } from '../../src/models/dense.js';
import { computeLoss } from '../../src/models/losses.js';
import { createOptimizer } from '../../src/optim/index.js';
import { createRng, permutation } from '../../src/rng/rng.js';
import { useFastestKernels } from '../../src/tensor/kernels/select.js';
import { grad } from '../../src/tensor/index.js';
import { gatherBatch } from '../../src/train/batches.js';
import { train } from '../../src/train/index.js';
import { digitsLike, emit, gaussian, rate, sineWindows, SPEC, timed, type Rate } from '../common.js';

const [name, mode = 'train', secArg] = process.argv.slice(2);
const seconds = Number(secArg ?? 2);
const kern = useFastestKernels();

function dataset(
  rows: number,
  features: number,
  kind: 'binary' | 'classes' | 'values',
  classes = 10,
): Dataset {
  const g = gaussian(rows + features);
  const x = new Float64Array(rows * features);
  for (let i = 0; i < x.length; i++) x[i] = g();
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++)
    y[i] = kind === 'binary' ? (i * 7919) % 2 : kind === 'classes' ? (i * 31) % classes : g();
  return {
    name: 'bench',
    x,
    y,
    rows,
    features,
    targets: 1,
    ...(kind === 'classes' ? { classes } : kind === 'binary' ? { classes: 2 } : {}),
  };
}

function specFor(w: string, epochs: number): { spec: SupervisedJobSpec; data: Dataset; batch: number } {
  const base = {
    data: { datasetId: 'ds_bench' },
    training: { epochs, shuffle: true, seed: 1, validationSplit: 0, dtype: 'float32' },
  };
  if (w === 'W1') {
    const s = SPEC.W1;
    return {
      spec: SupervisedJobSpecSchema.parse({
        ...base,
        model: { type: 'linear' },
        loss: 'bce',
        optimizer: { type: 'sgd', lr: s.lr },
        training: { ...base.training, batchSize: 'full' },
      }) as SupervisedJobSpec,
      data: dataset(s.rows, s.features, 'binary'),
      batch: s.rows,
    };
  }
  if (w === 'W2') {
    const s = SPEC.W2;
    return {
      spec: SupervisedJobSpecSchema.parse({
        ...base,
        model: { type: 'mlp', hidden: [...s.hidden], activation: 'relu' },
        loss: 'cross_entropy',
        optimizer: { type: 'adam', lr: s.lr },
        training: { ...base.training, batchSize: s.batch },
      }) as SupervisedJobSpec,
      data: dataset(s.rows, s.features, 'classes', s.classes),
      batch: s.batch,
    };
  }
  if (w === 'W3') {
    const s = SPEC.W3;
    return {
      spec: SupervisedJobSpecSchema.parse({
        ...base,
        model: { type: 'mlp', hidden: [...s.hidden], activation: 'relu' },
        loss: 'mse',
        optimizer: { type: 'sgd', lr: s.lr, momentum: s.momentum },
        training: { ...base.training, batchSize: s.batch },
      }) as SupervisedJobSpec,
      data: dataset(s.rows, s.features, 'values'),
      batch: s.batch,
    };
  }
  if (w === 'W5') {
    const s = SPEC.W5;
    const d = digitsLike(s.rows, 8);
    return {
      spec: SupervisedJobSpecSchema.parse({
        ...base,
        model: {
          type: 'sequential',
          input: [1, s.side, s.side],
          layers: [
            { type: 'conv2d', out: s.channels, kernel: 3, padding: 1 },
            { type: 'batchnorm2d' },
            { type: 'relu' },
            { type: 'maxpool2d', kernel: 2 },
            { type: 'flatten' },
            { type: 'linear', out: s.classes },
          ],
        },
        loss: 'cross_entropy',
        optimizer: { type: 'adam', lr: s.lr },
        training: { ...base.training, batchSize: s.batch },
      }) as SupervisedJobSpec,
      data: {
        name: 'bench',
        x: Float64Array.from(d.x),
        y: Float64Array.from(d.y),
        rows: s.rows,
        features: s.side * s.side,
        targets: 1,
        classes: s.classes,
      },
      batch: s.batch,
    };
  }
  if (w === 'W6') {
    const s = SPEC.W6;
    const d = sineWindows(s.rows, s.steps, 10);
    return {
      spec: SupervisedJobSpecSchema.parse({
        ...base,
        model: {
          type: 'sequential',
          input: [s.steps, 1],
          layers: [
            { type: 'lstm', hidden: s.hidden },
            { type: 'linear', out: 1 },
          ],
        },
        loss: 'mse',
        optimizer: { type: 'adam', lr: s.lr },
        training: { ...base.training, batchSize: s.batch },
      }) as SupervisedJobSpec,
      data: {
        name: 'bench',
        x: Float64Array.from(d.x),
        y: Float64Array.from(d.y),
        rows: s.rows,
        features: s.steps,
        targets: 1,
      },
      batch: s.batch,
    };
  }
  const s = SPEC.W4;
  return {
    spec: SupervisedJobSpecSchema.parse({
      ...base,
      model: { type: 'linear' },
      loss: 'bce',
      optimizer: { type: 'newton', lineSearch: false, damping: 1e-8 },
      training: { ...base.training, epochs: s.iterations, batchSize: 'full', dtype: 'float64' },
    }) as SupervisedJobSpec,
    data: dataset(s.rows, s.features, 'binary'),
    batch: s.rows,
  };
}

/** train() until aborted; rates come from the progress events after warm-up (windows of ≥ 0.25 s). */
async function viaTrain(w: string): Promise<Rate> {
  const { spec, data, batch } = specFor(w, w === 'W1' ? 100_000 : 10_000);
  const ac = new AbortController();
  const warmupMs = 500;
  const t0 = performance.now();
  const marks: Array<{ t: number; step: number }> = [];
  const outcome = await train(spec, data, {
    signal: ac.signal,
    progressEveryMs: 50,
    diagnostics: false, // end-of-run sensitivity/curvature analysis: not part of a training step
    onEvent(e) {
      if (e.type !== 'progress') return;
      const t = performance.now();
      if (t - t0 < warmupMs) return;
      marks.push({ t, step: e.step });
      if (t - marks[0].t >= seconds * 1000) ac.abort();
    },
  });
  if (outcome.status === 'failed') throw new Error(`train failed: ${outcome.error?.message}`);
  if (marks.length < 2) throw new Error('too few progress events');
  const per = w === 'W1' ? 1 : batch;
  const rates: number[] = [];
  let start = marks[0];
  for (const m of marks) {
    if (m.t - start.t >= 250) {
      rates.push(((m.step - start.step) * 1000) / (m.t - start.t));
      start = m;
    }
  }
  const first = marks[0];
  const last = marks[marks.length - 1];
  const n = last.step - first.step;
  const el = (last.t - first.t) / 1000;
  if (rates.length === 0) rates.push(n / el);
  rates.sort((a, b) => a - b);
  return rate({ n, el, best: rates[rates.length - 1], median: rates[Math.floor(rates.length / 2)] }, per);
}

/** The bare step, as in train() without the bookkeeping. */
function viaLoop(w: string): Rate {
  const { spec, data, batch } = specFor(w, 1);
  const cfg = spec.model.type === 'mlp' ? spec.model : { type: 'linear' as const };
  const outWidth = spec.loss === 'cross_entropy' ? data.classes! : 1;
  const model = buildModel(cfg, data.features, outWidth, spec.training.dtype, {
    scheme: 'default',
    rng: createRng(1),
  });
  const params = model.params.map((p) => p.tensor.data);
  const opt = createOptimizer(spec.optimizer as Parameters<typeof createOptimizer>[0]);
  const state = opt.init(params);
  const rng = createRng(2);
  let order = permutation(data.rows, rng);
  let pos = 0;
  // Full batch: gather once, as the PyTorch and tfjs scripts use X directly.
  const full =
    batch === data.rows
      ? gatherBatch(data, Int32Array.from(order).sort(), 0, batch, spec.training.dtype, spec.loss)
      : null;
  const t = timed(() => {
    if (!full && pos + batch > data.rows) {
      order = permutation(data.rows, rng);
      pos = 0;
    }
    const { x, targets } = full ?? gatherBatch(data, order, pos, pos + batch, spec.training.dtype, spec.loss);
    pos += batch;
    const loss = computeLoss(spec.loss, model.forward(x, { training: true, rng }), targets);
    const grads = grad(
      loss,
      model.params.map((p) => p.tensor),
    ).map((g) => g.data);
    opt.step(params, grads, state, { lr: opt.hp.lr });
  }, seconds);
  return rate(t, w === 'W1' ? 1 : batch);
}

async function main(): Promise<void> {
  const variant = (kern as { variant?: string }).variant;
  const base = {
    workload: name,
    system: `descent-${kern.name}`,
    mode,
    threads: 1,
    ...(variant ? { variant } : {}),
  };
  if (name === 'sgemm' || name === 'dgemm') {
    const N = SPEC.gemm.n;
    const g = gaussian(9);
    const make = (): Float32Array | Float64Array => {
      const arr = name === 'sgemm' ? new Float32Array(N * N) : new Float64Array(N * N);
      for (let i = 0; i < arr.length; i++) arr[i] = g();
      return arr;
    };
    const a = make();
    const b = make();
    const c = make();
    const t = timed(() => kern.matmul(a, b, c, N, N, N, false, false, false), seconds);
    emit({ ...base, mode: 'kernel', ...rate(t, (2 * N ** 3) / 1e9), unit: 'GFLOPS' });
    return;
  }
  if (name === 'W4') {
    // 20 Newton iterations = one train() run of 20 full-batch epochs (Hessian by double backward, 51×51 solve).
    const { spec, data } = specFor('W4', SPEC.W4.iterations);
    const times: number[] = [];
    const tStart = performance.now();
    for (let i = 0; ; i++) {
      const t0 = performance.now();
      const out = await train(spec, data, { diagnostics: false });
      if (out.status !== 'succeeded') throw new Error(`newton run ${out.status}: ${out.error?.message}`);
      if (i > 0 || performance.now() - tStart > 2000) times.push((performance.now() - t0) / 1000); // first run = warm-up
      if (times.length > 0 && performance.now() - tStart >= seconds * 1000) break;
    }
    const it = SPEC.W4.iterations;
    const sorted = [...times].sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    emit({
      ...base,
      mode: 'train',
      value: it / sorted[0],
      median: it / sorted[Math.floor(sorted.length / 2)],
      mean: (it * times.length) / total,
      unit: 'iterations/s',
      steps: times.length * it,
      seconds: total,
    });
    return;
  }
  const r = mode === 'loop' ? viaLoop(name) : await viaTrain(name);
  emit({ ...base, ...r, unit: name === 'W1' ? 'steps/s' : 'samples/s' });
}

await main();

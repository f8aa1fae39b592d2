/**
 * One short supervised job per optimizer type (sgd … lbfgs), sized to train for about a second
 * in a worker, and the reference weights of each from `train()` run in this process on the same
 * kernels: the bit-for-bit yardstick of the crash/fencing tests.
 */
import { createJobSpecSchema, type JobSpec } from '../../src/contracts/job-spec.js';
import { DEFAULT_LIMITS } from '../../src/contracts/limits.js';
import { loadBuiltin } from '../../src/data/index.js';
import { useFastestKernels } from '../../src/tensor/kernels/select.js';
import { train } from '../../src/train/index.js';
import type { NamedWeights } from '../../src/tensor/index.js';
import { parseSafetensors } from './safetensors-parser.js';

const firstOrder = (optimizer: Record<string, unknown>, epochs: number) => ({
  model: { type: 'mlp', hidden: [32, 32], activation: 'tanh', dropout: 0.1 },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer,
  training: { epochs, batchSize: 8, seed: 3, validationSplit: 0.2 },
});

/**
 * Sequential models (issue 11) with state beyond weights and optimizer moments: batchnorm's running
 * statistics, dropout's generator, the fused recurrent ops.
 */
const sequential = (layers: unknown[], input: number[], epochs: number) => ({
  model: { type: 'sequential', input, layers },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'adam', lr: 0.01 },
  training: { epochs, batchSize: 8, seed: 5, validationSplit: 0.2 },
});

/** Specs by optimizer type. `scale` multiplies the epochs (1 ≈ one second of training here). */
export function optimizerJobs(scale = 1): Record<string, Record<string, unknown>> {
  const e = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    sgd: firstOrder({ type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true }, e(1000)),
    adagrad: firstOrder({ type: 'adagrad', lr: 0.05 }, e(1500)),
    rmsprop: firstOrder({ type: 'rmsprop', lr: 0.005, centered: true, momentum: 0.5 }, e(1500)),
    adam: firstOrder({ type: 'adam', lr: 0.01, amsgrad: true }, e(1500)),
    adamw: firstOrder({ type: 'adamw', lr: 0.01 }, e(1500)),
    nadam: firstOrder({ type: 'nadam', lr: 0.01 }, e(1500)),
    radam: firstOrder({ type: 'radam', lr: 0.01 }, e(1500)),
    newton: {
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'newton' },
      regularization: { l2: 1e-3 },
      training: { epochs: e(600), batchSize: 'full', dtype: 'float64' },
    },
    lbfgs: {
      model: { type: 'mlp', hidden: [8], activation: 'tanh' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'lbfgs', lineSearchFn: 'strong_wolfe', maxIter: 5 },
      training: { epochs: e(2500), batchSize: 'full', dtype: 'float64' },
    },
  };
}

/** Two sequential jobs (Adam), by name. `scale` multiplies the epochs (1 ≈ one second here). */
export function sequentialJobs(scale = 1): Record<string, Record<string, unknown>> {
  const e = (n: number) => Math.max(1, Math.round(n * scale));
  return {
    sequential_cnn: sequential(
      [
        { type: 'conv2d', out: 4, kernel: 2, padding: 1 },
        { type: 'batchnorm2d' },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dropout', p: 0.1 },
        { type: 'linear' },
      ],
      [1, 2, 2],
      e(150),
    ),
    sequential_lstm: sequential(
      [{ type: 'lstm', hidden: 8, layers: 2, dropout: 0.1 }, { type: 'linear' }],
      [4, 1],
      e(150),
    ),
  };
}

/** The weights of an uninterrupted in-process run, on the kernels a worker picks (the fastest). */
export async function referenceWeights(raw: Record<string, unknown>): Promise<NamedWeights> {
  useFastestKernels();
  const spec = createJobSpecSchema(DEFAULT_LIMITS).parse(raw) as JobSpec & { task: 'supervised' };
  const out = await train(spec as never, loadBuiltin(spec.data.builtin!), { diagnostics: false });
  if (out.status !== 'succeeded') throw new Error(`reference run ${out.status}: ${out.error?.message}`);
  return out.weights;
}

/** Names of tensors whose bytes differ between a safetensors file and reference weights ([] = bit-identical). */
export function bitDifferences(safetensors: Buffer, ref: NamedWeights): string[] {
  const got = parseSafetensors(safetensors).tensors;
  const diff: string[] = [];
  const names = new Set([...Object.keys(got), ...Object.keys(ref)]);
  for (const name of names) {
    if (got[name]?.dtype === 'I64' && ref[name]) {
      // An integer buffer: stored as int64, held as floats in memory; compare the numbers.
      if (got[name].values.some((v, i) => v !== ref[name].data[i])) diff.push(name);
      continue;
    }
    const a = got[name]?.values;
    const b = ref[name]?.data;
    if (!a || !b) {
      diff.push(name);
      continue;
    }
    const ab = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const bb = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (!ab.equals(bb)) diff.push(name);
  }
  return diff;
}

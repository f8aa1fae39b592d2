/**
 * `init.freeze` (issue 16, acceptance 3): a frozen layer's parameters come out of training bit
 * for bit as they went in — with every first-order optimizer (weight decay on where it has one),
 * on the fused dense step and on autodiff, for an mlp and a sequential model — while the other
 * layers train; its optimizer state is never touched. `init.fromJob`'s tensors start the model
 * (and a tensor of another shape is refused); Newton and L-BFGS refuse freeze at validation.
 */
import { describe, expect, test } from 'vitest';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';
import { parseJsonDataset } from '../../../src/data/index.js';
import { train } from '../../../src/train/index.js';
import type { NamedWeights } from '../../../src/tensor/index.js';
import { bitEqual, spec } from './helpers.js';

const X = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), (i % 5) / 5]);
const Y = X.map(([a, b, c]) => [a - 2 * b + c * c]);
const inline = { x: X, y: Y };
const data = parseJsonDataset(inline, { name: 'inline' });

/** Start values for an mlp 3 → 4 → 1: layer 0 (`0.*`) and layer 2 (`2.*`). */
const START: NamedWeights = {
  '0.weight': { shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => ((i % 5) - 2) / 7) },
  '0.bias': { shape: [4], data: Float32Array.from([0.1, -0.2, 0.05, 0]) },
  '2.weight': { shape: [1, 4], data: Float32Array.from([0.3, -0.1, 0.2, 0.4]) },
  '2.bias': { shape: [1], data: Float32Array.from([0.01]) },
};

const OPTIMIZERS: Record<string, unknown>[] = [
  { type: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
  { type: 'adam', lr: 0.01, weightDecay: 0.01, amsgrad: true },
  { type: 'adamw', lr: 0.01, weightDecay: 0.1 },
  { type: 'rmsprop', lr: 0.01, weightDecay: 0.01, centered: true, momentum: 0.5 },
  { type: 'adagrad', lr: 0.05, weightDecay: 0.01 },
  { type: 'nadam', lr: 0.01, weightDecay: 0.01 },
  { type: 'radam', lr: 0.01, weightDecay: 0.01 },
];

const mlpSpec = (optimizer: Record<string, unknown>, freeze?: number[]) =>
  spec({
    model: { type: 'mlp', hidden: [4], activation: 'tanh' },
    data: { inline },
    loss: 'mse',
    optimizer,
    regularization: { l2: 0.01 },
    training: { epochs: 5, batchSize: 8, seed: 3, gradClipNorm: 1 },
    init: freeze ? { freeze } : {},
  });

describe('init.freeze', () => {
  for (const engine of ['fused', 'autodiff'] as const)
    test.each(OPTIMIZERS.map((o) => [o.type as string, o]))(
      `%s (${engine}): layer 0 stays bit-identical, layer 2 trains`,
      async (_name, optimizer) => {
        const out = await train(mlpSpec(optimizer, [0]), data, {
          engine,
          diagnostics: false,
          fromJob: { id: 'job_start0000', weights: START },
        });
        expect(out.status, out.error?.message).toBe('succeeded');
        for (const n of ['0.weight', '0.bias'])
          expect(bitEqual(out.weights[n].data, START[n].data), `${n} moved`).toBe(true);
        for (const n of ['2.weight', '2.bias'])
          expect(bitEqual(out.weights[n].data, START[n].data), `${n} did not train`).toBe(false);
      },
    );

  test('the optimizer state of a frozen parameter is never touched (Adam: step 0, zero moments)', async () => {
    const out = await train(mlpSpec({ type: 'adam', lr: 0.01 }, [2]), data, {
      diagnostics: false,
      fromJob: { id: 'job_start0000', weights: START },
    });
    const st = out.state.optimizer as { step: number[]; expAvg: Float32Array[] };
    expect(st.step).toEqual([15, 15, 0, 0]);
    expect(Array.from(st.expAvg[2]).every((v) => v === 0)).toBe(true);
    expect(bitEqual(out.weights['2.weight'].data, START['2.weight'].data)).toBe(true);
  });

  test('a sequential model (autodiff): the frozen first layer is bit-identical, the head trains', async () => {
    const s = spec({
      model: {
        type: 'sequential',
        input: [3],
        layers: [{ type: 'linear', out: 5 }, { type: 'relu' }, { type: 'linear' }],
      },
      data: { inline },
      loss: 'mse',
      optimizer: { type: 'adamw', lr: 0.01 },
      training: { epochs: 4, batchSize: 6, seed: 1 },
      init: { freeze: [0] },
    });
    const start: NamedWeights = {
      '0.weight': { shape: [5, 3], data: Float32Array.from({ length: 15 }, (_, i) => ((i % 4) - 1.5) / 5) },
      '0.bias': { shape: [5], data: Float32Array.from([0.1, 0.2, -0.1, 0, 0.3]) },
      '2.weight': { shape: [1, 5], data: Float32Array.from([0.2, -0.3, 0.1, 0.4, -0.2]) },
      '2.bias': { shape: [1], data: Float32Array.from([0]) },
    };
    const out = await train(s, data, {
      diagnostics: false,
      fromJob: { id: 'job_start0000', weights: start },
    });
    expect(out.status, out.error?.message).toBe('succeeded');
    expect(bitEqual(out.weights['0.weight'].data, start['0.weight'].data)).toBe(true);
    expect(bitEqual(out.weights['0.bias'].data, start['0.bias'].data)).toBe(true);
    expect(bitEqual(out.weights['2.weight'].data, start['2.weight'].data)).toBe(false);
  });

  test('an index that is no layer with parameters fails the run, naming the layers', async () => {
    const out = await train(mlpSpec({ type: 'sgd', lr: 0.1 }, [1]), data, { diagnostics: false });
    expect(out.status).toBe('failed');
    expect(out.error?.message).toMatch(/init\.freeze\[0\] is 1.*0, 2/);
  });

  test.each(['newton', 'lbfgs'])('%s refuses init.freeze at validation, saying why', (type) => {
    const r = JobSpecSchema.safeParse({
      model: { type: 'linear' },
      data: { inline },
      loss: 'mse',
      optimizer: { type },
      training: { batchSize: 'full' },
      init: { freeze: [0] },
    });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('/') === 'init/freeze');
    expect(issue?.message).toMatch(/not supported with optimizer .*one vector/);
  });
});

describe('init.fromJob in the trainer', () => {
  test("the parent's tensors start the model; init.layers takes only some", async () => {
    const s = mlpSpec({ type: 'sgd', lr: 0 }, undefined);
    const all = await train(s, data, {
      diagnostics: false,
      fromJob: { id: 'job_start0000', weights: START },
    });
    // lr 0: nothing moves, so the weights are the start.
    for (const n of Object.keys(START)) expect(bitEqual(all.weights[n].data, START[n].data)).toBe(true);
    const some = await train({ ...s, init: { ...s.init, fromJob: 'job_start0000', layers: [2] } }, data, {
      diagnostics: false,
      fromJob: { id: 'job_start0000', weights: START },
    });
    expect(bitEqual(some.weights['2.weight'].data, START['2.weight'].data)).toBe(true);
    expect(bitEqual(some.weights['0.weight'].data, START['0.weight'].data)).toBe(false);
  });

  test('a tensor of another shape is refused, naming it and both shapes', async () => {
    const bad = { ...START, '0.weight': { shape: [4, 2], data: new Float32Array(8) } };
    const out = await train(mlpSpec({ type: 'sgd', lr: 0.1 }), data, {
      diagnostics: false,
      fromJob: { id: 'job_start0000', weights: bad },
    });
    expect(out.status).toBe('failed');
    expect(out.error?.message).toMatch(
      /"0\.weight" has shape \[4, 2\] in job job_start0000; this model needs \[4, 3\]/,
    );
  });

  test('init.layers and init.optimizerState need init.fromJob; optimizerState true is refused, saying why', () => {
    const base = { model: { type: 'linear' }, data: { inline }, loss: 'mse' };
    const noParent = JobSpecSchema.safeParse({ ...base, init: { layers: [0] } });
    expect(noParent.error?.issues.map((i) => i.message)).toContain('init.layers needs init.fromJob');
    const withState = JobSpecSchema.safeParse({
      ...base,
      init: { fromJob: 'job_0mif3k2a1x7d9q2zk4', optimizerState: true },
    });
    expect(withState.error?.issues[0].message).toMatch(/keeps no final optimizer state.*fork/);
  });
});

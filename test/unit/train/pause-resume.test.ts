/**
 * `untilEpoch` (a sweep's rung): a run paused at epoch 3 and resumed from the checkpoint it delivered
 * to epoch 9 ends with the weights of a fresh 9-epoch run, bit for bit, for an MLP with Adam
 * (amsgrad), SGD momentum and dropout, a sequential model with batchnorm (running statistics) and
 * dropout, and Newton. The checkpoints travel through JSON as they do through Redis.
 */
import { describe, expect, it } from 'vitest';
import { JobSpecSchema, type JobSpec } from '../../../src/contracts/job-spec.js';
import { loadBuiltin } from '../../../src/data/index.js';
import {
  runTask,
  type TaskCheckpoint,
  type TaskOptions,
  type TaskOutcome,
} from '../../../src/train/index.js';
import { bitEqual } from './helpers.js';

const cases: Record<string, Record<string, unknown>> = {
  'mlp + dropout, adam (amsgrad), step schedule, validation split': {
    model: { type: 'mlp', hidden: [8, 8], activation: 'tanh', dropout: 0.2 },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'adam', lr: 0.01, amsgrad: true },
    schedule: { type: 'step', stepSize: 2, gamma: 0.5 },
    regularization: { l2: 1e-3 },
    training: { epochs: 9, batchSize: 32, validationSplit: 0.2, seed: 11 },
  },
  'mlp, sgd momentum (nesterov), float64, no validation split': {
    model: { type: 'mlp', hidden: [6], activation: 'relu' },
    data: { builtin: 'two_moons' },
    loss: 'bce',
    optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true },
    training: { epochs: 9, batchSize: 24, dtype: 'float64', seed: 5 },
  },
  'sequential with batchnorm and dropout, sgd momentum': {
    model: {
      type: 'sequential',
      input: [4],
      layers: [
        { type: 'linear', out: 8 },
        { type: 'batchnorm1d' },
        { type: 'relu' },
        { type: 'dropout', p: 0.2 },
        { type: 'linear' },
      ],
    },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
    training: { epochs: 9, batchSize: 20, validationSplit: 0.2, seed: 8 },
  },
  'newton (one iteration per epoch, float64)': {
    model: { type: 'linear' },
    data: { builtin: 'iris' },
    loss: 'cross_entropy',
    optimizer: { type: 'newton' },
    regularization: { l2: 1e-3 },
    training: { epochs: 9, batchSize: 'full', dtype: 'float64' },
  },
};

function parse(input: Record<string, unknown>, epochs?: number): JobSpec {
  const training = { ...(input.training as object), ...(epochs ? { epochs } : {}) };
  return JobSpecSchema.parse({ ...input, training });
}

/** Run a segment; the last checkpoint it delivered, through JSON. */
async function segment(
  spec: JobSpec,
  opts: TaskOptions,
): Promise<{ out: TaskOutcome; checkpoint: TaskCheckpoint | undefined }> {
  let checkpoint: TaskCheckpoint | undefined;
  const out = await runTask(spec, loadBuiltin((spec as { data: { builtin: string } }).data.builtin), {
    diagnostics: false,
    ...opts,
    onCheckpoint: (c) => {
      checkpoint = JSON.parse(JSON.stringify(c)) as TaskCheckpoint;
    },
  });
  return { out, checkpoint };
}

function expectSameWeights(a: TaskOutcome, b: TaskOutcome): void {
  expect(Object.keys(a.weights)).toEqual(Object.keys(b.weights));
  for (const k of Object.keys(a.weights)) expect(bitEqual(a.weights[k].data, b.weights[k].data)).toBe(true);
}

/** The numbers of a result (not its timing, nor the end-of-run diagnostics a pause skips). */
function numbers(o: TaskOutcome): unknown {
  const r = o.result!;
  return { loss: r.loss, valLoss: r.valLoss, metrics: r.metrics, steps: r.steps, epochs: r.epochs };
}

describe('untilEpoch: pause at a rung, resume from its checkpoint', () => {
  for (const [name, input] of Object.entries(cases)) {
    it(`${name}: pause at 3 + resume to 9 = a fresh 9-epoch run, bit for bit`, async () => {
      const spec = parse(input);
      const fresh = await segment(spec, {});
      expect(fresh.out.status).toBe('succeeded');

      const first = await segment(spec, { untilEpoch: 3 });
      expect(first.out.status).toBe('paused');
      expect(first.out.result!.epochs).toBe(3);
      expect(first.checkpoint).toBeDefined();

      // The paused weights and numbers are those of a fresh job trained for 3 epochs (the step
      // schedule does not depend on the total), so a stopped trial is such a job.
      const three = await segment(parse(input, 3), {});
      expectSameWeights(first.out, three.out);
      expect(numbers(first.out)).toEqual(numbers(three.out));

      const rest = await segment(spec, { resume: first.checkpoint });
      expect(rest.out.status).toBe('succeeded');
      expect(rest.out.result!.epochs).toBe(9);
      expectSameWeights(rest.out, fresh.out);
      expect(numbers(rest.out)).toEqual(numbers(fresh.out));
    });
  }

  it('rungs 1 → 3 → 9 chained, and a replayed segment pauses again with the same outcome', async () => {
    const input = cases['sequential with batchnorm and dropout, sgd momentum'];
    const spec = parse(input);
    const fresh = await segment(spec, {});
    const r1 = await segment(spec, { untilEpoch: 1 });
    expect(r1.out.status).toBe('paused');
    const r3 = await segment(spec, { untilEpoch: 3, resume: r1.checkpoint });
    expect(r3.out.status).toBe('paused');
    expect(r3.out.result!.epochs).toBe(3);
    // A worker that dies after the checkpoint but before the outcome is recorded replays the segment.
    const replay = await segment(spec, { untilEpoch: 3, resume: r3.checkpoint });
    expect(replay.out.status).toBe('paused');
    expectSameWeights(replay.out, r3.out);
    expect(numbers(replay.out)).toEqual(numbers(r3.out));
    const r9 = await segment(spec, { untilEpoch: 9, resume: replay.checkpoint });
    expect(r9.out.status).toBe('succeeded');
    expectSameWeights(r9.out, fresh.out);
  });

  it('untilEpoch at or past training.epochs changes nothing', async () => {
    const spec = parse(cases['mlp, sgd momentum (nesterov), float64, no validation split']);
    const fresh = await segment(spec, {});
    const at = await segment(spec, { untilEpoch: 9 });
    expect(at.out.status).toBe('succeeded');
    expectSameWeights(at.out, fresh.out);
  });

  it('early stopping before the rung ends the run succeeded (final), not paused', async () => {
    const spec = JobSpecSchema.parse({
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      // lr 0: the loss never improves, so patience 1 stops after epoch 2
      optimizer: { type: 'sgd', lr: 0 },
      training: { epochs: 9, batchSize: 50, earlyStopping: { patience: 1, monitor: 'loss' } },
    });
    const out = await segment(spec, { untilEpoch: 3 });
    expect(out.out.status).toBe('succeeded');
    expect(out.out.result!.stoppedEarly).toMatch(/early stopping/);
    expect(out.out.result!.epochs).toBe(2);
  });
});

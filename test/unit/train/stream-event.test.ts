/**
 * The worker seam: a task event from runTask becomes a stored job event by `toStreamEvent` in the
 * attempt's envelope (`storedEvent`), nothing else — every such event is one the event schema keeps whole (no
 * field it would strip, none missing), and the trainer a worker injects has runTask's own types.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { JobEventSchema } from '../../../src/contracts/events.js';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';
import { loadBuiltin } from '../../../src/data/index.js';
import { runTask, storedEvent, toStreamEvent, type TaskEvent } from '../../../src/train/index.js';
import type { Trainer } from '../../../workers/trainer.js';

const envelope = { jobId: 'job_1', attempt: 2, time: '2026-01-01T00:00:00.000Z' };
const stored = (e: TaskEvent) => storedEvent(e, envelope);

async function eventsOf(spec: unknown, data: ReturnType<typeof loadBuiltin> | null) {
  const events: TaskEvent[] = [];
  await runTask(JobSpecSchema.parse(spec), data, { onEvent: (e) => events.push(e), diagnostics: false });
  return events;
}

describe('toStreamEvent', () => {
  it('every event of every task is a whole stored event once enveloped', async () => {
    const all = [
      ...(await eventsOf(
        {
          model: { type: 'mlp', hidden: [4] },
          data: { builtin: 'iris' },
          loss: 'cross_entropy',
          optimizer: { type: 'newton' },
          training: { epochs: 2, batchSize: 'full', seed: 1 },
        },
        loadBuiltin('iris'),
      )),
      ...(await eventsOf(
        {
          model: { type: 'linear' },
          data: { builtin: 'iris' },
          loss: 'cross_entropy',
          optimizer: { type: 'adam' },
          training: { epochs: 1, batchSize: 50, seed: 1 },
        },
        loadBuiltin('iris'),
      )),
      ...(await eventsOf(
        {
          task: 'minimize',
          objective: 'x^2',
          start: { x: 1 },
          optimizer: { type: 'sgd', lr: 0.1 },
          steps: 3,
        },
        null,
      )),
      ...(await eventsOf(
        {
          task: 'reinforce',
          env: { type: 'bandit', arms: 2 },
          episodes: 3,
          policy: { hidden: [4] },
          seed: 1,
        },
        null,
      )),
    ];
    for (const t of ['progress', 'epoch', 'episode'] as const)
      expect(all.some((e) => e.type === t)).toBe(true);
    expect(all.some((e) => e.type === 'epoch' && e.newton)).toBe(true);
    for (const e of all) {
      const s = stored(e);
      // The schema strips unknown keys: equal means nothing extra (e.g. epochs, totalSteps, extra).
      expect(JobEventSchema.parse(s)).toEqual(s);
    }
  });

  it('an episode is a progress event at step = epoch = episode with its own fields', () => {
    const e: TaskEvent = {
      type: 'episode',
      episode: 4,
      return: 9,
      length: 9,
      entropy: 0.6,
      meanReturn100: 7,
    };
    expect(JSON.stringify(stored(e))).toBe(
      JSON.stringify({
        type: 'progress',
        ...envelope,
        step: 4,
        epoch: 4,
        loss: null,
        lr: null,
        gradNorm: null,
        episode: 4,
        return: 9,
        length: 9,
        entropy: 0.6,
        meanReturn100: 7,
      }),
    );
  });

  it('numbers that are not finite are stored as null; run totals stay out of the event', () => {
    const s = toStreamEvent({
      type: 'progress',
      step: 3,
      epoch: 1,
      epochs: 2,
      totalSteps: 10,
      loss: NaN,
      lr: Infinity,
      gradNorm: 1,
      updateRatio: NaN,
    });
    expect(s).toEqual({
      type: 'progress',
      step: 3,
      epoch: 1,
      loss: null,
      lr: null,
      gradNorm: 1,
      updateRatio: null,
    });
    const ep = toStreamEvent({ type: 'epoch', epoch: 1, loss: 1, valLoss: NaN, metrics: { accuracy: NaN } });
    expect(ep).toEqual({ type: 'epoch', epoch: 1, loss: 1, valLoss: null, metrics: { accuracy: null } });
  });

  it('the injected trainer has runTask’s own types (no restated copies)', () => {
    expectTypeOf(runTask).toExtend<Trainer['run']>();
    expectTypeOf<Parameters<Trainer['run']>[2]>().toEqualTypeOf<NonNullable<Parameters<typeof runTask>[2]>>();
    expectTypeOf<ReturnType<Trainer['run']>>().toEqualTypeOf<ReturnType<typeof runTask>>();
  });
});

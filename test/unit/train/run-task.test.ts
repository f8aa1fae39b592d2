/**
 * runTask: one entry point for supervised, minimize and reinforce jobs, with JSON-safe resume states
 * and predictions for the tasks that have a model.
 */
import { describe, expect, it } from 'vitest';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';
import { loadBuiltin } from '../../../src/data/index.js';
import { predictForJob, PredictInputError } from '../../../src/models/index.js';
import { runTask, type TaskCheckpoint, type TaskEvent } from '../../../src/train/index.js';

describe('runTask', () => {
  it('supervised: trains and resumes through JSON states', async () => {
    const spec = JobSpecSchema.parse({
      model: { type: 'linear' },
      data: { builtin: 'iris' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.05 },
      training: { epochs: 4, batchSize: 50 },
    });
    const full = await runTask(spec, loadBuiltin('iris'), { diagnostics: false });
    const ctrl = new AbortController();
    let saved: TaskCheckpoint | undefined;
    await runTask(spec, loadBuiltin('iris'), {
      signal: ctrl.signal,
      progressEveryMs: 0,
      diagnostics: false,
      onEvent: (e) => {
        if (e.type === 'progress' && e.step === 5) ctrl.abort();
      },
      onCheckpoint: (s) => {
        saved = JSON.parse(JSON.stringify(s));
      },
    });
    const resumed = await runTask(spec, loadBuiltin('iris'), { resume: saved, diagnostics: false });
    expect(Array.from(resumed.weights.weight.data)).toEqual(Array.from(full.weights.weight.data));
  });

  it("minimize: Newton finds Rosenbrock's minimum; weights hold the point; predict refuses", async () => {
    const spec = JobSpecSchema.parse({
      task: 'minimize',
      objective: '(1-x)^2 + 100*(y-x^2)^2',
      start: { x: -1.5, y: 2 },
      optimizer: { type: 'newton' },
      steps: 50,
    });
    const events: TaskEvent[] = [];
    const out = await runTask(spec, null, { onEvent: (e) => events.push(e) });
    expect(out.status).toBe('succeeded');
    const m = out.result as unknown as { point: Record<string, number>; classification: string };
    expect(Math.abs(m.point.x - 1)).toBeLessThan(1e-6);
    expect(Math.abs(m.point.y - 1)).toBeLessThan(1e-6);
    expect(m.classification).toBe('minimum');
    expect(out.weights.x.data[0]).toBe(m.point.x);
    expect(out.weights.y.data[0]).toBe(m.point.y);
    const first = events[0] as Extract<TaskEvent, { point: unknown }>;
    expect(first.point).toEqual({ x: -1.5, y: 2 });
    expect(() => predictForJob(spec as never, out.weights, [[0]])).toThrow(PredictInputError);
  });

  it('minimize: an expression the parser refuses fails with INVALID_OBJECTIVE naming the position', async () => {
    const spec = JobSpecSchema.parse({
      task: 'minimize',
      objective: 'x + process.exit()',
      start: { x: 0 },
      optimizer: { type: 'sgd', lr: 0.1 },
      steps: 5,
    });
    const out = await runTask(spec, null);
    expect(out.status).toBe('failed');
    expect(out.error!.code).toBe('INVALID_OBJECTIVE');
    expect(out.error!.message).toMatch(/position \d+/);
  });

  it('reinforce: bandit episodes stream, and predict returns action probabilities', async () => {
    const spec = JobSpecSchema.parse({
      task: 'reinforce',
      env: { type: 'bandit', arms: 4 },
      episodes: 30,
      policy: { hidden: [8], activation: 'tanh' },
      seed: 3,
    });
    const events: TaskEvent[] = [];
    const out = await runTask(spec, null, { onEvent: (e) => events.push(e) });
    expect(out.status).toBe('succeeded');
    expect(events.filter((e) => e.type === 'episode')).toHaveLength(30);
    expect(typeof out.result!.metrics.meanReturn100).toBe('number');
    const p = predictForJob(spec as never, out.weights, [[0]]);
    expect(p.outputs[0]).toHaveLength(4);
    expect(p.outputs[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6); // float32 policy
  });
});

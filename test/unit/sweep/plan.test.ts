/**
 * Planning a sweep (src/sweep/plan.ts, space.ts, metric.ts): grid exactness, seeded samples, ASHA
 * rungs and budget, and every bad input of acceptance 5 refused with an issue naming the path, the
 * limit and the value.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../src/contracts/limits.js';
import { createSweepRequestSchema } from '../../../src/contracts/sweep.js';
import { metricIssue, metricValue } from '../../../src/sweep/metric.js';
import { planSweep, type SweepPlan } from '../../../src/sweep/plan.js';
import { setAtPath } from '../../../src/sweep/space.js';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';
import type { JobResult } from '../../../src/contracts/job.js';

const base = {
  model: { type: 'mlp', hidden: [8] },
  data: { builtin: 'iris' },
  loss: 'cross_entropy',
  optimizer: { type: 'sgd', lr: 0.1 },
  training: { epochs: 5, validationSplit: 0.2 },
};

/** Schema, then planner: the plan, or the issues as `path: message` lines. */
function check(body: Record<string, unknown>, L: Readonly<Limits> = DEFAULT_LIMITS): SweepPlan | string[] {
  const parsed = createSweepRequestSchema(L).safeParse({ spec: base, ...body });
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('/')}: ${i.message}`);
  const r = planSweep(parsed.data, L);
  return r.ok ? r.plan : r.issues.map((i) => `${i.path.join('/')}: ${i.message}`);
}

function plan(body: Record<string, unknown>, L?: Readonly<Limits>): SweepPlan {
  const r = check(body, L);
  if (Array.isArray(r)) throw new Error(r.join('\n'));
  return r;
}

function issues(body: Record<string, unknown>, L?: Readonly<Limits>): string[] {
  const r = check(body, L);
  if (!Array.isArray(r)) throw new Error('expected a refusal');
  return r;
}

describe('planSweep: trials', () => {
  it('grid: exactly the cartesian product, row-major in key order, each spec validated', () => {
    const p = plan({
      space: {
        'optimizer.lr': { grid: [0.01, 0.1, 1] },
        'optimizer.momentum': { choice: [0, 0.9] },
      },
      searcher: { type: 'grid' },
    });
    expect(p.trials.map((t) => t.params)).toEqual([
      { 'optimizer.lr': 0.01, 'optimizer.momentum': 0 },
      { 'optimizer.lr': 0.01, 'optimizer.momentum': 0.9 },
      { 'optimizer.lr': 0.1, 'optimizer.momentum': 0 },
      { 'optimizer.lr': 0.1, 'optimizer.momentum': 0.9 },
      { 'optimizer.lr': 1, 'optimizer.momentum': 0 },
      { 'optimizer.lr': 1, 'optimizer.momentum': 0.9 },
    ]);
    expect(p.trials.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const t3 = p.trials[3].spec;
    expect(t3.task === 'supervised' && t3.optimizer).toMatchObject({ type: 'sgd', lr: 0.1, momentum: 0.9 });
    // the spec is the normalized JobSpec: defaults filled
    expect(t3).toEqual(JobSpecSchema.parse({ ...base, optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } }));
    expect(p.rungs).toEqual([5]);
    expect(p.epochsMax).toBe(30);
    expect(p.mode).toBe('min');
    expect(p.metric).toBe('valLoss');
  });

  it('random: the same seed gives the same trials, another seed others; values within their bounds', () => {
    const body = {
      space: {
        'optimizer.lr': { logUniform: [1e-4, 1] },
        'optimizer.momentum': { uniform: [0, 0.99] },
        'model.hidden.0': { intUniform: [4, 64] },
        'model.activation': { choice: ['relu', 'tanh'] },
        'training.batchSize': { grid: [16, 32] },
      },
      searcher: { type: 'random', trials: 10 },
      seed: 7,
    };
    const a = plan(body);
    const b = plan(body);
    const c = plan({ ...body, seed: 8 });
    expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
    expect(a.trials.map((t) => t.params)).not.toEqual(c.trials.map((t) => t.params));
    expect(a.trials).toHaveLength(20);
    // sample s, grid combination g → trial 2s + g
    expect(a.trials.map((t) => t.params['training.batchSize'])).toEqual(Array(10).fill([16, 32]).flat());
    for (const t of a.trials) {
      const lr = t.params['optimizer.lr'] as number;
      const w = t.params['model.hidden.0'] as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThan(1);
      expect(Number.isInteger(w) && w >= 4 && w <= 64).toBe(true);
      expect(['relu', 'tanh']).toContain(t.params['model.activation']);
      const s = t.spec;
      expect(s.task === 'supervised' && s.model.type === 'mlp' && s.model.hidden[0]).toBe(w);
    }
    // log-uniform: both decades of a 4-decade range get draws
    const lrs = a.trials.map((t) => t.params['optimizer.lr'] as number);
    expect(lrs.some((v) => v < 1e-2)).toBe(true);
    expect(lrs.some((v) => v > 1e-2)).toBe(true);
  });

  it('asha: every trial trains maxEpochs; rungs r·η^k; worst-case budget', () => {
    const p = plan({
      space: { 'optimizer.lr': { logUniform: [1e-3, 1] } },
      searcher: { type: 'asha', trials: 27, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 },
      metric: 'valAccuracy',
    });
    expect(p.trials).toHaveLength(27);
    expect(
      p.trials.every((t) => t.epochs === 9 && t.spec.task === 'supervised' && t.spec.training.epochs === 9),
    ).toBe(true);
    expect(p.rungs).toEqual([1, 3, 9]);
    expect(p.reductionFactor).toBe(3);
    expect(p.epochsMax).toBe(27 + 9 * 2 + 3 * 6);
    expect(p.mode).toBe('max');
  });

  it('sets a path the base spec lacks (training.seed on a spec without it)', () => {
    const p = plan({
      spec: { ...base, training: undefined },
      space: { 'training.seed': { grid: [1, 2] } },
      searcher: { type: 'grid' },
      metric: 'loss',
    });
    expect(p.trials.map((t) => t.spec.task === 'supervised' && t.spec.training.seed)).toEqual([1, 2]);
  });
});

describe('planSweep: bad input names the path, the limit and the value', () => {
  it('an unknown path', () => {
    expect(issues({ space: { 'optimizer.lrr': { grid: [0.1] } }, searcher: { type: 'grid' } })).toEqual([
      'space/optimizer.lrr: Unknown key "lrr": did you mean "lr"? (trial 0: optimizer.lrr = 0.1)',
    ]);
    expect(issues({ space: { 'foo.bar': { grid: [1] } }, searcher: { type: 'grid' } })[0]).toMatch(
      /^space\/foo\.bar: Unknown key "foo"/,
    );
    expect(issues({ space: { 'model.hidden.3': { grid: [4] } }, searcher: { type: 'grid' } })).toEqual([
      'space/model.hidden.3: model.hidden has 1 elements in the spec; model.hidden.3 is past its end',
    ]);
    expect(issues({ space: { 'optimizer.lr.x': { grid: [4] } }, searcher: { type: 'grid' } })).toEqual([
      'space/optimizer.lr.x: optimizer.lr is not an object in the spec, so optimizer.lr.x cannot be set',
    ]);
    expect(issues({ space: { '__proto__.x': { grid: [4] } }, searcher: { type: 'grid' } })).toEqual([
      'space/__proto__.x: __proto__.x is not a JobSpec path',
    ]);
  });

  it('a value the JobSpec refuses, at the space path, with the trial and value', () => {
    expect(issues({ space: { 'optimizer.lr': { grid: [0.1, -1] } }, searcher: { type: 'grid' } })).toEqual([
      'space/optimizer.lr: lr must be ≥ 0 (trial 1: optimizer.lr = -1)',
    ]);
    const wide = issues({
      space: { 'model.hidden.0': { grid: [8, 100000] } },
      searcher: { type: 'grid' },
    });
    expect(wide[0]).toMatch(/^space\/model\.hidden\.0: .*100000.*the limit is 8192/);
  });

  it('an empty choice, a logUniform bound ≤ 0', () => {
    expect(issues({ space: { 'optimizer.lr': { choice: [] } }, searcher: { type: 'grid' } })).toEqual([
      'space/optimizer.lr/choice: choice must list at least one value',
    ]);
    expect(
      issues({
        space: { 'optimizer.lr': { logUniform: [0, 0.1] } },
        searcher: { type: 'random', trials: 2 },
      }),
    ).toEqual(['space/optimizer.lr/logUniform: logUniform bounds must be > 0; got [0, 0.1]']);
  });

  it('trials above the limit', () => {
    expect(
      issues({
        space: { 'optimizer.lr': { uniform: [0.01, 1] } },
        searcher: { type: 'random', trials: 1001 },
      }),
    ).toEqual([
      'searcher/trials: trials is 1001; the limit is 1000 (DESCENT_LIMIT_MAX_SWEEP_TRIALS raises it)',
    ]);
    // 600 trials × a grid of 2: over the limit
    expect(
      issues({
        space: { 'optimizer.lr': { uniform: [0.01, 1] }, 'training.seed': { grid: [1, 2] } },
        searcher: { type: 'random', trials: 600 },
      }),
    ).toEqual([
      'space/training.seed: the sweep has 1200 trials (600 trials × the grid); the limit is 1000 (DESCENT_LIMIT_MAX_SWEEP_TRIALS raises it); the grid passes it at training.seed',
    ]);
  });

  it('a grid that explodes past the limit is refused before anything is enumerated', () => {
    const ten = { grid: Array.from({ length: 10 }, (_, i) => i + 1) };
    const space = {
      'training.seed': ten,
      'model.hidden.0': ten,
      'training.batchSize': ten,
      'optimizer.lr': { grid: Array.from({ length: 500 }, (_, i) => (i + 1) / 1000) },
      'optimizer.momentum': { grid: Array.from({ length: 500 }, (_, i) => i / 1000) },
      'optimizer.dampening': { grid: Array.from({ length: 500 }, (_, i) => i / 1000) },
    };
    const t0 = performance.now();
    expect(issues({ space, searcher: { type: 'grid' } })).toEqual([
      'space/optimizer.lr: the sweep has 125000000000 trials; the limit is 1000 (DESCENT_LIMIT_MAX_SWEEP_TRIALS raises it); the grid passes it at optimizer.lr',
    ]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('the grid searcher refuses continuous dimensions', () => {
    expect(issues({ space: { 'optimizer.lr': { uniform: [0.01, 1] } }, searcher: { type: 'grid' } })).toEqual(
      [
        'space/optimizer.lr/uniform: the grid searcher enumerates grid and choice dimensions; optimizer.lr is uniform: use searcher "random" or "asha", or list the values as a grid',
      ],
    );
  });

  it('asha: training.epochs in the space, a task without epochs', () => {
    const searcher = { type: 'asha', trials: 3, minEpochs: 1, maxEpochs: 9 };
    expect(issues({ space: { 'training.epochs': { grid: [3, 9] } }, searcher })).toEqual([
      'space/training.epochs: an ASHA sweep sets training.epochs itself (to searcher.maxEpochs); sweep minEpochs/maxEpochs instead',
    ]);
    expect(
      issues({
        spec: { task: 'minimize', objective: { builtin: 'rosenbrock' }, start: { x: 0, y: 0 } },
        space: { 'optimizer.lr': { grid: [0.1] } },
        searcher,
      })[0],
    ).toMatch(/^spec\/task: ASHA trains trials epoch by epoch/);
  });

  it('a metric the trials cannot report', () => {
    expect(
      issues({
        spec: { ...base, training: { epochs: 5 } },
        space: { 'optimizer.lr': { grid: [0.1] } },
        searcher: { type: 'grid' },
      }),
    ).toEqual([
      'metric: metric valLoss needs training.validationSplit > 0 (it is 0); set it, or rank by loss, accuracy (trial 0: optimizer.lr = 0.1)',
    ]);
    expect(
      issues({ space: { 'optimizer.lr': { grid: [0.1] } }, searcher: { type: 'grid' }, metric: 'r2' })[0],
    ).toMatch(
      /^metric: metric "r2" is not reported by a classification job; it reports loss, valLoss, accuracy, valAccuracy/,
    );
  });

  it('a budget over maxSweepEpochs', () => {
    const L = { ...DEFAULT_LIMITS, maxSweepEpochs: 50 };
    expect(
      issues(
        {
          space: { 'optimizer.lr': { logUniform: [1e-3, 1] } },
          searcher: { type: 'asha', trials: 27, minEpochs: 1, maxEpochs: 9 },
        },
        L,
      ),
    ).toEqual([
      'searcher/trials: the sweep may train 63 epochs in the worst case (27 trials); the limit is 50 (DESCENT_LIMIT_MAX_SWEEP_EPOCHS raises it)',
    ]);
  });

  it('a base spec problem no space path explains is reported into the spec, once', () => {
    expect(
      issues({
        spec: { ...base, data: { builtin: 'nope' } },
        space: { 'optimizer.lr': { grid: [0.1, 0.2, 0.3] } },
        searcher: { type: 'grid' },
      }),
    ).toHaveLength(1);
    expect(
      issues({
        spec: { ...base, data: { builtin: 'nope' } },
        space: { 'optimizer.lr': { grid: [0.1] } },
        searcher: { type: 'grid' },
      })[0],
    ).toMatch(/^spec\/data/);
  });
});

describe('space and metric helpers', () => {
  it('setAtPath copies, creates objects on the way, indexes arrays', () => {
    const s = { model: { hidden: [8, 8] } };
    const r = setAtPath(s, 'model.hidden.1', 4);
    expect(r).toEqual({ ok: true, spec: { model: { hidden: [8, 4] } } });
    expect(s.model.hidden).toEqual([8, 8]);
    expect(setAtPath({}, 'training.schedule.gamma', 0.5)).toEqual({
      ok: true,
      spec: { training: { schedule: { gamma: 0.5 } } },
    });
  });

  it('metricValue reads loss, valLoss, val aliases and result metrics; non-finite is null', () => {
    const result = {
      loss: 0.5,
      valLoss: 0.7,
      metrics: { accuracy: 0.9, meanReturn100: 100 },
      parameters: 1,
      durationMs: 1,
    } as JobResult;
    expect(metricValue(result, 'loss')).toBe(0.5);
    expect(metricValue(result, 'valLoss')).toBe(0.7);
    expect(metricValue(result, 'valAccuracy')).toBe(0.9);
    expect(metricValue(result, 'meanReturn100')).toBe(100);
    expect(metricValue(result, 'durationMs')).toBe(1);
    expect(metricValue({ ...result, loss: NaN }, 'loss')).toBeNull();
    expect(metricValue(null, 'loss')).toBeNull();
  });

  it('metricIssue knows each task', () => {
    const reinforce = JobSpecSchema.parse({ task: 'reinforce', env: { type: 'bandit' } });
    expect(metricIssue('meanReturn100', reinforce)).toBeNull();
    expect(metricIssue('loss', reinforce)).toMatch(/reinforce job; it reports meanReturn100/);
  });
});

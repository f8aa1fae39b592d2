import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/contracts/limits.js';
import {
  createSweepRequestSchema,
  SweepEventSchema,
  SweepRequestSchema,
} from '../../../src/contracts/sweep.js';

const spec = { data: { builtin: 'iris' }, loss: 'cross_entropy', optimizer: { type: 'sgd', lr: 0.1 } };

/** The issues of a refused request as `path: message` lines. */
function issues(body: unknown, schema = SweepRequestSchema): string[] {
  const r = schema.safeParse(body);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('/')}: ${i.message}`);
}

describe('SweepRequestSchema', () => {
  it('fills the defaults', () => {
    const r = SweepRequestSchema.parse({
      spec,
      space: { 'optimizer.lr': { logUniform: [1e-3, 1] } },
      searcher: { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9 },
    });
    expect(r.metric).toBe('valLoss');
    expect(r.mode).toBeUndefined();
    expect(r.maxConcurrentTrials).toBe(4);
    expect(r.seed).toBe(0);
    expect(r.metadata).toEqual({});
    expect(r.searcher).toEqual({ type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9, reductionFactor: 3 });
  });

  it('refuses each bad dimension, naming the path and the value', () => {
    const base = { spec, searcher: { type: 'grid' } };
    expect(issues({ ...base, space: { 'optimizer.lr': { choice: [] } } })).toEqual([
      'space/optimizer.lr/choice: choice must list at least one value',
    ]);
    expect(issues({ ...base, space: { 'optimizer.lr': { logUniform: [0, 1] } } })).toEqual([
      'space/optimizer.lr/logUniform: logUniform bounds must be > 0; got [0, 1]',
    ]);
    expect(issues({ ...base, space: { 'optimizer.lr': { logUniform: [-1, 1] } } })[0]).toMatch(
      /> 0; got \[-1, 1\]/,
    );
    expect(issues({ ...base, space: { 'optimizer.lr': { uniform: [1, 1] } } })[0]).toMatch(
      /a < b; got \[1, 1\]/,
    );
    expect(issues({ ...base, space: { 'model.hidden.0': { intUniform: [8, 2] } } })[0]).toMatch(
      /a ≤ b; got \[8, 2\]/,
    );
    expect(issues({ ...base, space: { 'model..x': { grid: [1] } } })[0]).toMatch(/dotted JobSpec paths/);
    expect(issues({ ...base, space: {} })[0]).toMatch(/at least one dimension/);
    expect(issues({ ...base, space: { a: { grid: [1], choice: [2] } } })).toEqual([
      'space/a: a dimension has exactly one of choice, grid, uniform, logUniform, intUniform; got choice, grid',
    ]);
    expect(issues({ ...base, space: { a: { grdi: [1] } } })[0]).toMatch(
      /Unknown key "grdi": did you mean "grid"/,
    );
  });

  it('enforces the limits by name', () => {
    const L = { ...DEFAULT_LIMITS, maxSweepTrials: 10, maxSpaceDims: 2, maxConcurrentTrials: 3 };
    const S = createSweepRequestSchema(L);
    const space = { 'optimizer.lr': { grid: [0.1] } };
    expect(issues({ spec, space, searcher: { type: 'random', trials: 11 } }, S)).toEqual([
      'searcher/trials: trials is 11; the limit is 10 (DESCENT_LIMIT_MAX_SWEEP_TRIALS raises it)',
    ]);
    expect(issues({ spec, space, searcher: { type: 'grid' }, maxConcurrentTrials: 4 }, S)[0]).toMatch(
      /maxConcurrentTrials is 4; the limit is 3 \(DESCENT_LIMIT_MAX_CONCURRENT_TRIALS/,
    );
    const wide = { a: { grid: [1] }, b: { grid: [1] }, c: { grid: [1] } };
    expect(issues({ spec, space: wide, searcher: { type: 'grid' } }, S)[0]).toMatch(
      /space has 3 dimensions; the limit is 2 \(DESCENT_LIMIT_MAX_SPACE_DIMS raises it\)/,
    );
    expect(
      issues(
        {
          spec,
          space: { a: { choice: Array.from({ length: 11 }, (_, i) => i) } },
          searcher: { type: 'grid' },
        },
        S,
      )[0],
    ).toMatch(/choice has 11 values; the limit is 10/);
    expect(
      issues({ spec, space, searcher: { type: 'asha', trials: 3, minEpochs: 5, maxEpochs: 2 } }, S),
    ).toEqual(['searcher/minEpochs: minEpochs (5) must be ≤ maxEpochs (2)']);
  });

  it('parses the events the service stores', () => {
    const ev = SweepEventSchema.parse({
      type: 'rung',
      sweepId: 'swp_x',
      time: '2026-12-04T00:00:00Z',
      trialId: 'trl_x',
      jobId: 'job_x',
      trial: 0,
      rung: 1,
      epochs: 3,
      value: 0.5,
      final: false,
    });
    expect(ev.type).toBe('rung');
  });
});

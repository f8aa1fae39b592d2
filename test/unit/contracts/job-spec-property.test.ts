import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSpecSchema } from '../../../src/contracts/job-spec.js';

const unit = fc.double({ min: 0, max: 0.999, noNaN: true });
const pos = fc.double({ min: 1e-6, max: 10, noNaN: true });
const nonneg = fc.double({ min: 0, max: 10, noNaN: true });
const int = (min: number, max: number) => fc.integer({ min, max });

const optimizer = fc.oneof(
  fc.record(
    {
      type: fc.constant('sgd'),
      lr: nonneg,
      momentum: nonneg,
      dampening: unit,
      weightDecay: nonneg,
      maximize: fc.boolean(),
    },
    { requiredKeys: ['type', 'lr'] },
  ),
  fc.record(
    {
      type: fc.constant('adagrad'),
      lr: nonneg,
      lrDecay: nonneg,
      initialAccumulatorValue: nonneg,
      eps: nonneg,
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('rmsprop'),
      lr: nonneg,
      alpha: unit,
      eps: nonneg,
      momentum: nonneg,
      centered: fc.boolean(),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('adam', 'adamw'),
      lr: nonneg,
      betas: fc.tuple(unit, unit),
      eps: nonneg,
      weightDecay: nonneg,
      amsgrad: fc.boolean(),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('nadam'), lr: nonneg, betas: fc.tuple(unit, unit), momentumDecay: nonneg },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('radam'), lr: nonneg, betas: fc.tuple(unit, unit) },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('lbfgs'),
      lr: pos,
      maxIter: int(1, 50),
      maxEval: int(1, 60),
      historySize: int(1, 200),
      lineSearchFn: fc.constantFrom(null, 'strong_wolfe'),
    },
    { requiredKeys: ['type'] },
  ),
);

const schedule = fc.oneof(
  fc.constant(null),
  fc.record(
    { type: fc.constant('step'), stepSize: int(1, 50), gamma: pos, per: fc.constantFrom('epoch', 'step') },
    { requiredKeys: ['type', 'stepSize'] },
  ),
  fc.record({ type: fc.constant('exponential'), gamma: pos }, { requiredKeys: ['type', 'gamma'] }),
  fc.record(
    { type: fc.constant('cosine'), tMax: int(1, 100), etaMin: nonneg },
    { requiredKeys: ['type', 'tMax'] },
  ),
  fc.record(
    {
      type: fc.constant('linear'),
      startFactor: fc.double({ min: 0.01, max: 1, noNaN: true }),
      endFactor: fc.double({ min: 0, max: 1, noNaN: true }),
      totalIters: int(1, 20),
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    {
      type: fc.constant('onecycle'),
      maxLr: pos,
      pctStart: fc.double({ min: 0, max: 1, noNaN: true }),
      cycleMomentum: fc.constant(false),
      threePhase: fc.boolean(),
    },
    { requiredKeys: ['type', 'maxLr'] },
  ),
);

const model = fc.oneof(
  fc.constant({ type: 'linear' }),
  fc.record(
    {
      type: fc.constant('mlp'),
      hidden: fc.array(int(1, 16), { minLength: 1, maxLength: 4 }),
      activation: fc.constantFrom('relu', 'tanh', 'gelu'),
      dropout: fc.double({ min: 0, max: 0.9, noNaN: true }),
    },
    { requiredKeys: ['type', 'hidden'] },
  ),
);

describe('JobSpec normalization (property)', () => {
  it('a normalized spec parses to itself, so storing and re-parsing it changes nothing', () => {
    fc.assert(
      fc.property(
        model,
        optimizer,
        schedule,
        fc.option(int(1, 64)),
        fc.boolean(),
        (m, o, s, batch, shuffle) => {
          const fullBatch = o.type === 'lbfgs';
          const spec = {
            model: m,
            data: { builtin: 'iris' },
            loss: 'cross_entropy',
            optimizer: o,
            schedule: s,
            training: { epochs: 5, batchSize: fullBatch || batch === null ? 'full' : batch, shuffle },
          };
          const once = JobSpecSchema.safeParse(spec);
          if (!once.success) throw new Error(JSON.stringify(once.error.issues));
          const twice = JobSpecSchema.parse(JSON.parse(JSON.stringify(once.data)));
          expect(twice).toEqual(once.data);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

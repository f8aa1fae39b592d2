/**
 * Issue 9.3: optimizer defaults have one source (src/catalog/optimizers.ts). A spec normalized by
 * the contract and the optimizer's own resolve step give the same hyper-parameters.
 */
import { describe, expect, it } from 'vitest';
import { OptimizerSpecSchema } from '../../../src/contracts/job-spec.js';
import * as D from '../../../src/catalog/optimizers.js';
import { ADAGRAD_DEFAULTS } from '../../../src/optim/adagrad.js';
import { ADAM_DEFAULTS } from '../../../src/optim/adam.js';
import { ADAMW_DEFAULTS } from '../../../src/optim/adamw.js';
import { NADAM_DEFAULTS } from '../../../src/optim/nadam.js';
import { RADAM_DEFAULTS } from '../../../src/optim/radam.js';
import { RMSPROP_DEFAULTS } from '../../../src/optim/rmsprop.js';
import { lbfgsDefaults } from '../../../src/optim/lbfgs.js';

/** Those of `defaults`' keys the contract has. */
const pick = (spec: Record<string, unknown>, defaults: object) =>
  Object.fromEntries(
    Object.keys(defaults)
      .filter((k) => k in spec)
      .map((k) => [k, spec[k]]),
  );

describe('optimizer defaults: the contract and src/optim agree, from one catalogue', () => {
  const cases: [string, object][] = [
    ['adagrad', ADAGRAD_DEFAULTS],
    ['rmsprop', RMSPROP_DEFAULTS],
    ['adam', ADAM_DEFAULTS],
    ['adamw', ADAMW_DEFAULTS],
    ['nadam', NADAM_DEFAULTS],
    ['radam', RADAM_DEFAULTS],
  ];
  for (const [type, defaults] of cases) {
    it(type, () => {
      const spec = OptimizerSpecSchema.parse({ type }) as Record<string, unknown>;
      expect(Object.keys(pick(spec, defaults)).length).toBeGreaterThanOrEqual(4);
      expect(pick(spec, defaults)).toEqual(pick(defaults as Record<string, unknown>, spec));
    });
  }
  it('sgd (lr required by the contract) and lbfgs', () => {
    const sgd = OptimizerSpecSchema.parse({ type: 'sgd', lr: 0.1 }) as Record<string, unknown>;
    expect(pick(sgd, { momentum: 0, dampening: 0, nesterov: 0, weightDecay: 0 })).toEqual({
      momentum: D.SGD.momentum,
      dampening: D.SGD.dampening,
      nesterov: D.SGD.nesterov,
      weightDecay: D.SGD.weightDecay,
    });
    const {
      type: _,
      maxEval: __,
      ...lbfgs
    } = OptimizerSpecSchema.parse({ type: 'lbfgs' }) as Record<string, unknown>;
    const { maxEval: ___, ...resolved } = lbfgsDefaults();
    expect(lbfgs).toEqual(resolved);
  });
  it('the values are torch.optim’s', () => {
    expect(D.ADAM).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(D.ADAMW.weightDecay).toBe(1e-2);
    expect(D.NADAM).toMatchObject({ lr: 2e-3, momentumDecay: 4e-3 });
    expect(D.ADAGRAD).toMatchObject({ lr: 1e-2, eps: 1e-10 });
    expect(D.RMSPROP).toMatchObject({ lr: 1e-2, alpha: 0.99, eps: 1e-8 });
    expect(D.LBFGS).toMatchObject({
      lr: 1,
      maxIter: 20,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
    });
  });
});

/**
 * `--set` for `descent train` and `descent sweep create|validate` (src/cli/descent/set-path.ts):
 * JobSpec paths split at every dot; inside a sweep's `space` the key is a dotted JobSpec path
 * itself and stays whole, with a trailing dimension kind replacing the dimension.
 */
import { expect, test } from 'vitest';
import { UsageError } from '../../../src/cli/descent/args.js';
import { setPath, setSweepPath } from '../../../src/cli/descent/set-path.js';

test('setPath: dotted paths, objects made on the way, values read as JSON or as a string', () => {
  const spec: Record<string, unknown> = { optimizer: { type: 'sgd', lr: 0.1 }, model: { hidden: [8, 4] } };
  setPath(spec, 'optimizer.lr=0.01');
  setPath(spec, 'optimizer.type=adam');
  setPath(spec, 'model.hidden.0=16');
  setPath(spec, 'training.epochs=5');
  setPath(spec, 'training.batchSize="full"');
  expect(spec).toEqual({
    optimizer: { type: 'adam', lr: 0.01 },
    model: { hidden: [16, 4] },
    training: { epochs: 5, batchSize: 'full' },
  });
  expect(() => setPath(spec, 'lr')).toThrow(UsageError);
  expect(() => setPath(spec, '=1', 'sweep create')).toThrow(/--set takes path=value .*got "=1"/);
});

test('setSweepPath: space keys stay whole; a trailing kind replaces the dimension; elsewhere as setPath', () => {
  const req: Record<string, unknown> = {
    spec: { training: { epochs: 40 } },
    space: { 'optimizer.lr': { grid: [0.003, 0.01] }, 'optimizer.momentum': { choice: [0, 0.9] } },
    maxConcurrentTrials: 4,
  };
  setSweepPath(req, 'space.optimizer.lr.grid=[0.1,0.3]', 'sweep create');
  setSweepPath(req, 'space.optimizer.momentum.uniform=[0,0.9]', 'sweep create'); // choice → uniform
  setSweepPath(req, 'space.training.epochs={"grid":[3,30]}', 'sweep create');
  setSweepPath(req, 'space.model.hidden.0.intUniform=[4,16]', 'sweep create');
  setSweepPath(req, 'spec.training.epochs=5', 'sweep create');
  setSweepPath(req, 'maxConcurrentTrials=2', 'sweep create');
  expect(req).toEqual({
    spec: { training: { epochs: 5 } },
    space: {
      'optimizer.lr': { grid: [0.1, 0.3] },
      'optimizer.momentum': { uniform: [0, 0.9] },
      'training.epochs': { grid: [3, 30] },
      'model.hidden.0': { intUniform: [4, 16] },
    },
    maxConcurrentTrials: 2,
  });
  // A request without a space gets one; `space=…` alone replaces the whole of it.
  const bare: Record<string, unknown> = {};
  setSweepPath(bare, 'space.optimizer.lr.logUniform=[0.001,1]', 'sweep validate');
  expect(bare).toEqual({ space: { 'optimizer.lr': { logUniform: [0.001, 1] } } });
  setSweepPath(bare, 'space={}', 'sweep validate');
  expect(bare).toEqual({ space: {} });
});

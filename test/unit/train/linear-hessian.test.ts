/** The closed-form Hessian of linear models equals the autodiff Hessian (double backward) for every loss. */
import { describe, expect, it } from 'vitest';
import { buildModel, type LossName } from '../../../src/models/index.js';
import { createRng } from '../../../src/rng/rng.js';
import { hessian, Tensor } from '../../../src/tensor/index.js';
import { flatObjective } from '../../../src/train/index.js';
import { linearHessian } from '../../../src/train/linear-hessian.js';
import { spec } from './helpers.js';

describe('linearHessian = autodiff Hessian', () => {
  for (const loss of ['mse', 'mae', 'huber', 'bce', 'cross_entropy'] as LossName[]) {
    it(`${loss} with L2 (≤ 1e-12)`, () => {
      const rng = createRng(loss.length);
      const rows = 23;
      const features = 3;
      const outputs = loss === 'cross_entropy' ? 4 : loss === 'bce' ? 1 : 2;
      const x = Float64Array.from({ length: rows * features }, () => rng.normal());
      const y =
        loss === 'cross_entropy'
          ? Float64Array.from({ length: rows }, () => rng.int(outputs))
          : Float64Array.from({ length: rows * outputs }, () => (loss === 'bce' ? rng.int(2) : rng.normal()));
      const ds = {
        name: 't',
        x,
        y,
        rows,
        features,
        targets: loss === 'cross_entropy' || loss === 'bce' ? 1 : outputs,
      };
      const s = spec({
        model: { type: 'linear' },
        data: { builtin: 'xor' },
        loss,
        huberDelta: 0.7,
        regularization: { l2: 0.03, l1: 0.01 },
        optimizer: { type: 'newton' },
        training: { batchSize: 'full', dtype: 'float64' },
      });
      const model = buildModel({ type: 'linear' }, features, outputs, 'float64', { scheme: 'default', rng });
      const theta = Float64Array.from(model.params.flatMap((p) => Array.from(p.tensor.data)));
      const auto = hessian(
        flatObjective(s, model, { train: ds, val: null }),
        new Tensor(theta, [theta.length]),
      ).data;
      const closed = linearHessian(
        {
          x,
          rows,
          features,
          outputs,
          loss,
          y: loss === 'cross_entropy' ? Int32Array.from(y) : y,
          huberDelta: 0.7,
          l2: 0.03,
        },
        theta,
      );
      expect(closed.length).toBe(auto.length);
      closed.forEach((v, i) =>
        expect(Math.abs(v - auto[i]), `entry ${i}`).toBeLessThanOrEqual(
          1e-12 * Math.max(1, Math.abs(auto[i])),
        ),
      );
    });
  }
});

/**
 * The image and sequence built-ins train like iris (a job spec names them, the loop runs on them)
 * and carry the signal they promise, with the flat models that exist today: an MLP reads digits,
 * a linear forecaster beats the mean on sunspots and sine_forecast, and an MLP on the flat bits of
 * contains_101 stays well short of solving it (the gap a recurrent model is there to close).
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../../../src/data/index.js';
import { train } from '../../../src/train/index.js';
import { spec } from '../train/helpers.js';

const SPLIT = { validationSplit: 0.2, seed: 1 };

describe('the new built-ins train', () => {
  it('an MLP reaches ≥ 0.93 validation accuracy on digits', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [32], activation: 'relu' },
      data: { builtin: 'digits' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.01 },
      training: { epochs: 8, batchSize: 32, ...SPLIT },
    });
    const out = await train(s, loadBuiltin('digits'), { diagnostics: false });
    expect(out.status).toBe('succeeded');
    expect(out.result!.metrics.accuracy).toBeGreaterThanOrEqual(0.93);
  });

  for (const builtin of ['sunspots', 'sine_forecast'] as const) {
    it(`a linear forecaster explains most of ${builtin}`, async () => {
      const s = spec({
        model: { type: 'linear' },
        data: { builtin },
        loss: 'mse',
        optimizer: { type: 'adam', lr: 0.01 },
        training: { epochs: 100, batchSize: 32, dtype: 'float64', ...SPLIT },
      });
      const out = await train(s, loadBuiltin(builtin), { diagnostics: false });
      expect(out.status).toBe('succeeded');
      expect(out.result!.metrics.r2).toBeGreaterThan(builtin === 'sunspots' ? 0.6 : 0.9);
    });
  }

  it('an MLP on the flat bits of contains_101 fits its training rows but not the validation ones', async () => {
    const s = spec({
      model: { type: 'mlp', hidden: [64, 64], activation: 'relu' },
      data: { builtin: 'contains_101' },
      loss: 'cross_entropy',
      optimizer: { type: 'adam', lr: 0.01 },
      training: { epochs: 20, batchSize: 32, ...SPLIT },
    });
    const out = await train(s, loadBuiltin('contains_101'), { diagnostics: false });
    expect(out.status).toBe('succeeded');
    expect(out.result!.metrics.accuracy).toBeLessThan(0.93);
  });
});

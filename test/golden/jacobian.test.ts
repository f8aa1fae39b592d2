/**
 * Input Jacobians (what POST /v1/jobs/{id}/gradients returns) equal PyTorch's
 * (torch.autograd.functional.jacobian, float64; fixture from scripts/fixtures/jacobian_fixtures.py)
 * and central finite differences.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inputGradients, predict, type NamedWeights, type PredictSpec } from '../../src/models/index.js';

interface Case {
  loss: PredictSpec['loss'];
  model: PredictSpec['model'];
  weights: Record<string, number[] | number[][]>;
  inputs: number[][];
  outputs: number[][];
  jacobian: number[][][];
}
const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/jacobian.json', import.meta.url), 'utf8'),
) as Record<string, Case>;

function weightsOf(c: Case): NamedWeights {
  const out: NamedWeights = {};
  for (const [k, v] of Object.entries(c.weights)) {
    const shape = Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length];
    out[k] = { shape, data: Float64Array.from((v as number[][]).flat()) };
  }
  return out;
}

const close = (a: number, b: number, rel: number) =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-14;

describe('input Jacobians', () => {
  for (const [name, c] of Object.entries(fixtures)) {
    const spec: PredictSpec = { loss: c.loss, model: c.model };
    it(`${name}: equal PyTorch's (≤ 1e-12 relative)`, () => {
      const g = inputGradients(spec, weightsOf(c), c.inputs);
      g.outputs.forEach((row, i) =>
        row.forEach((v, k) => expect(close(v, c.outputs[i][k], 1e-12)).toBe(true)),
      );
      g.jacobian.forEach((m, i) =>
        m.forEach((row, k) =>
          row.forEach((v, j) => expect(close(v, c.jacobian[i][k][j], 1e-12), `${i},${k},${j}`).toBe(true)),
        ),
      );
    });
    it(`${name}: equal central finite differences (≤ 1e-6)`, () => {
      const w = weightsOf(c);
      const g = inputGradients(spec, w, c.inputs);
      const h = 1e-6;
      c.inputs.forEach((row, i) => {
        row.forEach((_, j) => {
          const plus = row.slice();
          const minus = row.slice();
          plus[j] += h;
          minus[j] -= h;
          const yp = predict(spec, w, [plus]).outputs[0];
          const ym = predict(spec, w, [minus]).outputs[0];
          yp.forEach((_, k) =>
            expect(Math.abs((yp[k] - ym[k]) / (2 * h) - g.jacobian[i][k][j])).toBeLessThan(1e-6),
          );
        });
      });
    });
  }
});

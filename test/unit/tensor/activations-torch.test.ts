/**
 * Every activation's value and derivative equal PyTorch's, NaN included (torch.relu(nan) is nan;
 * relu'(nan) = elu'(nan) = 1 and leaky_relu'(nan) = 0.01 because torch's backward kernels test
 * x ≤ 0 or x > 0), in each place one is computed: the activation table (the fused dense step and
 * the RL policy MLP use it), the Tensor ops with autodiff (the models), and the RL policy MLP
 * itself. Fixture: test/golden/fixtures/activations.json from scripts/fixtures/activation_fixtures.py.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMlp, mlpBackward, mlpForward, zeroGrads, type MlpTrace } from '../../../src/rl/mlp.js';
import { createRng } from '../../../src/rng/rng.js';
import { ACTIVATIONS, grad, sum, tensor, type Activation } from '../../../src/tensor/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../golden/fixtures/activations.json', import.meta.url), 'utf8'),
) as { points: string[]; activations: Record<Activation, Array<{ value: string; derivative: string }>> };
const num = (s: string) =>
  s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
const points = fixture.points.map(num);

/** Exactly torch's at NaN and ±inf (and exact zeros); within 1e-14 relative elsewhere. */
function expectTorch(got: number, want: number, what: string) {
  if (Number.isNaN(want) || !Number.isFinite(want) || want === 0)
    expect(Object.is(got + 0, want + 0) || got === want, `${what}: ${got} vs torch ${want}`).toBe(true);
  else expect(Math.abs(got - want) / Math.abs(want), `${what}: ${got} vs torch ${want}`).toBeLessThan(1e-14);
}

describe('activations match PyTorch, NaN included', () => {
  it('the fixture covers every activation of the table, NaN first', () => {
    expect(Object.keys(fixture.activations).sort()).toEqual(Object.keys(ACTIVATIONS).sort());
    expect(points[0]).toBeNaN();
  });

  for (const [name, rows] of Object.entries(fixture.activations) as Array<
    [Activation, typeof fixture.activations.relu]
  >) {
    it(`${name}: table, Tensor op + autodiff, RL policy MLP`, () => {
      const rule = ACTIVATIONS[name];
      points.forEach((x, i) => {
        const value = num(rows[i].value);
        const derivative = num(rows[i].derivative);
        const at = `${name}(${x})`;
        // The table.
        const y = rule.value(x);
        expectTorch(y, value, `table ${at}`);
        expectTorch(rule.derivative(x, y), derivative, `table ${at}'`);
        // The Tensor op and its derivative rule.
        const t = tensor([x], { dtype: 'float64', requiresGrad: true });
        expectTorch(rule.op(t).data[0], value, `op ${at}`);
        const [g] = grad(sum(rule.op(t)), [t]);
        expectTorch(g.data[0], derivative, `op ${at}'`);
        // The policy MLP [1 → 1 → 1] with identity weights: output act(x), ∂/∂b₀ = act'(x).
        const mlp = createMlp([1, 1, 1], name, createRng(1));
        for (const p of mlp.params) p.fill(0);
        mlp.params[0][0] = 1;
        mlp.params[2][0] = 1;
        const trace: MlpTrace = { inputs: [], pre: [] };
        expectTorch(mlpForward(mlp, [x], trace)[0], value, `mlp ${at}`);
        const grads = zeroGrads(mlp);
        mlpBackward(mlp, trace, [1], grads);
        expectTorch(grads[1][0], derivative, `mlp ${at}'`);
      });
    });
  }
});

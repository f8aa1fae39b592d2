/**
 * The checker checks: gradcheck and gradgradcheck must reject deliberately wrong derivative rules
 * (otherwise a green gradcheck suite would prove nothing), and the golden comparison must reject a
 * 1e-11 relative error.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, mul, pow, sum } from '../../../src/tensor/index.js';
import { result } from '../../../src/tensor/tensor.js';
import { createRng } from '../../../src/rng/rng.js';
import { closeRel, gradcheck, gradgradcheck, randomTensor } from '../../helpers/gradcheck.js';

/** x³ whose vjp is right in value but a constant: first derivative right, second derivative lost. */
function cubeFlatRule(x: Tensor): Tensor {
  const d = Float64Array.from(x.data, (v) => v * v * v);
  return result('cubeFlat', d, x.shape, [x], (g) => {
    const c = Float64Array.from(x.data, (v, i) => 3 * v * v * g.data[i]);
    return [new Tensor(c, x.shape)];
  });
}

/** x³ with a wrong first derivative (2x² instead of 3x²), written with ops. */
function cubeWrongRule(x: Tensor): Tensor {
  const d = Float64Array.from(x.data, (v) => v * v * v);
  return result('cubeWrong', d, x.shape, [x], (g) => [mul(g, mul(pow(x, 2), 2))]);
}

describe('the checkers catch wrong rules', () => {
  const xs = (): Tensor[] => [randomTensor(createRng(1), [2, 3])];
  it('gradcheck rejects a wrong first derivative, and a detach in the wrong place', () => {
    expect(gradcheck(cubeWrongRule, xs()).ok).toBe(false);
    expect(gradcheck((x) => sum(mul(x, x.detach())), xs()).ok).toBe(false);
  });
  it('gradcheck accepts the flat rule (its first derivative is right)', () => {
    expect(gradcheck(cubeFlatRule, xs()).ok).toBe(true);
  });
  it('gradgradcheck rejects a rule that drops the second derivative', () => {
    const r = gradgradcheck(cubeFlatRule, xs());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/mismatch/);
    expect(gradgradcheck((x) => pow(x, 3), xs()).ok).toBe(true);
  });
  it('closeRel: 1e-12 relative with a 1e-14 floor', () => {
    expect(closeRel(1, 1 + 5e-13)).toBe(true);
    expect(closeRel(1, 1 + 1e-11)).toBe(false);
    expect(closeRel(0, 5e-15)).toBe(true);
    expect(closeRel(Infinity, Infinity)).toBe(true);
    expect(closeRel(NaN, NaN)).toBe(true);
    expect(closeRel(Infinity, 1e308)).toBe(false);
  });
});

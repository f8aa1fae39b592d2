import { describe, expect, it } from 'vitest';
import { compileObjective } from '../../../src/expr/compile.js';
import { BUILTIN_OBJECTIVES } from '../../../src/expr/builtins.js';
import { ExprError } from '../../../src/expr/errors.js';
import { createRng } from '../../../src/rng/rng.js';
import { grad, hessian, tensor } from '../../../src/tensor/index.js';

const EXPRESSIONS = [
  '(1 - x)^2 + 100*(y - x^2)^2',
  'exp(-x^2) * sin(3*y) + log(1 + x^2 + y^2)',
  'sqrt(1 + x^2) + abs(y - 3) + tanh(x*y) + sigmoid(x - y)',
  'relu(x + 5) * cos(y) + max(x, y + 10, -20) - min(x^2 + 1, y - 10)',
  '(1 + x^2)^(y/2) + 2^-y - -x^2',
  '2^x * y^3 / (1 + x^2) - x/y',
  'x^3 - 3*x*y^2 + pi*y',
  '(x^2 + y - 11)^2 + (x + y^2 - 7)^2 + 0*z + exp(z/4)',
];

/** Central differences of the plain-number evaluator: (f(x + h e_i) − f(x − h e_i)) / 2h. */
function finiteDifference(value: (p: number[]) => number, p: number[], h = 1e-6): number[] {
  return p.map((_, i) => {
    const a = [...p];
    const b = [...p];
    a[i]! += h;
    b[i]! -= h;
    return (value(a) - value(b)) / (2 * h);
  });
}

describe('compiled objectives: values and gradients', () => {
  it('gradients of parsed expressions equal finite differences (float64, 20 random points each)', () => {
    const rng = createRng(11);
    for (const src of EXPRESSIONS) {
      const obj = compileObjective(src);
      for (let k = 0; k < 20; k++) {
        const p = obj.variables.map(() => rng.uniform(-2, 2));
        if (src.includes('x/y') && Math.abs(p[1]!) < 0.3) p[1] = 0.7;
        const x = tensor(p, { dtype: 'float64', requiresGrad: true });
        const out = obj.f(x);
        expect(out.shape).toEqual([]);
        expect(out.item()).toBeCloseTo(obj.value(p), 10);
        const [g] = grad(out, [x]);
        const fd = finiteDifference((q) => obj.value(q), p);
        const scale = Math.max(1, ...fd.map(Math.abs));
        g!.toArray().forEach((gi, i) => {
          expect(Math.abs(gi - fd[i]!), `${src} at ${p.join(', ')} d/d${obj.variables[i]}`).toBeLessThan(
            1e-6 * scale,
          );
        });
      }
    }
  });

  it("Rosenbrock's Hessian at (1, 1) is [[802, −400], [−400, 200]]", () => {
    const obj = compileObjective('rosenbrock');
    expect(obj.variables).toEqual(['x', 'y']);
    const h = hessian(obj.f, tensor([1, 1], { dtype: 'float64' })).toArray();
    expect(h).toEqual([802, -400, -400, 200]);
  });

  it('built-ins are reachable by name and by { builtin }', () => {
    for (const b of BUILTIN_OBJECTIVES) {
      const a = compileObjective(b.name);
      const c = compileObjective({ builtin: b.name }, { variables: ['x', 'y'] });
      expect(a.variables).toEqual(['x', 'y']);
      expect(a.value(b.start)).toBe(c.value(b.start));
      expect(a.builtin?.name).toBe(b.name);
    }
    expect(() => compileObjective({ builtin: 'nope' })).toThrow(ExprError);
  });

  it('declared variables fix the order and refuse unknown names', () => {
    const obj = compileObjective('y - 2*x', { variables: ['x', 'y'] });
    expect(obj.value([1, 5])).toBe(3);
    expect(obj.f(tensor([1, 5], { dtype: 'float64' })).item()).toBe(3);
    expect(() => compileObjective('y - 2*x + w', { variables: ['x', 'y'] })).toThrow(
      /unknown name 'w' .*position 10/,
    );
  });

  it('a constant objective has a zero gradient', () => {
    const obj = compileObjective('2^3 + 1', { variables: ['x'] });
    const x = tensor([4], { dtype: 'float64', requiresGrad: true });
    const out = obj.f(x);
    expect(out.item()).toBe(9);
    expect(grad(out, [x])[0]!.toArray()).toEqual([0]);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { show } from '../../../src/expr/ast.js';
import { ExprError } from '../../../src/expr/errors.js';
import { evaluate } from '../../../src/expr/evaluate.js';
import { EXPR_LIMITS } from '../../../src/expr/limits.js';
import { parse } from '../../../src/expr/parser.js';
import { BUILTIN_OBJECTIVES } from '../../../src/expr/builtins.js';

const tree = (src: string) => show(parse(src).ast);
const value = (src: string, env: Record<string, number> = {}) =>
  evaluate(parse(src).ast, new Map(Object.entries(env)));

function errorOf(src: string, opts?: { variables?: string[] }): ExprError {
  try {
    parse(src, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ExprError);
    return e as ExprError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to be refused`);
}

describe('expression parser: precedence and associativity', () => {
  it('^ is right-associative and binds tighter than unary minus', () => {
    expect(tree('a^b^c')).toBe('(a ^ (b ^ c))');
    expect(tree('-x^2')).toBe('(-(x ^ 2))');
    expect(value('-x^2', { x: 3 })).toBe(-9);
    expect(value('2^3^2')).toBe(512);
    expect(tree('2^-x')).toBe('(2 ^ (-x))');
    expect(value('2^-1')).toBe(0.5);
    expect(tree('-2^-x^2')).toBe('(-(2 ^ (-(x ^ 2))))');
    expect(value('(-x)^2', { x: 3 })).toBe(9);
  });

  it('* and / bind tighter than + and -, all left-associative', () => {
    expect(tree('a - b - c')).toBe('((a - b) - c)');
    expect(tree('a / b / c')).toBe('((a / b) / c)');
    expect(tree('a + b * c')).toBe('(a + (b * c))');
    expect(tree('a * b ^ c')).toBe('(a * (b ^ c))');
    expect(value('8 / 4 / 2')).toBe(1);
    expect(value('10 - 4 - 3')).toBe(3);
    expect(value('2 * -3')).toBe(-6);
    expect(value('--2')).toBe(2);
    expect(value('+2 - -2')).toBe(4);
  });

  it('accepts the typographic operators, ** and numbers in all usual forms', () => {
    expect(value('6 × 7 − 2 ÷ 4')).toBe(41.5);
    expect(value('2**10')).toBe(1024);
    expect(value('1.5e2 + .5 + 2E-1 + 3.')).toBeCloseTo(153.7, 12);
  });

  it('functions, constants and the Rosenbrock expression', () => {
    expect(value('max(1, x, 3) + min(x, 0)', { x: 2 })).toBe(3);
    expect(value('relu(-1) + relu(2) + abs(-3) + sqrt(16)')).toBe(9);
    expect(value('sigmoid(0) + tanh(0) + exp(0) + log(1) + sin(0) + cos(0)')).toBe(2.5);
    expect(value('cos(pi)')).toBe(-1);
    const p = parse('(1-x)^2 + 100*(y-x^2)^2');
    expect(p.variables).toEqual(['x', 'y']);
    expect(
      evaluate(
        p.ast,
        new Map([
          ['x', 1],
          ['y', 1],
        ]),
      ),
    ).toBe(0);
    expect(
      evaluate(
        p.ast,
        new Map([
          ['x', -1.5],
          ['y', 2],
        ]),
      ),
    ).toBeCloseTo(6.25 + 100 * 0.0625, 12);
  });

  it('every built-in objective parses with its declared variables', () => {
    for (const b of BUILTIN_OBJECTIVES) {
      const p = parse(b.expression, { variables: b.variables });
      for (const m of b.minima) {
        const env = new Map(b.variables.map((v, i) => [v, m[i]!]));
        expect(evaluate(p.ast, env)).toBeCloseTo(b.minimumValue, 9);
      }
    }
  });
});

describe('expression parser: refusals carry a position and a clear message', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['constructor', 0, /constructor/],
    ['x + constructor(1)', 4, /unknown function 'constructor'/],
    ['process.exit()', 7, /property access/],
    ['x.constructor', 1, /property access/],
    ['__proto__', 0, /__proto__/],
    ['x + __proto__', 4, /__proto__/],
    ['`x`', 0, /backtick/],
    ['x; y', 1, /';'/],
    ['x = 1', 2, /'='/],
    ["x['a']", 1, /'\['/],
    ['"x"', 0, /'"'/],
    ['x => x', 2, /'='/],
    ['eval(x)', 0, /unknown function 'eval'/],
    ['foo(x)', 0, /unknown function 'foo'/],
    ['x +', 3, /unexpected end/],
    ['(x + 1', 6, /expected '\)'/],
    ['x + 1)', 5, /unexpected '\)'/],
    ['2x', 1, /after number/],
    ['x y', 2, /missing operator/],
    ['exp', 0, /must be called with parentheses/],
    ['max(x)', 0, /takes 2 to 16/],
    ['exp(x, y)', 0, /takes 1 argument/],
    ['', 0, /empty/],
    ['1e', 1, /exponent/],
    ['x * * y', 4, /unexpected '\*'/],
    ['this', 0, /reserved/],
    ['__x', 0, /invalid name/],
    ['x + $y', 4, /unexpected character '\$'/],
  ];
  for (const [src, pos, msg] of cases) {
    it(`${JSON.stringify(src)} → position ${pos}`, () => {
      const e = errorOf(src);
      expect(e.position).toBe(pos);
      expect(e.message).toMatch(msg);
      expect(e.message).toContain(`position ${pos}`);
    });
  }

  it('names outside a declared variable list are unknown', () => {
    const e = errorOf('x + z', { variables: ['x', 'y'] });
    expect(e.position).toBe(4);
    expect(e.message).toMatch(/unknown name 'z'/);
    expect(() => parse('x', { variables: ['constructor'] })).toThrow(ExprError);
  });

  it('over-long input is refused', () => {
    const src = 'x+'.repeat(EXPR_LIMITS.maxLength) + 'x';
    const e = errorOf(src);
    expect(e.message).toMatch(/too long/);
    expect(e.position).toBe(EXPR_LIMITS.maxLength);
  });

  it('limits can be overridden by the caller', () => {
    expect(() => parse('x + y', { limits: { maxLength: 4 } })).toThrow(/too long \(5 characters, limit 4\)/);
    expect(() => parse('((x))', { limits: { maxDepth: 1 } })).toThrow(
      /nested too deeply \(limit 1\).*position 1/,
    );
    expect(() => parse('x + y', { limits: { maxVariables: 1 } })).toThrow(/too many variables/);
    expect(parse('((x))', { limits: { maxDepth: 2 } }).variables).toEqual(['x']);
  });

  it('over-deep nesting is refused (parentheses, unary minus, calls, powers)', () => {
    const n = EXPR_LIMITS.maxDepth + 1;
    for (const src of [
      '('.repeat(n) + 'x' + ')'.repeat(n),
      '-'.repeat(n) + 'x',
      'exp('.repeat(n) + 'x' + ')'.repeat(n),
      'x^'.repeat(n) + 'x',
    ]) {
      const e = errorOf(src);
      expect(e.message).toMatch(/nested too deeply/);
      expect(e.position).toBeGreaterThan(0);
    }
    // exactly at the limit is fine
    const ok = EXPR_LIMITS.maxDepth;
    expect(value('('.repeat(ok) + '1' + ')'.repeat(ok))).toBe(1);
  });

  it('never evaluates anything as JavaScript: a refused payload leaves no trace', () => {
    const g = globalThis as Record<string, unknown>;
    for (const src of ['globalThis.pwned = 1', 'Function("globalThis.pwned=1")()', 'x[`constructor`]']) {
      expect(() => parse(src)).toThrow(ExprError);
    }
    expect(g.pwned).toBeUndefined();
  });
});

describe('expression parser: properties', () => {
  it('any input either parses or throws ExprError (never another error)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (src) => {
        try {
          parse(src);
        } catch (e) {
          expect(e).toBeInstanceOf(ExprError);
          expect((e as ExprError).position).toBeGreaterThanOrEqual(0);
          expect((e as ExprError).position).toBeLessThanOrEqual(src.length);
        }
      }),
      { seed: 1, numRuns: 2000 },
    );
    const alphabet = fc.constantFrom(...'xy1.2e+-*/^(),; ab_`=[]'.split(''), 'exp', 'max', '**', '×');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const src = parts.join('');
        try {
          parse(src);
        } catch (e) {
          expect(e).toBeInstanceOf(ExprError);
        }
      }),
      { seed: 2, numRuns: 3000 },
    );
  });

  it('printing a tree fully parenthesized and parsing it back gives the same tree and value', () => {
    const { node } = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('x', 'y', 'pi'),
        fc.double({ min: 0, max: 100, noNaN: true }).map((v) => String(v)),
        tie('node').map((a) => `-${a}`),
        fc
          .tuple(tie('node'), fc.constantFrom('+', '-', '*', '/', '^'), tie('node'))
          .map(([a, op, b]) => `(${a} ${op} ${b})`),
        fc
          .tuple(fc.constantFrom('exp', 'sin', 'tanh', 'sigmoid', 'abs'), tie('node'))
          .map(([f, a]) => `${f}(${a})`),
        fc.tuple(tie('node'), tie('node')).map(([a, b]) => `max(${a}, ${b})`),
      ),
    }));
    fc.assert(
      fc.property(node, (src) => {
        let first;
        try {
          first = parse(src);
        } catch (e) {
          // generated nesting can exceed the depth limit; that is the only acceptable refusal
          expect((e as ExprError).message).toMatch(/nested too deeply/);
          return;
        }
        const again = parse(show(first.ast));
        expect(show(again.ast)).toBe(show(first.ast));
        const env = new Map([
          ['x', 0.7],
          ['y', -1.3],
        ]);
        expect(Object.is(evaluate(again.ast, env), evaluate(first.ast, env))).toBe(true);
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});

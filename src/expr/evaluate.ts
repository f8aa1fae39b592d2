/**
 * Plain-number interpreter of an expression tree: the reference the Tensor compilation is tested
 * against, and a cheap way to evaluate an objective at a point (finite differences, checks).
 */
import type { Node } from './ast.js';

const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/** Value of `n` with variables bound by `env` (name → value). */
export function evaluate(n: Node, env: ReadonlyMap<string, number>): number {
  switch (n.type) {
    case 'num':
    case 'const':
      return n.value;
    case 'var': {
      const v = env.get(n.name);
      if (v === undefined) throw new Error(`variable '${n.name}' has no value`);
      return v;
    }
    case 'neg':
      return -evaluate(n.arg, env);
    case 'binary': {
      const a = evaluate(n.left, env);
      const b = evaluate(n.right, env);
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '^':
          return a ** b;
      }
      break;
    }
    case 'call': {
      const xs = n.args.map((a) => evaluate(a, env));
      const x = xs[0]!;
      switch (n.fn) {
        case 'exp':
          return Math.exp(x);
        case 'log':
          return Math.log(x);
        case 'sqrt':
          return Math.sqrt(x);
        case 'abs':
          return Math.abs(x);
        case 'sin':
          return Math.sin(x);
        case 'cos':
          return Math.cos(x);
        case 'tanh':
          return Math.tanh(x);
        case 'sigmoid':
          return sigmoid(x);
        case 'relu':
          return x > 0 ? x : 0;
        case 'min':
          return Math.min(...xs);
        case 'max':
          return Math.max(...xs);
      }
    }
  }
  throw new Error('unreachable');
}

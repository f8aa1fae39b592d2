/**
 * Compile an expression tree into a function of a parameter vector built from Tensor ops, so the
 * engine differentiates it (gradient, Hessian-vector products, Hessian) like any model.
 *
 * Sub-expressions without variables are folded to plain numbers first; `a^p` with a constant p
 * becomes `pow(a, p)`, otherwise `a^b = exp(b·log a)` (real-valued for a > 0, NaN for a < 0, as in
 * real analysis). `min`/`max` fold pairwise with `minimum`/`maximum` (ties split the gradient
 * evenly, like torch). Nothing here builds or runs JavaScript source.
 */
import {
  abs,
  add,
  cos,
  div,
  exp,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  reshape,
  sigmoid,
  sin,
  slice,
  sqrt,
  sub,
  sum,
  tanh,
  type Tensor,
} from '../tensor/index.js';
import type { Node } from './ast.js';
import { findBuiltinObjective, type BuiltinObjective } from './builtins.js';
import { ExprError } from './errors.js';
import { evaluate } from './evaluate.js';
import { parse, type ParseOptions } from './parser.js';

type Value = Tensor | number;

function isConstant(n: Node): boolean {
  switch (n.type) {
    case 'num':
    case 'const':
      return true;
    case 'var':
      return false;
    case 'neg':
      return isConstant(n.arg);
    case 'binary':
      return isConstant(n.left) && isConstant(n.right);
    case 'call':
      return n.args.every(isConstant);
  }
}

const EMPTY_ENV: ReadonlyMap<string, number> = new Map();

function build(n: Node, vars: ReadonlyMap<string, Tensor>): Value {
  if (isConstant(n)) return evaluate(n, EMPTY_ENV);
  switch (n.type) {
    case 'var':
      return vars.get(n.name)!;
    case 'neg':
      return neg(build(n.arg, vars) as Tensor);
    case 'binary': {
      const a = build(n.left, vars);
      const b = build(n.right, vars);
      switch (n.op) {
        case '+':
          return typeof a === 'number' ? add(b, a) : add(a, b);
        case '-':
          return sub(a, b);
        case '*':
          return typeof a === 'number' ? mul(b, a) : mul(a, b);
        case '/':
          return div(a, b);
        case '^':
          if (typeof b === 'number') return pow(a as Tensor, b);
          // a^b = exp(b · ln a); a constant base folds ln a to a number
          return exp(mul(b, typeof a === 'number' ? Math.log(a) : log(a)));
      }
      break;
    }
    case 'call': {
      const args = n.args.map((a) => build(a, vars));
      switch (n.fn) {
        case 'min':
        case 'max': {
          const f = n.fn === 'min' ? minimum : maximum;
          // keep a tensor on the left so the op sees at least one tensor
          const tensors = args.filter((a): a is Tensor => typeof a !== 'number');
          const numbers = args.filter((a): a is number => typeof a === 'number');
          let acc: Tensor = tensors[0]!;
          for (const t of tensors.slice(1)) acc = f(acc, t);
          if (numbers.length > 0) acc = f(acc, n.fn === 'min' ? Math.min(...numbers) : Math.max(...numbers));
          return acc;
        }
        default: {
          const x = args[0] as Tensor;
          switch (n.fn) {
            case 'exp':
              return exp(x);
            case 'log':
              return log(x);
            case 'sqrt':
              return sqrt(x);
            case 'abs':
              return abs(x);
            case 'sin':
              return sin(x);
            case 'cos':
              return cos(x);
            case 'tanh':
              return tanh(x);
            case 'sigmoid':
              return sigmoid(x);
            case 'relu':
              return relu(x);
          }
        }
      }
    }
  }
  throw new Error('unreachable');
}

/** A compiled objective. */
export interface CompiledObjective {
  /** Coordinates of the point, in order: `f`'s input x has x[i] = value of variables[i]. */
  variables: string[];
  /** The objective on a vector x of shape [n], as a scalar Tensor (differentiable by the engine). */
  f: (x: Tensor) => Tensor;
  /** The objective on plain numbers (same order as `variables`). */
  value: (point: ArrayLike<number>) => number;
  /** The expression (for a built-in, its definition). */
  expression: string;
  /** The built-in's entry when one was named. */
  builtin?: BuiltinObjective;
}

export interface CompileOptions {
  /**
   * The variables, in order (e.g. the keys of the job's `start`). Names outside this list are
   * refused as unknown. Without it the variables are those used, in order of first appearance.
   */
  variables?: readonly string[];
  /** Override some of the parser's limits (length, depth, variables, name length). */
  limits?: ParseOptions['limits'];
}

/**
 * Compile an objective: an expression, or a built-in name (`rosenbrock`, `beale`, `himmelblau`,
 * `ill_conditioned_quadratic`, `saddle`; also `{ builtin: name }`). Throws {@link ExprError}.
 */
export function compileObjective(
  source: string | { builtin: string },
  opts: CompileOptions = {},
): CompiledObjective {
  let builtin: BuiltinObjective | undefined;
  let expression: string;
  if (typeof source === 'string') {
    builtin = findBuiltinObjective(source);
    expression = builtin ? builtin.expression : source;
  } else {
    builtin = findBuiltinObjective(source.builtin);
    if (!builtin) throw new ExprError(`unknown built-in objective '${source.builtin}'`, 0);
    expression = builtin.expression;
  }
  let variables: readonly string[] | undefined = opts.variables;
  if (builtin) {
    if (variables) {
      const missing = builtin.variables.filter((v) => !variables!.includes(v));
      if (missing.length > 0) {
        throw new ExprError(
          `built-in objective '${builtin.name}' needs variables ${builtin.variables.join(', ')}`,
          0,
        );
      }
    } else variables = builtin.variables;
  }
  const { ast, variables: vars } = parse(expression, {
    ...(variables ? { variables } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const f = (x: Tensor): Tensor => {
    if (x.ndim !== 1 || x.shape[0] !== vars.length) {
      throw new RangeError(
        `objective expects a vector of ${vars.length} values, got shape [${x.shape.join(', ')}]`,
      );
    }
    const env = new Map<string, Tensor>();
    vars.forEach((name, i) => env.set(name, reshape(slice(x, 0, i, i + 1), [])));
    const out = build(ast, env);
    // a constant objective still depends (trivially) on x, so gradients are zeros, not missing
    return typeof out === 'number' ? add(mul(sum(x), 0), out) : reshape(out, []);
  };
  const value = (point: ArrayLike<number>): number =>
    evaluate(ast, new Map(vars.map((name, i) => [name, point[i]!])));
  return { variables: [...vars], f, value, expression, ...(builtin ? { builtin } : {}) };
}

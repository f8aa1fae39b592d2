/**
 * Recursive-descent parser for objective expressions. Precedence, loosest first:
 *
 *   sum      := product (('+' | '-') product)*          left-associative
 *   product  := unary (('*' | '/') unary)*              left-associative
 *   unary    := ('-' | '+') unary | power               so −x^2 = −(x^2), as in mathematics
 *   power    := primary ('^' unary)?                    right-associative: a^b^c = a^(b^c); 2^-x allowed
 *   primary  := number | name | function '(' sum (',' sum)* ')' | '(' sum ')'
 *
 * Names resolve to a built-in function (only when followed by '('), a constant (`pi`) or a
 * variable. Variable names must look like `x`, `y1`, `theta_2` (a letter or `_`, then letters, digits,
 * underscores; not starting with `__`); names that mean something to JavaScript (`constructor`, `__proto__`, `process`,
 * `eval`, …) are refused outright even though they never reach an evaluator. When the caller lists
 * the allowed variables, any other name is an unknown name.
 *
 * The tree is only ever interpreted by our own evaluators (Tensor ops or plain numbers) — never
 * turned into JavaScript source.
 */
import { CONSTANTS, FUNCTIONS, isFunctionName, variablesOf, type Node } from './ast.js';
import { ExprError } from './errors.js';
import { EXPR_LIMITS, type ExprLimits } from './limits.js';
import { tokenize, type Token } from './tokens.js';

/** Names that must never be variables: JavaScript keywords, globals and Object.prototype members. */
// prettier-ignore
const RESERVED = new Set([
  'constructor', 'prototype', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__',
  '__lookupSetter__', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toString',
  'toLocaleString', 'valueOf', 'process', 'require', 'module', 'exports', 'global', 'globalThis',
  'window', 'self', 'this', 'eval', 'Function', 'function', 'import', 'export', 'new', 'return',
  'var', 'let', 'const', 'class', 'delete', 'typeof', 'instanceof', 'void', 'with', 'yield',
  'await', 'async', 'arguments', 'Object', 'Array', 'Reflect', 'Proxy', 'Symbol', 'Promise',
  'setTimeout', 'setInterval', 'Buffer', 'console', 'null', 'undefined', 'true', 'false', 'NaN',
  'Infinity', 'Math', 'JSON', 'if', 'else', 'for', 'while', 'do', 'switch', 'case', 'try', 'catch',
  'throw', 'finally', 'in', 'of', 'super', 'debugger', 'static',
]);

// Same shape as the JobSpec's variable names; a leading double underscore is refused (JS internals).
const VARIABLE_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParseOptions {
  /** Allowed variable names; when given, any other name is refused as unknown. */
  variables?: readonly string[];
  /** Override some of {@link EXPR_LIMITS}. */
  limits?: Partial<ExprLimits>;
}

export interface Parsed {
  ast: Node;
  /** Variables used, in order of first appearance (or the caller's list when one was given). */
  variables: string[];
}

/** Parse `src` into a tree. Throws {@link ExprError} with the offending position. */
export function parse(src: string, opts: ParseOptions = {}): Parsed {
  const L: ExprLimits = { ...EXPR_LIMITS, ...opts.limits };
  const tokens = tokenize(src, L.maxLength);
  if (opts.variables) {
    for (const v of opts.variables) checkVariableName(v, 0, true, L);
  }
  let k = 0;
  let depth = 0;
  const peek = (): Token => tokens[k]!;
  const next = (): Token => tokens[k++]!;

  function enter(pos: number): void {
    depth++;
    if (depth > L.maxDepth) {
      throw new ExprError(`expression is nested too deeply (limit ${L.maxDepth})`, pos);
    }
  }

  function expect(type: Token['type'], what: string): Token {
    const t = peek();
    if (t.type !== type) throw new ExprError(`expected ${what} but found ${describe(t)}`, t.pos);
    return next();
  }

  function sum(): Node {
    let left = product();
    for (;;) {
      const t = peek();
      if (t.type === 'op' && (t.text === '+' || t.text === '-')) {
        next();
        left = { type: 'binary', op: t.text, left, right: product(), pos: t.pos };
      } else return left;
    }
  }

  function product(): Node {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.type === 'op' && (t.text === '*' || t.text === '/')) {
        next();
        left = { type: 'binary', op: t.text, left, right: unary(), pos: t.pos };
      } else return left;
    }
  }

  function unary(): Node {
    const t = peek();
    if (t.type === 'op' && (t.text === '-' || t.text === '+')) {
      next();
      enter(t.pos);
      const arg = unary();
      depth--;
      return t.text === '-' ? { type: 'neg', arg, pos: t.pos } : arg;
    }
    return power();
  }

  function power(): Node {
    const base = primary();
    const t = peek();
    if (t.type === 'op' && t.text === '^') {
      next();
      enter(t.pos);
      const exponent = unary();
      depth--;
      return { type: 'binary', op: '^', left: base, right: exponent, pos: t.pos };
    }
    return base;
  }

  function primary(): Node {
    const t = peek();
    if (t.type === 'num') {
      next();
      return { type: 'num', value: t.value!, pos: t.pos };
    }
    if (t.type === 'lparen') {
      next();
      enter(t.pos);
      const inner = sum();
      expect('rparen', "')'");
      depth--;
      return inner;
    }
    if (t.type === 'ident') {
      next();
      const name = t.text;
      if (peek().type === 'lparen') {
        if (!isFunctionName(name)) {
          throw new ExprError(
            `unknown function '${name}' (known: ${Object.keys(FUNCTIONS).join(', ')})`,
            t.pos,
          );
        }
        const open = next();
        enter(open.pos);
        const args: Node[] = [sum()];
        while (peek().type === 'comma') {
          next();
          args.push(sum());
        }
        expect('rparen', "',' or ')'");
        depth--;
        const arity = FUNCTIONS[name];
        if (args.length < arity.min || args.length > arity.max) {
          const want = arity.min === arity.max ? `${arity.min}` : `${arity.min} to ${arity.max}`;
          throw new ExprError(`function '${name}' takes ${want} argument(s), got ${args.length}`, t.pos);
        }
        return { type: 'call', fn: name, args, pos: t.pos };
      }
      if (isFunctionName(name))
        throw new ExprError(`function '${name}' must be called with parentheses`, t.pos);
      const c = CONSTANTS.get(name);
      if (c !== undefined) return { type: 'const', name, value: c, pos: t.pos };
      if (opts.variables) {
        if (!opts.variables.includes(name)) {
          throw new ExprError(
            `unknown name '${name}' (variables: ${opts.variables.join(', ') || 'none'})`,
            t.pos,
          );
        }
      } else {
        checkVariableName(name, t.pos, false, L);
      }
      return { type: 'var', name, pos: t.pos };
    }
    if (t.type === 'end') throw new ExprError('unexpected end of expression', t.pos);
    throw new ExprError(`unexpected ${describe(t)}`, t.pos);
  }

  if (peek().type === 'end') throw new ExprError('expression is empty', 0);
  const ast = sum();
  const t = peek();
  if (t.type !== 'end') {
    const hint = t.type === 'num' || t.type === 'ident' || t.type === 'lparen' ? ' (missing operator?)' : '';
    throw new ExprError(`unexpected ${describe(t)}${hint}`, t.pos);
  }
  const used = variablesOf(ast);
  if (used.length > L.maxVariables) {
    throw new ExprError(`too many variables (${used.length}, limit ${L.maxVariables})`, 0);
  }
  return { ast, variables: opts.variables ? [...opts.variables] : used };
}

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'end of expression';
    case 'num':
      return `number ${t.text}`;
    case 'ident':
      return `name '${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}

function checkVariableName(name: string, pos: number, declared: boolean, L: ExprLimits): void {
  const what = declared ? 'variable name' : 'name';
  if (RESERVED.has(name)) throw new ExprError(`unknown ${what} '${name}' (reserved)`, pos);
  if (!VARIABLE_NAME.test(name)) {
    throw new ExprError(
      `invalid ${what} '${name}': use a letter or '_' followed by letters, digits or '_' (not '__' first)`,
      pos,
    );
  }
  if (name.length > L.maxNameLength) {
    throw new ExprError(`${what} '${name.slice(0, 16)}…' is too long (limit ${L.maxNameLength})`, pos);
  }
  if (isFunctionName(name) || CONSTANTS.has(name)) {
    throw new ExprError(`'${name}' is a built-in name and cannot be a variable`, pos);
  }
}

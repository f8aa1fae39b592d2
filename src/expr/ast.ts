/** Syntax tree of an objective expression. `pos` is the 0-based source offset of the node's token. */
export type Node =
  | { type: 'num'; value: number; pos: number }
  | { type: 'var'; name: string; pos: number }
  | { type: 'const'; name: string; value: number; pos: number }
  | { type: 'neg'; arg: Node; pos: number }
  | { type: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: Node; right: Node; pos: number }
  | { type: 'call'; fn: FunctionName; args: Node[]; pos: number };

/** Built-in functions and their arity (`min`/`max` take two or more arguments). */
export const FUNCTIONS = {
  exp: { min: 1, max: 1 },
  log: { min: 1, max: 1 },
  sqrt: { min: 1, max: 1 },
  abs: { min: 1, max: 1 },
  sin: { min: 1, max: 1 },
  cos: { min: 1, max: 1 },
  tanh: { min: 1, max: 1 },
  sigmoid: { min: 1, max: 1 },
  relu: { min: 1, max: 1 },
  min: { min: 2, max: 16 },
  max: { min: 2, max: 16 },
} as const;

export type FunctionName = keyof typeof FUNCTIONS;

/** Named constants. */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([['pi', Math.PI]]);

export function isFunctionName(name: string): name is FunctionName {
  return Object.prototype.hasOwnProperty.call(FUNCTIONS, name);
}

/** Render a tree back to fully parenthesized text (tests use it to check precedence). */
export function show(n: Node): string {
  switch (n.type) {
    case 'num':
      return String(n.value);
    case 'var':
    case 'const':
      return n.name;
    case 'neg':
      return `(-${show(n.arg)})`;
    case 'binary':
      return `(${show(n.left)} ${n.op} ${show(n.right)})`;
    case 'call':
      return `${n.fn}(${n.args.map(show).join(', ')})`;
  }
}

/** Variables in the tree, in order of first appearance. */
export function variablesOf(n: Node, out: string[] = []): string[] {
  switch (n.type) {
    case 'var':
      if (!out.includes(n.name)) out.push(n.name);
      break;
    case 'neg':
      variablesOf(n.arg, out);
      break;
    case 'binary':
      variablesOf(n.left, out);
      variablesOf(n.right, out);
      break;
    case 'call':
      for (const a of n.args) variablesOf(a, out);
      break;
    default:
      break;
  }
  return out;
}

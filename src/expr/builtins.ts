/**
 * Classic optimization test functions, available by name as objectives. Each comes with a
 * conventional start point and its known stationary points.
 */

export interface BuiltinObjective {
  name: string;
  description: string;
  /** The objective as an expression in our syntax. */
  expression: string;
  /** Variables in order (the point's coordinates). */
  variables: string[];
  /** A conventional start point. */
  start: number[];
  /** Known minimizers (or, for the saddle, the stationary point). */
  minima: number[][];
  /** Value at the minimizers. */
  minimumValue: number;
}

export const BUILTIN_OBJECTIVES: readonly BuiltinObjective[] = [
  {
    name: 'rosenbrock',
    description: "Rosenbrock's banana valley; minimum 0 at (1, 1)",
    expression: '(1 - x)^2 + 100*(y - x^2)^2',
    variables: ['x', 'y'],
    start: [-1.5, 2],
    minima: [[1, 1]],
    minimumValue: 0,
  },
  {
    name: 'beale',
    description: "Beale's function; minimum 0 at (3, 0.5)",
    expression: '(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2',
    variables: ['x', 'y'],
    start: [1, 1],
    minima: [[3, 0.5]],
    minimumValue: 0,
  },
  {
    name: 'himmelblau',
    description: "Himmelblau's function; four minima of value 0, one at (3, 2)",
    expression: '(x^2 + y - 11)^2 + (x + y^2 - 7)^2',
    variables: ['x', 'y'],
    start: [1, 1],
    minima: [
      [3, 2],
      [-2.805118086952745, 3.131312518250573],
      [-3.779310253377747, -3.28318599128617],
      [3.584428340330492, -1.848126526964404],
    ],
    minimumValue: 0,
  },
  {
    name: 'ill_conditioned_quadratic',
    description:
      '(x² + 1000·y²)/2, an elongated bowl with Hessian condition number 1000; minimum 0 at (0, 0)',
    expression: '0.5*(x^2 + 1000*y^2)',
    variables: ['x', 'y'],
    start: [1, 1],
    minima: [[0, 0]],
    minimumValue: 0,
  },
  {
    name: 'saddle',
    description: 'x² − y²: a saddle point at (0, 0), unbounded below along y',
    expression: 'x^2 - y^2',
    variables: ['x', 'y'],
    start: [1, 0],
    minima: [[0, 0]],
    minimumValue: 0,
  },
];

/** The built-in objective called `name` (case-insensitive, `-` and `_` interchangeable), or undefined. */
export function findBuiltinObjective(name: string): BuiltinObjective | undefined {
  const key = name.trim().toLowerCase().replace(/-/g, '_');
  return BUILTIN_OBJECTIVES.find((b) => b.name === key);
}

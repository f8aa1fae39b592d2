/** Limits on objective expressions: they bound parse time, recursion depth and graph size. */
export const EXPR_LIMITS = {
  /** Maximum source length in characters. */
  maxLength: 2000,
  /** Maximum nesting depth (parentheses, function calls, unary operators and exponents all count). */
  maxDepth: 64,
  /** Maximum number of distinct variables. */
  maxVariables: 1000,
  /** Maximum length of a variable name. */
  maxNameLength: 64,
} as const;

/** Limits a caller may override (e.g. the service's configured maxExpressionLength). */
export interface ExprLimits {
  maxLength: number;
  maxDepth: number;
  maxVariables: number;
  maxNameLength: number;
}

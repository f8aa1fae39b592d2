/** Objective expressions (parser, compiler to Tensor ops, built-in test functions) and the minimize task. */
export { ExprError } from './errors.js';
export { EXPR_LIMITS, type ExprLimits } from './limits.js';
export { tokenize, type Token } from './tokens.js';
export { parse, type ParseOptions, type Parsed } from './parser.js';
export { show, variablesOf, FUNCTIONS, CONSTANTS, type Node, type FunctionName } from './ast.js';
export { evaluate } from './evaluate.js';
export { BUILTIN_OBJECTIVES, findBuiltinObjective, type BuiltinObjective } from './builtins.js';
export { compileObjective, type CompiledObjective, type CompileOptions } from './compile.js';
export {
  runMinimize,
  HESSIAN_MAX_VARIABLES,
  objectiveLossAndGrad,
  type MinimizeSpec,
  type MinimizeEvent,
  type MinimizeResult,
  type MinimizeOutcome,
  type MinimizeOptions,
  type MinimizeCheckpoint,
} from './minimize.js';
